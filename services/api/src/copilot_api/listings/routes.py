"""HTTP routes: one listing, bulk upsert and delete; thin layers over `ListingsRuntime`.
Property search has its own package (copilot_api.search)."""

from __future__ import annotations

from typing import Any

from litestar import Router, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from copilot_api.ai.embeddings import EmbeddingError
from copilot_api.errors import ApiError
from copilot_api.listings.fields import public_listing
from copilot_api.listings.runtime import ListingsRuntime
from copilot_api.listings.schemas import (
    BulkRequest,
    BulkResponse,
    RejectedOut,
)
from copilot_api.listings.sources import SourceRecord
from copilot_api.listings.store import EmbeddingSpaceMismatchError
from copilot_api.state import LISTINGS
from copilot_config import ListingsSection

SEARCH_SCOPE = {"scope": "search"}
ADMIN_SCOPE = {"scope": "admin"}


async def _runtime(state: State) -> ListingsRuntime:
    runtime: ListingsRuntime = state[LISTINGS]
    return await runtime.available()


@get(
    "/api/listings/{listing_key:str}",
    opt=SEARCH_SCOPE,
    tags=["listings"],
    summary="One listing (public fields)",
)
async def get_listing(listing_key: FromPath[str], state: State) -> dict[str, Any]:
    runtime = await _runtime(state)
    data = await runtime.fetch(listing_key)
    if data is None:
        raise ApiError(404, "listing_not_found", f"No listing has ListingKey {listing_key!r}.")
    return public_listing(data)


def _bulk_route(config: ListingsSection) -> Any:
    @post(
        "/api/listings",
        opt=ADMIN_SCOPE,
        status_code=HTTP_200_OK,
        request_max_body_size=config.bulk_max_bytes,
        tags=["listings"],
        summary="Upsert listings in bulk",
        description="Each listing is validated on its own: rejected ones are listed with their "
        "index and reason, the others are stored (upserted by ListingKey, in transactions of "
        "LISTINGS_INGEST_BATCH_SIZE). Sending the same listings again changes nothing.",
    )
    async def bulk_upsert(data: JSONBody[BulkRequest], state: State) -> BulkResponse:
        runtime = await _runtime(state)
        records = [SourceRecord(index, item) for index, item in enumerate(data.listings)]
        try:
            summary = await runtime.ingest(records, expected_rows=len(records))
        except EmbeddingSpaceMismatchError as error:
            raise ApiError(409, "embedding_space_mismatch", str(error)) from None
        except EmbeddingError:
            raise ApiError(
                503, "embeddings_unavailable", "The embedding provider is not answering."
            ) from None
        return BulkResponse(
            inserted=summary.inserted,
            updated=summary.updated,
            unchanged=summary.unchanged,
            rejected=summary.rejected,
            errors=[RejectedOut(e.line, e.listing_key, e.reason) for e in summary.errors],
        )

    return bulk_upsert


@delete(
    "/api/listings/{listing_key:str}",
    opt=ADMIN_SCOPE,
    status_code=HTTP_204_NO_CONTENT,
    tags=["listings"],
    summary="Delete a listing",
)
async def delete_listing(listing_key: FromPath[str], state: State) -> None:
    runtime = await _runtime(state)
    if not await runtime.delete(listing_key):
        raise ApiError(404, "listing_not_found", f"No listing has ListingKey {listing_key!r}.")


def listings_router(config: ListingsSection) -> Router:
    """Built per app: the bulk route's body limit comes from the settings."""
    return Router(
        path="/",
        route_handlers=[get_listing, _bulk_route(config), delete_listing],
    )
