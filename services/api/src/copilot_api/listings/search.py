"""Hybrid property search: hard filters in SQL, then vector similarity fused with full-text rank.

`SearchService.search` is the reusable entry point (the HTTP handler and workflow steps call it):

1. parse the query into filters and a semantic remainder (rules, or OpenAI with fallback);
2. merge client filters (a client filter replaces the parsed ones on its field) and add the
   default `StandardStatus = Active` unless a status was given;
3. choose the plan by the filter's estimated selectivity (the planner's row estimate): up to
   3,000 matching rows -> exact distances over all of them (a B-tree prefilter, exact results,
   and the count comes with the ranking: the filters are evaluated once); more -> the HNSW
   index with pgvector's iterative scan, so a filtered scan still returns enough rows (an
   estimate that turns out wrong is corrected by the actual count);
4. count the listings that meet every filter, and those whose tested fields are null
   ("unknown": they rank after every listing that meets all filters); like Elasticsearch,
   counting stops past 3,000 matches (`total_relation` is then "gte");
5. rank inside each tier with reciprocal rank fusion (k=60) of cosine similarity and full-text
   rank; ties break on distance, then on ListingKey, so the order is deterministic. On the
   exact plan every matching listing gets both ranks; on the index plan the full-text rank
   re-orders the nearest candidates (ranking tens of thousands of documents by text would cost
   more than the whole search budget).
6. with an explicit `sort` ("cheapest first"), the sort field orders each tier instead, nulls
   last, relevance and then ListingKey breaking ties (see listings/sorting.py): the candidates
   are the rows up to the page's last sort value (ties included), found through the field's
   B-tree index, then ranked as above.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from psycopg import AsyncConnection, sql

from copilot_api.ai.embeddings import EmbeddingProvider
from copilot_api.listings.fields import FIELDS, public_listing
from copilot_api.listings.filters import (
    Filter,
    criterion,
    merge_filters,
    met_condition,
    unknown_condition,
    with_default_status,
)
from copilot_api.listings.parsing.model import ParsedQuery, QueryParser
from copilot_api.listings.sorting import Sort
from copilot_api.listings.vectors import vector_literal
from copilot_api.listings.vocabulary import VocabularyCache
from copilot_api.storage.database import Database

Plan = Literal["exact", "index"]
PlanUsed = Literal["exact", "index", "sorted"]
Condition = tuple[sql.Composable, list[Any]]

RRF_K: Final = 60
# Up to this many matching rows an exact distance sort beats the HNSW index (and is exact);
# measured at 100k listings, see bench/search.py. An underestimate is tolerated up to the guard.
EXACT_SCAN_MAX_ROWS: Final = 3_000
EXACT_SCAN_GUARD: Final = 2 * EXACT_SCAN_MAX_ROWS
# Counting broad matches stops here (like Elasticsearch's track_total_hits): beyond, `total`
# is a floor. Counting visits one heap row per match, so the cap bounds the cost.
COUNT_CAP: Final = EXACT_SCAN_MAX_ROWS
# Nearest candidates the index plan ranks (at least offset + limit).
CANDIDATE_POOL: Final = 100
# HNSW candidate list; with iterative scans pgvector keeps scanning until the filter yields
# enough rows. relaxed_order may return rows slightly out of order: we re-sort exactly.
HNSW_EF_SEARCH: Final = 100
# The index plan is chosen by us, from the filter's selectivity; these keep the planner from
# second-guessing it on small or skewed tables (a sort is still used where nothing else can).
INDEX_PATH_SETTINGS: Final = (
    f"SET LOCAL hnsw.ef_search = {HNSW_EF_SEARCH}",
    "SET LOCAL hnsw.iterative_scan = relaxed_order",
    "SET LOCAL enable_seqscan = off",
    "SET LOCAL enable_sort = off",
)
# Every search transaction: the data is cached in memory, so random heap reads are cheap (the
# default 4.0 assumes spinning disks and makes the planner AND huge bitmaps to avoid them).
SEARCH_SETTINGS: Final = (
    "SET LOCAL statement_timeout = 5000",
    "SET LOCAL random_page_cost = 1.1",
)
# The exact plan reads a few thousand rows by key: never hash the whole table for that.
EXACT_PATH_SETTINGS: Final = ("SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off")
# For recall measurements: an ORDER BY distance with no index scan at all is exact.
EXACT_SCAN_SETTINGS: Final = ("SET LOCAL enable_indexscan = off",)
MAX_SEMANTIC_TERMS: Final = 32


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


@dataclass(frozen=True, slots=True)
class _Ranked:
    key: str
    score: float
    distance: float | None
    vector_rank: int | None
    text_rank: int | None


@dataclass(frozen=True, slots=True)
class _Tiers:
    met: int
    unknown: int
    complete: bool  # False: counting stopped at COUNT_CAP, the total is a floor


@dataclass(frozen=True, slots=True)
class _Outcome:
    page: list[_Ranked]
    tiers: _Tiers
    plan: PlanUsed


class SearchService:
    def __init__(
        self,
        database: Database,
        embeddings: EmbeddingProvider,
        parser: QueryParser,
        vocabulary: VocabularyCache,
    ) -> None:
        self._database = database
        self._embeddings = embeddings
        self._parser = parser
        self._vocabulary = vocabulary

    @property
    def vocabulary(self) -> VocabularyCache:
        return self._vocabulary

    async def parse(self, query: str) -> ParsedQuery:
        return await self._parser.parse(query, self._vocabulary.current)

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
        index path (benchmarks and tests); by default selectivity decides. `sort` (else the
        parsed one) orders each tier by a field instead of relevance."""
        started = time.perf_counter()
        parsed = parsed or await self.parse(query)
        chosen = list(filters) if replace_filters else merge_filters(parsed.filters, filters)
        effective = with_default_status(chosen)
        vector = (await self._embeddings.embed([parsed.semantic_text or query]))[0]
        order = sort or parsed.sort
        ranking = _Ranking(
            vector=vector if np.any(vector) else None,
            terms=_text_terms(parsed.semantic_text),
            sort=order,
        )
        async with self._database.pool.connection() as connection, connection.transaction():
            for setting in SEARCH_SETTINGS:
                await connection.execute(setting)
            outcome = await ranking.search(connection, effective, limit, offset, plan)
            documents = await _documents(connection, [item.key for item in outcome.page])
        tiers = outcome.tiers
        return SearchResult(
            query=query,
            filters=effective,
            semantic_query=parsed.semantic_text,
            hits=[
                _hit(item, documents[item.key], effective)
                for item in outcome.page
                if item.key in documents  # deleted meanwhile
            ],
            total=tiers.met + tiers.unknown,
            total_relation="eq" if tiers.complete else "gte",
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            provider=self._embeddings.space.provider,
            parser=parsed.parser,
            plan=outcome.plan,
            sort=order,
        )


