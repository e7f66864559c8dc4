"""The `property_search` workflow's steps: fair-housing screen, query understanding refined by
the conversation, the search (whose output is the response body), and remembering the search in
the session."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec
from psycopg.errors import QueryCanceled
from pydantic import Field

from copilot_api.ai.embeddings import EmbeddingError
from copilot_api.compliance.query_screening import guard_query
from copilot_api.listings.filters import FilterError, merge_filters, parse_filters
from copilot_api.listings.parsing.model import ParsedQuery
from copilot_api.listings.sorting import Sort, SortError, parse_sort
from copilot_api.search.schemas import Compliance, SearchOutcome
from copilot_api.sessions.models import Turn
from copilot_api.sessions.refine import RELATIVE_WORDS, PreviousResults, refine_filters
from copilot_api.workflows.steps.base import StepContext, StepError, StepParams, StepType

# Words of a follow-up that steer the refinement rather than describe a home.
_FOLLOW_UP_WORDS = re.compile(
    r"\b(instead|show me|what about|how about|only|just|and|also)\b", re.I
)


class ScreenQueryParams(StepParams):
    query: str


class ScreenQuery(StepType[ScreenQueryParams]):
    """Refuses queries that steer by a protected class (logged as a compliance event)."""

    name: ClassVar[str] = "screen_query"
    params_model: ClassVar[type[StepParams]] = ScreenQueryParams

    async def run(self, params: ScreenQueryParams, context: StepContext) -> dict[str, Any]:
        result = guard_query(params.query, user_id=context.user_id)
        return {"blocked": result.blocked, "compliance": result.as_dict()}


class UnderstandQueryParams(StepParams):
    query: str
    filters: list[dict[str, Any]] | None = None
    sort: dict[str, Any] | None = None
    previous_filters: list[dict[str, Any]] = Field(default_factory=list)
    previous_semantic_query: str = ""
    previous_sort: dict[str, Any] | None = None
    previous_prices: list[float] = Field(default_factory=list)
    previous_areas: list[float] = Field(default_factory=list)
    follow_up: bool = False
    blocked: bool = False


class UnderstandQuery(StepType[UnderstandQueryParams]):
    """Query -> the understanding (filters, sort, semantic text, ignored words). The client's
    filters and sort are validated here, once (invalid -> 400). A follow-up refines the
    session's filters and keeps its order unless the query asks for another; client filters
    replace the understood ones on their fields, and a client sort replaces any other."""

    name: ClassVar[str] = "understand_query"
    params_model: ClassVar[type[StepParams]] = UnderstandQueryParams

    async def run(self, params: UnderstandQueryParams, context: StepContext) -> dict[str, Any]:
        try:
            overrides = parse_filters(params.filters or [])
        except FilterError as error:
            raise StepError(400, "invalid_filter", f"Filter {error.index}: {error}") from None
        try:
            client_sort = parse_sort(params.sort) if params.sort is not None else None
        except SortError as error:
            raise StepError(400, "invalid_sort", str(error)) from None
        if params.blocked:
            return {"understanding": ParsedQuery([], "", "none").as_dict()}
        runtime = await context.services.listings.available()
        parsed = await runtime.search.parse(params.query)
        filters = [item.as_dict() for item in parsed.filters]
        semantic = parsed.semantic_text
        sort = client_sort or parsed.sort
        if params.follow_up:
            filters = refine_filters(
                params.previous_filters,
                filters,
                params.query,
                PreviousResults(params.previous_prices, params.previous_areas),
            )
            semantic = _follow_up_semantics(semantic) or params.previous_semantic_query
            sort = sort or _previous_sort(params.previous_sort)
        try:
            understood = parse_filters(filters)
        except FilterError as error:  # a session written by an older version, say
            raise StepError(422, "invalid_session_filters", str(error)) from None
        final = ParsedQuery(
            filters=merge_filters(understood, overrides),
            semantic_text=semantic,
            parser=parsed.parser,
            sort=sort,
            ignored_words=parsed.ignored_words,
        )
        return {"understanding": final.as_dict()}


def _previous_sort(raw: dict[str, Any] | None) -> Sort | None:
    try:
        return parse_sort(raw) if raw else None
    except SortError:  # a session written by an older version: relevance order then
        return None


def _follow_up_semantics(text: str) -> str:
    stripped = _FOLLOW_UP_WORDS.sub(" ", RELATIVE_WORDS.sub(" ", text))
    return " ".join(stripped.split())


class SearchListingsParams(StepParams):
    query: str
    understanding: dict[str, Any]
    compliance: dict[str, Any]
    limit: int = Field(10, ge=1, le=50)
    offset: int = Field(0, ge=0)
    blocked: bool = False


class SearchListings(StepType[SearchListingsParams]):
    """Hard filters in SQL, then the sort or semantic + full-text ranking (listings/search.py);
    its output is the search's response body (`SearchOutcome`), built here once."""

    name: ClassVar[str] = "search_listings"
    params_model: ClassVar[type[StepParams]] = SearchListingsParams

    async def run(self, params: SearchListingsParams, context: StepContext) -> dict[str, Any]:
        understood = ParsedQuery.from_dict(params.understanding)
        compliance = msgspec.convert(params.compliance, Compliance)
        if params.blocked:
            return _body(SearchOutcome.refused(params.query, understood, compliance))
        runtime = await context.services.listings.available()
        try:
            result = await runtime.search.search(
                params.query,
                understood.filters,
                limit=params.limit,
                offset=params.offset,
                replace_filters=True,
                parsed=understood,
            )
        except EmbeddingError:
            raise StepError(
                503,
                "embeddings_unavailable",
                "The embedding provider is not answering; retry shortly.",
            ) from None
        except QueryCanceled:  # the search's statement timeout (listings/ranking.py)
            raise StepError(
                503,
                "search_timeout",
                "The search took too long; retry shortly, or narrow it with more filters.",
            ) from None
        return _body(SearchOutcome.from_result(result, understood, compliance))


