"""Request and response bodies of the listings routes (msgspec; unknown request fields are 400)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from copilot_api.security.strict import StrictStruct

MAX_BULK_LISTINGS = 10_000


class BulkRequest(StrictStruct):
    listings: Annotated[list[dict[str, Any]], msgspec.Meta(max_length=MAX_BULK_LISTINGS)]


class RejectedOut(msgspec.Struct):
    index: int  # position in the `listings` array
    listing_key: str | None
    reason: str


class BulkResponse(msgspec.Struct):
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[RejectedOut]