def _hit(item: _Ranked, document: dict[str, Any], filters: list[Filter]) -> SearchHit:
    return SearchHit(
        listing=public_listing(document),
        score=round(item.score, 6),
        criteria=[criterion(f, document) for f in filters],
        ranking={
            "similarity": None if item.distance is None else round(1 - item.distance, 4),
            "vector_rank": item.vector_rank,
            "text_rank": item.text_rank,
        },
    )


def _text_terms(semantic: str) -> str | None:
    """An OR query over the semantic words ("updated | kitchen"): any word may match; more
    matches rank higher. Only [a-z0-9] words, so nothing in the text is tsquery syntax."""
    words = list(dict.fromkeys(re.findall(r"[a-z0-9]+", semantic.lower())))[:MAX_SEMANTIC_TERMS]
    return " | ".join(words) if words else None


async def _estimate(connection: AsyncConnection[Any], where: Condition) -> float:
    """The planner's estimate of the matching rows (planning only, well under a millisecond)."""
    condition, params = where
    query = sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM listings WHERE {}").format(condition)
    row = await (await connection.execute(query, params)).fetchone()
    assert row is not None
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return float(plan[0]["Plan"]["Plan Rows"])


async def _count(connection: AsyncConnection[Any], where: Condition, cap: int) -> int:
    """Matching rows, counted up to `cap` (the scan stops early on broad filters)."""
    condition, params = where
    query = sql.SQL(
        "SELECT count(*) FROM (SELECT 1 FROM listings WHERE {} LIMIT %s) matching"
    ).format(condition)
    row = await (await connection.execute(query, [*params, cap])).fetchone()
    assert row is not None
    return int(row[0])


