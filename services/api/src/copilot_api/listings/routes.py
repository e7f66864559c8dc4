"""HTTP routes: property search, one listing, bulk upsert and delete. Thin layers over
`SearchService` and `ListingsRuntime`; the logic lives there so workflow steps can reuse it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from copilot_api.ai.embeddings import EmbeddingError
from copilot_api.errors import ApiError
from copilot_api.listings.fields import public_listing
from copilot_api.listings.filters import FilterError, parse_filters
from copilot_api.listings.runtime import ListingsNotReadyError, ListingsRuntime
from copilot_api.listings.schemas import (
    BulkRequest,
    BulkResponse,
    Compliance,
    Criterion,
    FilterOut,
    Ranking,
    RejectedOut,
    SearchRequest,
    SearchResponse,
    SearchResultOut,
)
from copilot_api.listings.sources import SourceRecord
from copilot_api.listings.store import EmbeddingSpaceMismatchError
from copilot_api.security.principal import caller_id
from copilot_api.state import LISTINGS, WORKFLOW_ENGINE
from copilot_api.workflows.engine import WorkflowEngine
from copilot_config import ListingsSection

SEARCH_SCOPE = {"scope": "search"}
ADMIN_SCOPE = {"scope": "admin"}


async def _runtime(state: State) -> ListingsRuntime:
    runtime: ListingsRuntime = state[LISTINGS]
    try:
        await runtime.ensure_ready()
    except ListingsNotReadyError as error:
        raise ApiError(
            503, "listings_unavailable", f"Listings are not available yet: {error}"
        ) from None
    return runtime


@post(
    "/api/property-search",
    opt=SEARCH_SCOPE,
    status_code=HTTP_200_OK,
    tags=["search"],
    summary="Search listings in natural language",
    description="Parses the query into RESO filters (shown in `filters`), keeps only listings "
    "that meet every filter (listings whose tested field is null come last, marked `unknown`), "
    "and ranks them by semantic similarity fused with full-text rank. `filters` in the request "
    "add to the parsed ones; one on a field replaces the parsed filters on that field.",
)
async def property_search(
    request: Request[Any, Any, Any], data: JSONBody[SearchRequest], state: State
) -> SearchResponse:
    """Runs the `property_search` workflow: fair-housing screen, query understanding (refined by
    the session), search, session update; the execution is recorded like any other."""
    if not data.query.strip():
        raise ApiError(400, "invalid_query", "The query must contain some text.")
    overrides = [{"field": f.field, "op": f.op, "value": f.value} for f in data.filters or []]
    try:
        parse_filters(overrides)
    except FilterError as error:
        raise ApiError(
            400, "invalid_filter", f"Filter {error.index}: {error}", details={"index": error.index}
        ) from None
    engine: WorkflowEngine = state[WORKFLOW_ENGINE]
    payload: dict[str, Any] = {"query": data.query, "limit": data.limit, "offset": data.offset}
    if overrides:
        payload["filters"] = overrides
    execution = await engine.execute(
        "property_search", payload, user_id=caller_id(request), session_id=data.session_id
    )
    output = execution.output or {}
    return SearchResponse(
        query=output["query"],
        filters=[FilterOut(**f) for f in output["filters"]],
        semantic_query=output["semantic_query"],
        results=[
            SearchResultOut(
                listing=hit["listing"],
                score=hit["score"],
                criteria=[Criterion(**c) for c in hit["criteria"]],
                ranking=Ranking(**hit["ranking"]),
            )
            for hit in output["results"]
        ],
        total=output["total"],
        total_relation=output["total_relation"],
        took_ms=round(execution.duration_ms, 2),
        provider=output["provider"],
        parser=output["parser"],
        plan=output["plan"],
        compliance=Compliance(**output["compliance"]),
        execution_id=str(execution.execution_id),
        session_id=data.session_id,
    )


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
        route_handlers=[property_search, get_listing, _bulk_route(config), delete_listing],
    )
