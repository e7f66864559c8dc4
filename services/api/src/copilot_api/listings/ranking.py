"""The SQL of one search: tier counts, the plan switch, and the fused ranking of one tier.

A search costs three round trips in one transaction (sent as a pipeline, so the first one also
carries BEGIN and the settings): count both tiers, rank the listings that meet every filter
(with their documents), and, only when that page is short, rank the "unknown" tier.

The plan switch: an exact distance sort over the matching rows costs about one row visit per
match; the HNSW index with an iterative filtered scan costs about `pool / selectivity` graph
visits, each dearer than a row visit (a hop compares the query with a node's neighbours: about
2.5 row visits, measured at 100k listings). They cost the same near sqrt(2.5 x pool x table
rows) matches (12,000 at 100k listings, capped at 20,000 from 270,000 listings), so up to that
many matching rows the exact plan is used (and is exact), above it the index. With a filter on
the city or the property subtype, the exact plan reads a covering index that holds a
half-precision copy of each vector instead of the table; in a city it then applies up to
`max_city_exact_rows` matches. The count that decides it is also the search's `total`
(counted up to the threshold).

Ranking inside a tier is reciprocal rank fusion (k=60) of cosine similarity and full-text rank
over the candidates: the `pool` nearest matches on either plan (exactly the nearest on the exact
plan, as HNSW finds them on the index plan; every match when a sort orders the page), read from
the table with their full-precision vectors and text. The tsquery is parsed once per statement
(an InitPlan), not once per row. Ties break on distance, then ListingKey. With a `Sort`, the
sort field orders each tier first (nulls last).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from psycopg import AsyncConnection, sql

from copilot_api.listings.fields import FIELDS
from copilot_api.listings.sorting import Sort
from copilot_api.listings.store import COVERED_DIMENSIONS, VectorGraph, graph_clause

Plan = Literal["exact", "index"]
Condition = tuple[sql.Composable, list[Any]]

RRF_K: Final = 60
# HNSW candidate list; with iterative scans pgvector keeps scanning until the filter yields
# enough rows. relaxed_order may return rows slightly out of order: we re-sort exactly.
# Measured at 100k listings with agent query texts through the Active graph (bench/search.py,
# tie-aware recall@10 / ms for an Active search): ef_search/pool 400/400 -> 0.942 / 11 ms,
# 500/500 -> 0.955 / 13, 600/600 -> 0.963 / 15, 800/800 -> 0.977. A pool larger than ef_search
# makes the scan walk the graph a second time (400/600: 0.968 but 20 ms).
HNSW_EF_SEARCH: Final = 600
# Every setting of a search transaction, sent as one statement. The data is cached in memory,
# so random reads are cheap (the default 4.0 makes the planner AND huge bitmaps); the plan is
# chosen by us from the exact count, so the planner may not second-guess it with sequential
# scans, sorts or hash joins where an index serves (a sort is still used where nothing else
# can); JIT compilation costs more than these short queries.
SEARCH_SETTINGS: Final = {
    "random_page_cost": "1.1",
    "jit": "off",
    "hnsw.ef_search": str(HNSW_EF_SEARCH),
    "hnsw.iterative_scan": "relaxed_order",
    "hnsw.max_scan_tuples": "50000",  # the index plan serves filters down to 20,000 matches
    "enable_seqscan": "off",
    "enable_sort": "off",
    "enable_hashjoin": "off",
    "enable_mergejoin": "off",
}
# PostgreSQL cancels a search statement itself a little before the service would stop waiting
# for its reply (which drops the connection and refuses requests for a moment, as for a hung
# server): a search that is merely slow fails alone, with its own error (`search_timeout`).
STATEMENT_SHARE_OF_REPLY_TIMEOUT: Final = 0.8


def search_settings(reply_timeout_s: float) -> dict[str, str]:
    statement_ms = max(1, int(reply_timeout_s * 1000 * STATEMENT_SHARE_OF_REPLY_TIMEOUT))
    return SEARCH_SETTINGS | {"statement_timeout": str(statement_ms)}


# For recall measurements: an ORDER BY distance with no index scan at all is exact.
EXACT_SCAN_SETTINGS: Final = {"enable_indexscan": "off", "jit": "off"}


def settings_statement(settings: dict[str, str]) -> sql.Composed:
    """`SELECT set_config(...), ...` local to the transaction: one round trip for all."""
    calls = [
        sql.SQL("set_config({}, {}, true)").format(sql.Literal(name), sql.Literal(value))
        for name, value in settings.items()
    ]
    return sql.SQL("SELECT ") + sql.SQL(", ").join(calls)


@dataclass(frozen=True, slots=True)
class PlanSwitch:
    """Where the exact plan gives way to the index (see the module docstring)."""

    candidate_pool: int = HNSW_EF_SEARCH  # nearest candidates ranked (>= offset + limit)
    index_visit_cost: float = 2.5  # one graph visit of the index plan, in exact row visits
    min_exact_rows: int = 3_000  # the exact plan is never refused below this many matches
    max_exact_rows: int = 20_000  # nor used above it
    # In a city, the exact plan reads the city's range of its covering index (an entry costs
    # about a fifth of a table row visit) and only the pool from the table: cheaper than a
    # filtered HNSW scan up to far more matches (6,900 in Madison at 100k listings: 16 ms, was
    # 39 ms reading every match from the table).
    max_city_exact_rows: int = 100_000
    count_cap: int = 3_000  # `total` stops here (like Elasticsearch's track_total_hits)

    def threshold_sql(self) -> sql.Composable:
        """The threshold from the table's row estimate (pg_class), computed in the query."""
        return sql.SQL(
            "(SELECT least({high}, greatest({low}, sqrt({work} * greatest(reltuples, 0))))::int"
            " FROM pg_class WHERE oid = 'listings'::regclass)"
        ).format(
            high=sql.Literal(self.max_exact_rows),
            low=sql.Literal(self.min_exact_rows),
            work=sql.Literal(self.index_visit_cost * self.candidate_pool),
        )

    def threshold(self, table_rows: int) -> int:
        """The same formula in Python (documentation and tests)."""
        exact = math.sqrt(self.index_visit_cost * self.candidate_pool * max(table_rows, 0))
        return int(min(self.max_exact_rows, max(self.min_exact_rows, exact)))


