"""Steps that read the conversation: the session's context and the listings to talk about."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg.rows import dict_row
from pydantic import Field

from copilot_api.listings.fields import public_listing
from copilot_api.workflows.steps.base import StepContext, StepError, StepParams, StepType


class LoadSessionParams(StepParams):
    session_id: str | None = None
    required: bool = False
    client_name: str | None = Field(None, max_length=120)


class LoadSession(StepType[LoadSessionParams]):
    """The caller's session (turns, current filters, chosen and last results), or an empty
    context when there is none and it is not required."""

    name: ClassVar[str] = "load_session"
    params_model: ClassVar[type[StepParams]] = LoadSessionParams

    async def run(self, params: LoadSessionParams, context: StepContext) -> dict[str, Any]:
        session = None
        if params.session_id:
            session = await context.services.sessions.get(params.session_id)
            if session is not None and session.user_id != context.user_id:
                session = None  # someone else's session is as good as none
        if session is None:
            if params.required or params.session_id:
                raise StepError(404, "session_not_found", "No such session (it may have expired).")
            return {
                "found": False,
                "filters": [],
                "semantic_query": "",
                "sort": None,
                "last_query": None,
                "last_results": [],
                "last_prices": [],
                "last_areas": [],
                "chosen": [],
                "client_name": params.client_name,
            }
        last_query = session.turns[-1].query if session.turns else None
        return {
            "found": True,
            "filters": session.filters,
            "semantic_query": session.semantic_query,
            "sort": session.sort,
            "last_query": last_query,
            "last_results": session.last_results,
            "last_prices": session.last_prices,
            "last_areas": session.last_areas,
            "chosen": session.chosen,
            "client_name": params.client_name or session.client_name,
        }


class SelectListingsParams(StepParams):
    listing_keys: list[str] | None = Field(None, max_length=10)
    chosen: list[str] = Field(default_factory=list)
    last_results: list[str] = Field(default_factory=list)
    limit: int = Field(3, ge=1, le=10)


class SelectListings(StepType[SelectListingsParams]):
    """The listings to write about: those given, else the client's chosen ones, else the top of
    the last search. Their public facts, in that order."""

    name: ClassVar[str] = "select_listings"
    params_model: ClassVar[type[StepParams]] = SelectListingsParams

    async def run(self, params: SelectListingsParams, context: StepContext) -> dict[str, Any]:
        keys = list(dict.fromkeys(params.listing_keys or params.chosen or params.last_results))
        keys = keys[: params.limit]
        if not keys:
            raise StepError(
                422,
                "no_listings_selected",
                "Give listing_keys, or choose listings in the session, or search first.",
            )
        async with context.services.database.pool.connection() as connection:
            cursor = connection.cursor(row_factory=dict_row)
            await cursor.execute(
                "SELECT listing_key, data FROM listings WHERE listing_key = ANY(%s)", (keys,)
            )
            found = {row["listing_key"]: row["data"] for row in await cursor.fetchall()}
        missing = [key for key in keys if key not in found]
        if missing:
            raise StepError(
                404, "listing_not_found", f"No listing with ListingKey {', '.join(missing)}."
            )
        return {"listings": [public_listing(found[key]) for key in keys], "listing_keys": keys}