def _body(outcome: SearchOutcome) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(outcome)
    return body


class RememberSearchParams(StepParams):
    session_id: str | None = None
    query: str
    filters: list[dict[str, Any]]
    semantic_query: str
    sort: dict[str, str] | None = None
    results: list[dict[str, Any]]
    blocked: bool = False


class RememberSearch(StepType[RememberSearchParams]):
    """Records the turn and, unless it was refused, the new filters and results in the session.
    Deferred: nothing is saved when a later step fails."""

    name: ClassVar[str] = "remember_search"
    params_model: ClassVar[type[StepParams]] = RememberSearchParams

    async def run(self, params: RememberSearchParams, context: StepContext) -> dict[str, Any]:
        if not params.session_id:
            return {"remembered": False}
        sessions = context.services.sessions
        session_id = params.session_id
        listings = [item["listing"] for item in params.results]

        async def save() -> None:
            session = await sessions.get(session_id)
            if session is None or session.user_id != context.user_id:
                raise StepError(404, "session_not_found", "No such session (it may have expired).")
            keys = [listing["ListingKey"] for listing in listings]
            session.add_turn(
                Turn(
                    query=params.query,
                    filters=params.filters,
                    semantic_query=params.semantic_query,
                    result_keys=keys,
                    blocked=params.blocked,
                )
            )
            if not params.blocked:
                session.filters = params.filters
                session.semantic_query = params.semantic_query
                session.sort = params.sort
                session.last_results = keys
                session.last_prices = _numbers(listings, "ListPrice")
                session.last_areas = _numbers(listings, "LivingArea")
            await sessions.save(session)

        context.defer(save)
        return {"remembered": True}


def _numbers(listings: list[dict[str, Any]], field: str) -> list[float]:
    return [float(value) for item in listings if isinstance(value := item.get(field), int | float)]


def search_step_types() -> list[StepType[Any]]:
    """The steps of the `property_search` workflow, for the workflow engine's registry."""
    return [ScreenQuery(), UnderstandQuery(), SearchListings(), RememberSearch()]