@dataclass(frozen=True, slots=True)
class TierCounts:
    met: int  # counted up to threshold + 1
    unknown: int | None  # None: not counted (met exceeds the count cap: no page reaches it)
    threshold: int


@dataclass(frozen=True, slots=True)
class RankedRow:
    key: str
    score: float
    distance: float | None
    vector_rank: int | None
    text_rank: int | None
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ranker:
    """Ranks one tier for one query. `vector` is a pgvector literal (None: the query has no
    words to compare); `terms` an OR tsquery text (None: nothing for full-text search)."""

    vector: str | None
    dimensions: int
    terms: str | None
    sort: Sort | None
    switch: PlanSwitch

    async def count_and_rank(
        self,
        connection: AsyncConnection[Any],
        met: Condition,
        unknown: Condition,
        limit: int,
        offset: int,
        forced: Plan | None,
        *,
        keyed: bool = False,
        in_city: bool = False,
    ) -> tuple[TierCounts, list[RankedRow]]:
        """Count both tiers and, when the exact plan applies, rank the page of full matches in
        the same statement (the filters are evaluated once). `keyed`: the filters hold the city
        or the property subtype to one value or a few, keys of the covering index that holds
        the vectors; `in_city`: the city (the exact plan then serves far more matches)."""
        limited = forced != "exact"
        gate = {"exact": "true", "index": "false", None: "(SELECT n FROM met_count) <= threshold"}
        parts = {
            "where": met[0],
            "match_limit": sql.SQL("LIMIT (SELECT threshold + 1 FROM limits)" if limited else ""),
            "exact_gate": sql.SQL(gate[forced]),
            **self._parts(limit, offset),
        }
        matching, nearest = (
            (_MATCHING_FROM_COVER, _NEAREST_FROM_COVER) if keyed else (_MATCHING, _NEAREST)
        )
        threshold = (
            sql.Literal(self.switch.max_city_exact_rows) if in_city else self.switch.threshold_sql()
        )
        query = sql.SQL(_COUNT_AND_RANK + _RANKING + _COUNTED_PAGE).format(
            threshold=threshold,
            unknown=unknown[0],
            matching_scan=sql.SQL(matching).format(**parts),
            nearest_scan=sql.SQL(nearest).format(**parts),
            **parts,
        )
        rows = await (await connection.execute(query, [*met[1], *unknown[1]])).fetchall()
        met_count, unknown_count, threshold = rows[0][:3]
        counts = TierCounts(
            int(met_count), None if unknown_count is None else int(unknown_count), int(threshold)
        )
        return counts, [_ranked_row(row[3:]) for row in rows if row[3] is not None]

    async def rank(
        self,
        connection: AsyncConnection[Any],
        where: Condition,
        limit: int,
        offset: int,
        plan: Plan,
        graph: VectorGraph | None = None,
    ) -> list[RankedRow]:
        """Rows offset..offset+limit of the tier `where`, with their documents. `graph`: the
        HNSW graph that holds every row of the tier (None: no graph does; the index plan then
        sorts every row of the tier by distance)."""
        condition, params = where
        use_index = plan == "index" and self.vector is not None
        if not use_index:
            candidates, uses = _EXACT_CANDIDATES, 1
        elif self.sort is None:
            candidates, uses = _INDEX_CANDIDATES, 1
        else:
            candidates, uses = _SORTED_INDEX_CANDIDATES, 3
        query = sql.SQL(candidates + _RANKING + _PAGE_SELECT).format(
            where=condition, in_graph=sql.SQL(graph_clause(graph)), **self._parts(limit, offset)
        )
        rows = await (await connection.execute(query, params * uses)).fetchall()
        return [_ranked_row(row) for row in rows]

    def _parts(self, limit: int, offset: int) -> dict[str, sql.Composable]:
        """The pieces of the templates below that depend on the query, not on the filters."""
        return {
            "columns": self._columns(),
            "nearest": self._nearest(),
            "index_near": self._near(from_index=True),
            "table_near": self._near(from_index=False),
            "pool": sql.Literal(max(self.switch.candidate_pool, offset + limit)),
            # With a sort, the page's order is the sort field's: every match is a candidate.
            "exact_pool": (
                sql.SQL("ALL")
                if self.sort is not None
                else sql.Literal(max(self.switch.candidate_pool, offset + limit))
            ),
            "wanted": sql.Literal(offset + limit),
            "cap": sql.Literal(self.switch.count_cap),
            "sort_column": self._sort_column(),
            "cutoff": sql.SQL("max" if self._ascending else "min"),
            "within": sql.SQL("<=" if self._ascending else ">="),
            "direction": sql.SQL("ASC" if self._ascending else "DESC"),
            "order": self._order(),
            "k": sql.Literal(RRF_K),
            "limit": sql.Literal(limit),
            "offset": sql.Literal(offset),
        }

    @property
    def _ascending(self) -> bool:
        return self.sort is None or self.sort.direction == "asc"

    def _columns(self) -> sql.Composable:
        """distance, text_score and sort_value of a listings row."""
        distance: sql.Composable = (
            sql.SQL("l.embedding <=> {}::vector").format(sql.Literal(self.vector))
            if self.vector is not None
            else sql.SQL("NULL::float8")
        )
        text_score: sql.Composable = sql.SQL("NULL::real")
        if self.terms is not None:
            query = sql.SQL("(SELECT to_tsquery('english', {}))").format(sql.Literal(self.terms))
            text_score = sql.SQL(
                "CASE WHEN l.search_document @@ {q} THEN ts_rank(l.search_document, {q}) END"
            ).format(q=query)
        return sql.SQL("{} AS distance, {} AS text_score, {} AS sort_value").format(
            distance, text_score, self._sort_column()
        )

    def _sort_column(self) -> sql.Composable:
        if self.sort is None:
            return sql.SQL("NULL::float8")
        return sql.SQL("l.") + sql.SQL(FIELDS[self.sort.field].column)  # trusted catalogue

    def _near(self, *, from_index: bool) -> sql.Composable:
        """The distance that picks the exact plan's pool: from the city covering index's
        half-precision copy (`from_index`, when the vectors fit in it), else from the table's
        vector (the copy is stored out of line there)."""
        if self.vector is None:
            return sql.SQL("NULL::float8")
        if from_index and self.dimensions <= COVERED_DIMENSIONS:
            return sql.SQL("l.embedding_half <=> {}::halfvec").format(sql.Literal(self.vector))
        return sql.SQL("l.embedding <=> {}::vector").format(sql.Literal(self.vector))

    def _nearest(self) -> sql.Composable:
        """The HNSW order: the half-precision expression the index is built on."""
        if self.vector is None:
            return sql.SQL("l.listing_key")
        return sql.SQL("l.embedding::halfvec({dims}) <=> {vector}::halfvec({dims})").format(
            dims=sql.Literal(self.dimensions), vector=sql.Literal(self.vector)
        )

    def _order(self) -> sql.Composable:
        relevance = sql.SQL("score DESC, distance NULLS LAST, listing_key")
        if self.sort is None:
            return relevance
        direction = "ASC" if self._ascending else "DESC"
        return sql.SQL(f"sort_value {direction} NULLS LAST, ") + relevance