# Both plans build `candidates` their own way, then rank them the same way: reciprocal rank
# fusion of the vector and full-text ranks.
_FUSED_RANKING: Final = """
ranked AS (
    SELECT *,
        CASE WHEN distance IS NOT NULL
            THEN row_number() OVER (ORDER BY distance NULLS LAST, listing_key) END AS vector_rank,
        CASE WHEN text_score IS NOT NULL
            THEN row_number() OVER (ORDER BY text_score DESC NULLS LAST, listing_key) END
            AS text_rank
    FROM candidates
)
SELECT listing_key,
    coalesce(1.0 / ({k} + vector_rank), 0) + coalesce(1.0 / ({k} + text_rank), 0) AS score,
    distance, vector_rank, text_rank, count(*) OVER () AS candidates
FROM ranked
ORDER BY {order}score DESC, distance NULLS LAST, listing_key
LIMIT %s OFFSET %s
"""

# The index plan takes the `pool` nearest through HNSW (the ORDER BY ... LIMIT in `limited`)
# and ranks those; the exact plan ranks every matching row (at most the guard: more means the
# estimate was wrong). `candidates` in the result counts what was ranked.
_INDEX_CANDIDATES: Final = """
WITH candidates AS MATERIALIZED (
    SELECT listing_key, {distance} AS distance, {text_score} AS text_score
    FROM listings WHERE {where}
    {limited}
),"""

# The exact plan finds the matching keys first: an index-only scan of the covering index
# when the pages are all-visible. Only those rows are then read, by primary key.
_EXACT_CANDIDATES: Final = """
WITH matching AS MATERIALIZED (
    SELECT listing_key FROM listings WHERE {where} {limited}
), candidates AS MATERIALIZED (
    SELECT listing_key, {distance} AS distance, {text_score} AS text_score
    FROM matching JOIN listings USING (listing_key)
),"""


# A sorted page needs the rows up to its last sort value, ties included: `boundary` is that
# value (an index scan of the sort field), and every row not beyond it is a candidate. With
# fewer rows than the page, or a page reaching the null values, every row is.
_SORTED_CANDIDATES: Final = """
WITH boundary AS MATERIALIZED (
    SELECT {column} AS value FROM listings WHERE {where}
    ORDER BY {column} {direction} NULLS LAST LIMIT 1 OFFSET %s
), candidates AS MATERIALIZED (
    SELECT listing_key, {column} AS sort_value, {distance} AS distance,
        {text_score} AS text_score
    FROM listings
    WHERE {where} AND (NOT EXISTS (SELECT 1 FROM boundary)
        OR (SELECT value FROM boundary) IS NULL
        OR {column} {not_beyond} (SELECT value FROM boundary))
),"""


def sort_order(sort: Sort | None) -> sql.Composable:
    """The ORDER BY prefix of a sorted ranking ("" without a sort): the sort field first,
    nulls last; relevance and ListingKey then break ties."""
    if sort is None:
        return sql.SQL("")
    return sql.SQL("sort_value {} NULLS LAST, ").format(sql.SQL(sort.direction.upper()))


