"""Request and response bodies of the listings routes (msgspec; unknown request fields are 400)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from copilot_api.security.strict import StrictStruct

MAX_QUERY_LENGTH = 500
MAX_LIMIT = 50
MAX_OFFSET = 1_000  # deeper pages need candidate lists no agent scrolls through
MAX_FILTERS = 50
MAX_BULK_LISTINGS = 10_000


class FilterIn(StrictStruct):
    field: str
    op: str
    value: Any


class SearchRequest(StrictStruct):
    query: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_QUERY_LENGTH)]
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = 10
    offset: Annotated[int, msgspec.Meta(ge=0, le=MAX_OFFSET)] = 0
    filters: Annotated[list[FilterIn], msgspec.Meta(max_length=MAX_FILTERS)] | None = None
    # From POST /api/sessions: a follow-up query then refines the session's previous search.
    session_id: (
        Annotated[str, msgspec.Meta(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
        | None
    ) = None


class FilterOut(msgspec.Struct):
    field: str
    op: str
    value: Any


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


class SearchResponse(msgspec.Struct):
    query: str
    filters: list[FilterOut]
    semantic_query: str
    results: list[SearchResultOut]
    total: int  # exact when total_relation is "eq"; a floor ("10,000 or more") when "gte"
    total_relation: str
    took_ms: float  # the whole request: screen, understanding, search and session update
    provider: str | None  # the embedding provider; None when the query was refused
    parser: str
    plan: str | None
    compliance: Compliance
    execution_id: str  # the recorded `property_search` execution (feedback, audit)
    session_id: str | None = None


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