def _ranked_row(row: Sequence[Any]) -> RankedRow:
    key, score, distance, vector_rank, text_rank, document = row
    return RankedRow(
        key=str(key),
        score=float(score),
        distance=None if distance is None else float(distance),
        vector_rank=None if vector_rank is None else int(vector_rank),
        text_rank=None if text_rank is None else int(text_rank),
        document=dict(document),
    )


# The first statement of every search: the matching rows counted up to the plan threshold, the
# unknown tier counted only when a page can reach it, and, when the exact plan applies (a gate
# on the count, evaluated once), the pool nearest matches (every match with a sort) read from
# the table by primary key and ranked. The matches come from one of two scans (below).
_COUNT_AND_RANK: Final = """
WITH limits AS MATERIALIZED (SELECT {threshold} AS threshold),
{matching_scan}, met_count AS MATERIALIZED (
    SELECT count(*) AS n FROM matching
), unknown_count AS MATERIALIZED (
    SELECT CASE WHEN n <= {cap} THEN (
        SELECT count(*) FROM (SELECT 1 FROM listings WHERE {unknown} LIMIT {cap} + 1) unknowns
    ) END AS n
    FROM met_count
), {nearest_scan}, candidates AS MATERIALIZED (
    SELECT l.listing_key, {columns} FROM listings l
    WHERE l.listing_key = ANY (ARRAY(SELECT listing_key FROM nearest))
),"""

