"""Hybrid property search: hard filters in SQL, then vector similarity fused with full-text rank.

`SearchService.search` is the reusable entry point (the HTTP handler and workflow steps call it):

1. understand the query: filters and a semantic remainder (rules, or OpenAI with fallback),
   cached per normalised query and place-vocabulary version;
2. merge client filters (a client filter replaces the parsed ones on its field) and add the
   default `StandardStatus = Active` unless a status was given;
3. embed the semantic words (the embedding provider caches them; the pgvector literal is
   cached here);
4. in one transaction (see ranking.py): count the listings that meet every filter and those
   whose tested fields are null ("unknown": they rank after every full match), choose the exact
   or the index plan from that count, and rank the page with its documents; like
   Elasticsearch, counting stops past 3,000 matches (`total_relation` is then "gte").
   Filters found broader than the threshold skip the count until the catalogue changes (its
   version, which every write bumps, is part of the key): their total is "3,000 or more" and
   their plan the index either way, and counting them is a quarter of such a search.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import msgspec
import numpy as np
from psycopg import AsyncConnection, sql

from copilot_api.ai.embeddings import EmbeddingProvider
from copilot_api.listings.fields import Op, public_listing
from copilot_api.listings.filters import (
    Filter,
    criterion,
    merge_filters,
    met_condition,
    unknown_condition,
    with_default_status,
)
from copilot_api.listings.parsing.model import ParsedQuery, QueryParser
from copilot_api.listings.query_cache import LruCache
from copilot_api.listings.ranking import (
    EXACT_SCAN_SETTINGS,
    SEARCH_SETTINGS,
    Plan,
    PlanSwitch,
    RankedRow,
    Ranker,
    search_settings,
    settings_statement,
)
from copilot_api.listings.sorting import Sort
from copilot_api.listings.store import ACTIVE_GRAPH, OTHER_GRAPH, VectorGraph, graph_clause
from copilot_api.listings.vectors import vector_literal
from copilot_api.listings.vocabulary import VocabularyCache
from copilot_api.storage.database import Database

MAX_SEMANTIC_TERMS: Final = 32
# Distinct normalised queries whose understanding and query vector each worker keeps.
QUERY_CACHE_SIZE: Final = 2_048


# What the result reports: the plan that ranked, or "sorted" when a sort ordered the page.
PlanUsed = Literal["exact", "index", "sorted"]


@dataclass(frozen=True, slots=True)
class SearchHit:
    listing: dict[str, Any]  # public fields only
    score: float
    criteria: list[dict[str, Any]]
    ranking: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    filters: list[Filter]
    semantic_query: str
    hits: list[SearchHit]
    total: int
    total_relation: Literal["eq", "gte"]
    took_ms: float
    provider: str
    parser: str
    plan: PlanUsed
    sort: Sort | None = None


class SearchService:
    def __init__(
        self,
        database: Database,
        embeddings: EmbeddingProvider,
        parser: QueryParser,
        vocabulary: VocabularyCache,
        *,
        switch: PlanSwitch | None = None,
        cache_size: int = QUERY_CACHE_SIZE,
    ) -> None:
        self._database = database
        self._embeddings = embeddings
        self._parser = parser
        self._vocabulary = vocabulary
        self._switch = switch or PlanSwitch()
        self._understood: LruCache[tuple[str, int], ParsedQuery] = LruCache(cache_size)
        self._vectors: LruCache[str, str | None] = LruCache(cache_size)
        # (catalog version, filters) known to match more listings than the plan threshold.
        self._broad: LruCache[tuple[int, bytes], bool] = LruCache(cache_size)
        self._settings = settings_statement(search_settings(database.reply_timeout))

    @property
    def vocabulary(self) -> VocabularyCache:
        return self._vocabulary

    async def parse(self, query: str) -> ParsedQuery:
        """The query's filters and semantic words; the same query under the same place
        vocabulary is understood once (an LLM parser costs a network call)."""
        vocabulary = self._vocabulary.current
        key = (" ".join(query.split()).casefold(), vocabulary.version)
        cached = self._understood.get(key)
        if cached is None:
            cached = await self._parser.parse(query, vocabulary)
            self._understood.put(key, cached)
        return cached

    async def search(
        self,
        query: str,
        filters: Sequence[Filter] = (),
        limit: int = 10,
        offset: int = 0,
        *,
        replace_filters: bool = False,
        plan: Plan | None = None,
        parsed: ParsedQuery | None = None,
        sort: Sort | None = None,
    ) -> SearchResult:
        """`filters` add to (or, per field, override) the parsed ones; with `replace_filters`
        they are the whole set (a session that already holds refined filters). `parsed` skips
        parsing (a workflow step already understood the query). `plan` forces the exact or
        index path (benchmarks and tests); by default the number of matches decides. `sort`
        (else the parsed one) orders each tier by a field first (see sorting.py)."""
        started = time.perf_counter()
        parsed = parsed or await self.parse(query)
        chosen = list(filters) if replace_filters else merge_filters(parsed.filters, filters)
        effective = with_default_status(chosen)
        order = sort or parsed.sort
        ranker = Ranker(
            vector=await self._vector(parsed.semantic_text or query),
            dimensions=self._embeddings.space.dimensions,
            terms=_text_terms(parsed.semantic_text),
            sort=order,
            switch=self._switch,
        )
        broad_key = (self._vocabulary.current.version, _FILTERS_KEY.encode(effective))
        known_broad = plan is None and broad_key in self._broad
        # A pipeline: BEGIN, the settings and the counts travel in one round trip.
        async with (
            self._database.pool.connection() as connection,
            connection.pipeline(),
            connection.transaction(),
        ):
            await connection.execute(self._settings)
            if known_broad:
                page, tiers, chosen_plan = await _search_broad(
                    connection, ranker, effective, limit, offset
                )
            else:
                page, tiers, chosen_plan = await _search(
                    connection, ranker, effective, limit, offset, plan
                )
        if plan is None and tiers.broad:
            self._broad.put(broad_key, True)
        return SearchResult(
            query=query,
            filters=effective,
            semantic_query=parsed.semantic_text,
            hits=[_hit(row, effective) for row in page],
            total=tiers.total,
            total_relation="eq" if tiers.complete else "gte",
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            provider=self._embeddings.space.provider,
            parser=parsed.parser,
            plan="sorted" if order is not None else chosen_plan,
            sort=order,
        )

    async def _vector(self, text: str) -> str | None:
        """The query's pgvector literal; None when it has no words to compare."""
        if (cached := self._vectors.get(text)) is not None or text in self._vectors:
            return cached
        vector = (await self._embeddings.embed([text]))[0]
        literal = vector_literal(vector) if np.any(vector) else None
        self._vectors.put(text, literal)
        return literal


