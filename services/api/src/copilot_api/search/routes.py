"""POST /api/property-search: the request runs as the `property_search` workflow (recorded,
refined by the session, screened for fair housing) and its output is the response body."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from copilot_api.errors import ApiError
from copilot_api.search.schemas import SearchOutcome, SearchRequest, SearchResponse
from copilot_api.security.principal import caller_id
from copilot_api.state import WORKFLOW_ENGINE
from copilot_api.workflows.engine import WorkflowEngine

SEARCH_SCOPE = {"scope": "search"}


@post(
    "/api/property-search",
    opt=SEARCH_SCOPE,
    status_code=HTTP_200_OK,
    tags=["search"],
    summary="Search listings in natural language",
    description="Parses the query into RESO filters (shown in `filters`) and an optional order "
    '(`sort`: "cheapest", "newest"), keeps only listings that meet every filter (listings '
    "whose tested field is null come last, marked `unknown`), and orders them by the sort, else "
    "by semantic similarity fused with full-text rank. `understanding` shows how the query was "
    "read, including the words it ignored. `filters` in the request add to the parsed ones; one "
    "on a field replaces the parsed filters on that field; `sort` replaces the parsed order.",
)
async def property_search(
    request: Request[Any, Any, Any], data: JSONBody[SearchRequest], state: State
) -> SearchResponse:
    if not data.query.strip():
        raise ApiError(400, "invalid_query", "The query must contain some text.")
    engine: WorkflowEngine = state[WORKFLOW_ENGINE]
    execution = await engine.execute(
        "property_search",
        data.workflow_input(),
        user_id=caller_id(request),
        session_id=data.session_id,
    )
    outcome = msgspec.convert(execution.output, SearchOutcome)
    return SearchResponse(
        **msgspec.structs.asdict(outcome),
        took_ms=round(execution.duration_ms, 2),
        execution_id=str(execution.execution_id),
        session_id=data.session_id,
    )