# Filters on a city or a property subtype: the filters and the half-precision distances from
# one index-only scan of the covering index that holds the vectors (migration 0070; keyed by
# city, then subtype: a subtype alone is a skip scan over the cities). Ordered by its keys
# because, with sorts disabled, no other path is free: the planner cannot trade it for a
# bitmap scan that reads every matching row from the table.
_MATCHING_FROM_COVER: Final = """matching AS MATERIALIZED (
    SELECT listing_key, {index_near} AS near FROM listings l WHERE {where}
    ORDER BY lower(l.city), lower(l.property_sub_type) {match_limit}
)"""
_NEAREST_FROM_COVER: Final = """nearest AS MATERIALIZED (
    SELECT listing_key FROM matching, limits WHERE {exact_gate}
    ORDER BY near NULLS LAST, listing_key LIMIT {exact_pool}
)"""

# Elsewhere: the keys from the planner's choice of index (the subtype-first covering index or
# one field's index), then the distances from the matching rows.
_MATCHING: Final = """matching AS MATERIALIZED (
    SELECT listing_key FROM listings l WHERE {where} {match_limit}
)"""
_NEAREST: Final = """nearest AS MATERIALIZED (
    SELECT l.listing_key FROM listings l, limits
    WHERE {exact_gate} AND l.listing_key = ANY (ARRAY(SELECT listing_key FROM matching))
    ORDER BY {table_near} NULLS LAST, l.listing_key LIMIT {exact_pool}
)"""