@dataclass(frozen=True, slots=True)
class _Ranking:
    vector: np.ndarray[Any, Any] | None  # None: the query has no words to compare
    terms: str | None  # None: nothing for full-text search
    sort: Sort | None = None

    async def search(
        self,
        connection: AsyncConnection[Any],
        filters: list[Filter],
        limit: int,
        offset: int,
        forced: Plan | None,
    ) -> _Outcome:
        """Rows offset..offset+limit of [listings meeting every filter, then unknowns]."""
        if self.sort is not None:
            return await self._sorted(connection, filters, limit, offset)
        met = met_condition(filters)
        plan: Plan = forced or (
            "exact" if await _estimate(connection, met) <= EXACT_SCAN_MAX_ROWS else "index"
        )
        page: list[_Ranked] = []
        met_total: int | None = None
        if plan == "exact":
            guard = None if forced else EXACT_SCAN_GUARD
            page, ranked = await self.rank(connection, met, limit, offset, "exact", guard)
            if ranked is not None and (ranked <= EXACT_SCAN_GUARD or forced):
                met_total = ranked
            elif ranked is None:  # the page is past the end: nothing says how many matched
                met_total = await _count(connection, met, EXACT_SCAN_GUARD + 1)
            else:
                plan = "index"  # the estimate was far too low
        complete = True
        if met_total is None:
            met_total = await _count(connection, met, COUNT_CAP + 1)
            complete = met_total <= COUNT_CAP
            if complete and not forced:
                plan = "exact"  # the estimate was far too high
            met_total = min(met_total, COUNT_CAP)
            page, _ = await self.rank(connection, met, limit, offset, plan)
        if offset >= met_total:
            page = []

        async def rank_unknown(
            where: Condition, count: int, start: int, total: int
        ) -> list[_Ranked]:
            tier_plan: Plan = "exact" if total <= EXACT_SCAN_MAX_ROWS else "index"
            return (await self.rank(connection, where, count, start, tier_plan))[0]

        return await _with_unknowns(
            connection, filters, page, met_total, complete, limit, offset, rank_unknown, plan
        )

    def _score_columns(self, literal: str | None) -> dict[str, sql.Composable]:
        """The `distance` and `text_score` expressions of a candidate row."""
        return {
            "distance": sql.SQL("embedding <=> %s::vector" if literal else "NULL::float8"),
            "text_score": sql.SQL(
                "CASE WHEN search_document @@ to_tsquery('english', %s)"
                " THEN ts_rank(search_document, to_tsquery('english', %s)) END"
                if self.terms
                else "NULL::real"
            ),
        }

    def _score_values(self, literal: str | None) -> list[Any]:
        """The parameters of `_score_columns`, in order."""
        return [*([literal] if literal else []), *([self.terms] * 2 if self.terms else [])]

    async def _sorted(
        self, connection: AsyncConnection[Any], filters: list[Filter], limit: int, offset: int
    ) -> _Outcome:
        """The tiers as in `search`, each ordered by the sort field."""
        met = met_condition(filters)
        met_total = await _count(connection, met, COUNT_CAP + 1)
        complete = met_total <= COUNT_CAP
        met_total = min(met_total, COUNT_CAP)
        page = await self._rank_sorted(connection, met, limit, offset) if offset < met_total else []

        async def rank_unknown(where: Condition, count: int, start: int, _: int) -> list[_Ranked]:
            return await self._rank_sorted(connection, where, count, start)

        return await _with_unknowns(
            connection, filters, page, met_total, complete, limit, offset, rank_unknown, "sorted"
        )

    async def _rank_sorted(
        self, connection: AsyncConnection[Any], where: Condition, limit: int, offset: int
    ) -> list[_Ranked]:
        assert self.sort is not None
        condition, params = where
        column = sql.SQL(FIELDS[self.sort.field].column)  # trusted: from the field catalogue
        literal = None if self.vector is None else vector_literal(self.vector)
        candidates = sql.SQL(_SORTED_CANDIDATES).format(
            column=column,
            direction=sql.SQL(self.sort.direction.upper()),
            not_beyond=sql.SQL("<=" if self.sort.direction == "asc" else ">="),
            where=condition,
            **self._score_columns(literal),
        )
        query = candidates + sql.SQL(_FUSED_RANKING).format(
            k=sql.Literal(RRF_K), order=sort_order(self.sort)
        )
        values = [*params, offset + limit - 1, *self._score_values(literal), *params, limit, offset]
        rows = await (await connection.execute(query, values)).fetchall()
        return [_ranked(row) for row in rows]

    async def rank(
        self,
        connection: AsyncConnection[Any],
        where: Condition,
        limit: int,
        offset: int,
        plan: Plan,
        guard: int | None = EXACT_SCAN_GUARD,
    ) -> tuple[list[_Ranked], int | None]:
        """The page, and how many rows were ranked (None when the page is empty). The exact
        plan ranks at most `guard` + 1 rows (None: all)."""
        condition, params = where
        literal = None if self.vector is None else vector_literal(self.vector)
        use_index = plan == "index" and literal is not None
        candidates = sql.SQL(_INDEX_CANDIDATES if use_index else _EXACT_CANDIDATES).format(
            **self._score_columns(literal),
            where=condition,
            limited=sql.SQL(
                "ORDER BY embedding <=> %s::vector LIMIT %s"
                if use_index
                else ("" if guard is None else "LIMIT %s")
            ),
        )
        query = candidates + sql.SQL(_FUSED_RANKING).format(
            k=sql.Literal(RRF_K), order=sort_order(None)
        )
        scores = self._score_values(literal)
        if use_index:  # scores in the select list, then the filters, then the HNSW order
            values = [*scores, *params, literal, max(CANDIDATE_POOL, offset + limit)]
        else:  # the matching keys first, then the scores of those rows
            values = [*params, *([] if guard is None else [guard + 1]), *scores]
        values += [limit, offset]
        async with connection.transaction():  # a savepoint: the plan settings stay local
            for setting in INDEX_PATH_SETTINGS if use_index else EXACT_PATH_SETTINGS:
                await connection.execute(setting)
            rows = await (await connection.execute(query, values)).fetchall()
        return [_ranked(row) for row in rows], (int(rows[0][5]) if rows else None)


