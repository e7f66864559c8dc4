"""Request and response bodies of POST /api/property-search (msgspec; unknown request fields
are 400), and the one conversion of a search result into its response."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from copilot_api.listings.filters import Filter
from copilot_api.listings.parsing.model import ParsedQuery
from copilot_api.listings.search import SearchResult
from copilot_api.listings.sorting import Sort
from copilot_api.security.strict import StrictStruct

MAX_QUERY_LENGTH = 500
MAX_LIMIT = 50
MAX_OFFSET = 1_000  # deeper pages need candidate lists no agent scrolls through
MAX_FILTERS = 50


class FilterIn(StrictStruct):
    field: str
    op: str
    value: Any


class SortIn(StrictStruct):
    field: str
    direction: str  # asc | desc


class SearchRequest(StrictStruct):
    query: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_QUERY_LENGTH)]
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = 10
    offset: Annotated[int, msgspec.Meta(ge=0, le=MAX_OFFSET)] = 0
    filters: Annotated[list[FilterIn], msgspec.Meta(max_length=MAX_FILTERS)] | None = None
    # Replaces the order the query asks for ("cheapest"); numeric RESO fields only.
    sort: SortIn | None = None
    # From POST /api/sessions: a follow-up query then refines the session's previous search.
    session_id: (
        Annotated[str, msgspec.Meta(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
        | None
    ) = None

    def workflow_input(self) -> dict[str, Any]:
        """The `property_search` workflow's input (recorded with the execution)."""
        payload: dict[str, Any] = {"query": self.query, "limit": self.limit, "offset": self.offset}
        if self.filters:
            payload["filters"] = msgspec.to_builtins(self.filters)
        if self.sort is not None:
            payload["sort"] = msgspec.to_builtins(self.sort)
        return payload


class FilterOut(msgspec.Struct):
    field: str
    op: str
    value: Any


class SortOut(msgspec.Struct):
    field: str
    direction: str


class Understanding(msgspec.Struct):
    """How the query was read: filters (refined by the session, with the client's), the order
    it asks for, the words ranked by similarity, and the words dropped as carrying no meaning."""

    filters: list[FilterOut]
    sort: SortOut | None
    semantic_query: str
    ignored_words: list[str]
    parser: str


class Criterion(msgspec.Struct):
    field: str
    op: str
    value: Any
    status: str  # met | unmet | unknown


class Ranking(msgspec.Struct):
    similarity: float | None  # cosine similarity of the semantic query and the listing
    vector_rank: int | None
    text_rank: int | None  # None: no full-text match


class SearchResultOut(msgspec.Struct):
    listing: dict[str, Any]
    score: float
    criteria: list[Criterion]
    ranking: Ranking


class ComplianceReason(msgspec.Struct):
    protected_class: str
    label: str
    matched: str
    rule: str
    explanation: str


class Compliance(msgspec.Struct):
    """The fair-housing screen of the query: a refused search is `blocked`, with no results."""

    blocked: bool
    reasons: list[ComplianceReason]
    message: str | None
    rules_version: str


class SearchOutcome(msgspec.Struct, kw_only=True):
    """What the `property_search` workflow returns (and records)."""

    query: str
    filters: list[FilterOut]  # applied: the understanding's, plus the default status
    sort: SortOut | None  # applied; None: relevance order
    semantic_query: str
    understanding: Understanding
    results: list[SearchResultOut]
    total: int  # exact when total_relation is "eq"; a floor ("10,000 or more") when "gte"
    total_relation: str
    provider: str | None  # the embedding provider; None when the query was refused
    parser: str
    plan: str | None  # exact | index | sorted; None when the query was refused
    compliance: Compliance

    @classmethod
    def from_result(
        cls, result: SearchResult, understood: ParsedQuery, compliance: Compliance
    ) -> SearchOutcome:
        return cls(
            query=result.query,
            filters=_filters_out(result.filters),
            sort=_sort_out(result.sort),
            semantic_query=result.semantic_query,
            understanding=understanding(understood),
            results=[
                SearchResultOut(
                    listing=hit.listing,
                    score=hit.score,
                    criteria=[Criterion(**item) for item in hit.criteria],
                    ranking=Ranking(**hit.ranking),
                )
                for hit in result.hits
            ],
            total=result.total,
            total_relation=result.total_relation,
            provider=result.provider,
            parser=result.parser,
            plan=result.plan,
            compliance=compliance,
        )

    @classmethod
    def refused(cls, query: str, understood: ParsedQuery, compliance: Compliance) -> SearchOutcome:
        """A query the fair-housing screen blocked: no search, no results."""
        return cls(
            query=query,
            filters=[],
            sort=None,
            semantic_query="",
            understanding=understanding(understood),
            results=[],
            total=0,
            total_relation="eq",
            provider=None,
            parser=understood.parser,
            plan=None,
            compliance=compliance,
        )


class SearchResponse(SearchOutcome, kw_only=True):
    took_ms: float  # the whole request: screen, understanding, search and session update
    execution_id: str  # the recorded `property_search` execution (feedback, audit)
    session_id: str | None = None


def understanding(parsed: ParsedQuery) -> Understanding:
    return Understanding(
        filters=_filters_out(parsed.filters),
        sort=_sort_out(parsed.sort),
        semantic_query=parsed.semantic_text,
        ignored_words=parsed.ignored_words,
        parser=parsed.parser,
    )


def _filters_out(filters: list[Filter]) -> list[FilterOut]:
    return [FilterOut(item.field, item.op.value, item.value) for item in filters]


def _sort_out(sort: Sort | None) -> SortOut | None:
    return None if sort is None else SortOut(sort.field, sort.direction)