# One row per listing of the page (none: one row of nulls), each with the counts.
_COUNTED_PAGE: Final = """
SELECT met_count.n, unknown_count.n, limits.threshold,
    listing_key, score, distance, vector_rank, text_rank, data
FROM met_count CROSS JOIN unknown_count CROSS JOIN limits LEFT JOIN (
    SELECT page.*, l.data FROM page JOIN listings l USING (listing_key)
) found ON true
ORDER BY {order}
"""

# The exact plan for another tier (the unknowns): the same two steps, uncounted.
_EXACT_CANDIDATES: Final = """
WITH matching AS MATERIALIZED (
    SELECT listing_key FROM listings l WHERE {where}
), candidates AS MATERIALIZED (
    SELECT l.listing_key, {columns} FROM matching JOIN listings l USING (listing_key)
),"""

# The index plan ranks the `pool` nearest meeting the filters (HNSW, iterative scan), in the
# graph that holds the tier: stating the graph's predicate lets PostgreSQL use its index.
_INDEX_CANDIDATES: Final = """
WITH candidates AS MATERIALIZED (
    SELECT l.listing_key, {columns} FROM listings l WHERE {where}{in_graph}
    ORDER BY {nearest} LIMIT {pool}
),"""

# With a sort on the index plan, the candidates are the first `wanted` rows in sort order plus
# every row tied with the last of them (relevance breaks those ties); listings whose sort field
# is null come last, so the nearest of them are added only when too few have a value.
_SORTED_INDEX_CANDIDATES: Final = """
WITH head AS MATERIALIZED (
    SELECT {sort_column} AS value FROM listings l WHERE {where} AND {sort_column} IS NOT NULL
    ORDER BY {sort_column} {direction} LIMIT {wanted}
), candidates AS MATERIALIZED (
    SELECT l.listing_key, {columns} FROM listings l
    WHERE {where} AND {sort_column} {within} (SELECT {cutoff}(value) FROM head)
    UNION ALL (
        SELECT l.listing_key, {columns} FROM listings l
        WHERE {where}{in_graph} AND {sort_column} IS NULL
            AND (SELECT count(*) FROM head) < {wanted}
        ORDER BY {nearest} LIMIT {pool}
    )
),"""

# Reciprocal rank fusion over the candidates, then the page in the final order.
_RANKING: Final = """
ranked AS (
    SELECT listing_key, distance, text_score, sort_value,
        CASE WHEN distance IS NOT NULL
            THEN row_number() OVER (ORDER BY distance NULLS LAST, listing_key) END AS vector_rank,
        CASE WHEN text_score IS NOT NULL
            THEN row_number() OVER (ORDER BY text_score DESC NULLS LAST, listing_key) END
            AS text_rank
    FROM candidates
), scored AS (
    SELECT *, coalesce(1.0 / ({k} + vector_rank), 0) + coalesce(1.0 / ({k} + text_rank), 0)
        AS score
    FROM ranked
), page AS MATERIALIZED (
    SELECT * FROM scored ORDER BY {order} LIMIT {limit} OFFSET {offset}
)"""

_PAGE_SELECT: Final = """
SELECT listing_key, score, distance, vector_rank, text_rank, l.data
FROM page JOIN listings l USING (listing_key)
ORDER BY {order}
"""