# Filters as the broad-filter cache's key (a Filter's value may be a list: not hashable).
_FILTERS_KEY: Final = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class _Totals:
    met: int
    unknown: int
    complete: bool  # False: counting stopped at the cap, the total is a floor
    broad: bool = False  # more full matches than the plan threshold

    @property
    def total(self) -> int:
        return self.met + self.unknown


async def _search(
    connection: AsyncConnection[Any],
    ranker: Ranker,
    filters: list[Filter],
    limit: int,
    offset: int,
    forced: Plan | None,
) -> tuple[list[RankedRow], _Totals, Plan]:
    """Rows offset..offset+limit of [listings meeting every filter, then unknowns]."""
    met, unknown = met_condition(filters), unknown_condition(filters)
    met_graph, unknown_graph = status_graphs(filters)
    in_city = _narrows(filters, "City")
    counts, page = await ranker.count_and_rank(
        connection,
        met,
        unknown,
        limit,
        offset,
        forced,
        keyed=in_city or _narrows(filters, "PropertySubType"),
        in_city=in_city,
    )
    cap = ranker.switch.count_cap
    plan: Plan = forced or ("exact" if counts.met <= counts.threshold else "index")
    if plan == "index" and offset < counts.met:
        page = await ranker.rank(connection, met, limit, offset, plan, met_graph)
    if counts.unknown is None:  # more full matches than the cap: no page reaches the unknowns
        broad = counts.met > counts.threshold
        return page, _Totals(min(counts.met, cap), 0, complete=False, broad=broad), plan
    if len(page) < limit and counts.unknown > 0:
        # The unknowns are counted only up to the cap: a count past it is no size to rank all
        # of them exactly (a filter on a field most listings lack leaves nearly all unknown).
        small = counts.unknown <= min(counts.threshold, cap)
        tier_plan: Plan = "exact" if small else "index"
        tier_offset = max(0, offset - counts.met)
        page += await ranker.rank(
            connection, unknown, limit - len(page), tier_offset, tier_plan, unknown_graph
        )
    totals = _Totals(counts.met, min(counts.unknown, cap), complete=counts.unknown <= cap)
    return page, totals, plan