RankTier = Callable[[Condition, int, int, int], Awaitable[list[_Ranked]]]


async def _with_unknowns(
    connection: AsyncConnection[Any],
    filters: list[Filter],
    page: list[_Ranked],
    met_total: int,
    complete: bool,
    limit: int,
    offset: int,
    rank_unknown: RankTier,
    plan: PlanUsed,
) -> _Outcome:
    """Fill the page past the full matches with the "unknown" tier, ranked by `rank_unknown`
    (where, count, tier offset, tier size). When counting the matches stopped at the cap, no
    page reaches the unknown tier (offset <= 1,000)."""
    unknown_total = 0
    if complete:
        unknown = unknown_condition(filters)
        unknown_total = await _count(connection, unknown, COUNT_CAP + 1)
        complete = unknown_total <= COUNT_CAP
        unknown_total = min(unknown_total, COUNT_CAP)
        remaining = limit - len(page)
        if remaining > 0 and unknown_total > 0:
            tier_offset = max(0, offset - met_total)
            page = page + await rank_unknown(unknown, remaining, tier_offset, unknown_total)
    return _Outcome(page, _Tiers(met_total, unknown_total, complete), plan)


def _ranked(row: Sequence[Any]) -> _Ranked:
    key, score, distance, vector_rank, text_rank, _ = row
    return _Ranked(
        key=str(key),
        score=float(score),
        distance=None if distance is None else float(distance),
        vector_rank=None if vector_rank is None else int(vector_rank),
        text_rank=None if text_rank is None else int(text_rank),
    )


async def _documents(
    connection: AsyncConnection[Any], keys: list[str]
) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    cursor = await connection.execute(
        "SELECT listing_key, data FROM listings WHERE listing_key = ANY(%s)", (keys,)
    )
    return {str(key): dict(data) for key, data in await cursor.fetchall()}


async def nearest_keys(
    connection: AsyncConnection[Any],
    vector: np.ndarray[Any, Any],
    filters: Sequence[Filter],
    k: int,
    plan: Plan,
) -> list[str]:
    """The k listings closest to `vector` among those meeting `filters`, the way the search's
    vector ranking finds them ("index": HNSW candidates re-sorted exactly) or by an exact scan.
    For recall measurements (tests, bench/search.py)."""
    condition, params = met_condition(filters)
    literal = vector_literal(vector)
    async with connection.transaction():
        for setting in INDEX_PATH_SETTINGS if plan == "index" else EXACT_SCAN_SETTINGS:
            await connection.execute(setting)
        if plan == "index":
            query = sql.SQL(
                "SELECT listing_key FROM (SELECT listing_key, embedding <=> %s::vector AS d"
                " FROM listings WHERE {} ORDER BY embedding <=> %s::vector LIMIT %s) c"
                " ORDER BY d, listing_key LIMIT %s"
            ).format(condition)
            values: list[Any] = [literal, *params, literal, max(CANDIDATE_POOL, k), k]
        else:
            query = sql.SQL(
                "SELECT listing_key FROM listings WHERE {}"
                " ORDER BY embedding <=> %s::vector, listing_key LIMIT %s"
            ).format(condition)
            values = [*params, literal, k]
        rows = await (await connection.execute(query, values)).fetchall()
    return [str(key) for (key,) in rows]