async def _search_broad(
    connection: AsyncConnection[Any],
    ranker: Ranker,
    filters: list[Filter],
    limit: int,
    offset: int,
) -> tuple[list[RankedRow], _Totals, Plan]:
    """Filters known to be broader than the threshold: the index plan, without counting."""
    met_graph, _ = status_graphs(filters)
    page = await ranker.rank(connection, met_condition(filters), limit, offset, "index", met_graph)
    return page, _Totals(ranker.switch.count_cap, 0, complete=False, broad=True), "index"


def _hit(row: RankedRow, filters: list[Filter]) -> SearchHit:
    return SearchHit(
        listing=public_listing(row.document),
        score=round(row.score, 6),
        criteria=[criterion(f, row.document) for f in filters],
        ranking={
            "similarity": None if row.distance is None else round(1 - row.distance, 4),
            "vector_rank": row.vector_rank,
            "text_rank": row.text_rank,
        },
    )


def _narrows(filters: Sequence[Filter], field: str) -> bool:
    """Whether the filters hold `field` to one value or a few (a key of a covering index)."""
    return any(f.field == field and f.op in (Op.EQ, Op.IN) for f in filters)


def status_graphs(filters: Sequence[Filter]) -> tuple[VectorGraph | None, VectorGraph | None]:
    """The HNSW graphs (store.VECTOR_GRAPHS) that hold every listing meeting `filters` and every
    listing of their unknown tier; None where no one graph does (e.g. Active or Pending)."""
    statuses = [f for f in filters if f.field == "StandardStatus"]
    values = [
        {str(v).casefold() for v in (f.value if isinstance(f.value, list) else [f.value])}
        for f in statuses
    ]
    if any(
        f.op in (Op.EQ, Op.IN) and v == {"active"} for f, v in zip(statuses, values, strict=True)
    ):
        # Their unknowns have no status: the same graph holds them.
        return ACTIVE_GRAPH, ACTIVE_GRAPH
    excludes_active = any(
        (f.op in (Op.EQ, Op.IN) and "active" not in v)
        or (f.op in (Op.NE, Op.NOT_IN) and "active" in v)
        for f, v in zip(statuses, values, strict=True)
    )
    # Listings without a status (the unknowns) are in the Active graph.
    return (OTHER_GRAPH if excludes_active else None), None


def _text_terms(semantic: str) -> str | None:
    """An OR query over the semantic words ("updated | kitchen"): any word may match; more
    matches rank higher. Only [a-z0-9] words, so nothing in the text is tsquery syntax."""
    words = list(dict.fromkeys(re.findall(r"[a-z0-9]+", semantic.lower())))[:MAX_SEMANTIC_TERMS]
    return " | ".join(words) if words else None


async def nearest(
    connection: AsyncConnection[Any],
    vector: np.ndarray[Any, Any],
    filters: Sequence[Filter],
    k: int,
    plan: Plan,
    pool: int = PlanSwitch().candidate_pool,
) -> list[tuple[str, float]]:
    """The k listings closest to `vector` among those meeting `filters`, with their distances,
    the way the search's vector ranking finds them ("index": HNSW candidates re-sorted exactly)
    or by an exact scan. For recall measurements (tests, bench/search.py)."""
    condition, params = met_condition(filters)
    literal = sql.Literal(vector_literal(vector))
    settings = SEARCH_SETTINGS if plan == "index" else EXACT_SCAN_SETTINGS
    nearest_first: sql.Composable = sql.SQL("")
    if plan == "index":
        graph, _ = status_graphs(filters)
        nearest_first = sql.SQL(
            graph_clause(graph)
            + " ORDER BY embedding::halfvec({n}) <=> {v}::halfvec({n}) LIMIT {pool}"
        ).format(n=sql.Literal(len(vector)), v=literal, pool=sql.Literal(max(pool, k)))
    statement = sql.SQL(
        "SELECT listing_key, d FROM (SELECT listing_key, embedding <=> {v}::vector AS d"
        " FROM listings WHERE {w}{nearest_first}) c ORDER BY d, listing_key LIMIT {k}"
    ).format(v=literal, w=condition, nearest_first=nearest_first, k=sql.Literal(k))
    async with connection.transaction():
        await connection.execute(settings_statement(settings))
        rows = await (await connection.execute(statement, params)).fetchall()
    return [(str(key), float(distance)) for key, distance in rows]
