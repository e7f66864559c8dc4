"""Hybrid property search: hard filters in SQL, then vector similarity fused with full-text rank.

`SearchService.search` is the reusable entry point (the HTTP handler and workflow steps call it):

1. parse the query into filters and a semantic remainder (rules, or OpenAI with fallback);
2. merge client filters (a client filter replaces the parsed ones on its field) and add the
   default `StandardStatus = Active` unless a status was given;
3. count the listings that meet every filter, and those whose tested fields are null ("unknown";
   they rank after every listing that meets all filters);
4. rank inside each tier with reciprocal rank fusion (k=60) of cosine similarity and full-text
   rank; ties break on distance, then on ListingKey, so the order is deterministic;
5. choose the plan by the filter's selectivity: few matching rows -> exact distances over all of
   them (a B-tree prefilter, exact results); many -> the HNSW index with pgvector's iterative
   scan, so a filtered scan still returns enough rows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from psycopg import AsyncConnection, sql

from copilot_api.ai.embeddings import EmbeddingProvider
from copilot_api.listings.fields import public_listing
from copilot_api.listings.filters import (
    Filter,
    criterion,
    merge_filters,
    met_condition,
    unknown_condition,
    with_default_status,
)
from copilot_api.listings.parsing.model import ParsedQuery, QueryParser
from copilot_api.listings.vectors import vector_literal
from copilot_api.listings.vocabulary import VocabularyCache
from copilot_api.storage.database import Database

Plan = Literal["exact", "index"]

RRF_K: Final = 60
# Below this many matching rows an exact distance sort is faster than the HNSW index (and
# exact); measured at 100k listings, see bench/search.py.
EXACT_SCAN_MAX_ROWS: Final = 3_000
# Candidates taken from each ranking before fusion (at least offset + limit).
CANDIDATE_POOL: Final = 100
# HNSW candidate list; with iterative scans pgvector keeps scanning until the filter yields
# enough rows. relaxed_order may return rows slightly out of order: we re-sort exactly.
HNSW_EF_SEARCH: Final = 100
STATEMENT_TIMEOUT_MS: Final = 5_000
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
    took_ms: float
    provider: str
    parser: str
    plan: Plan


@dataclass(frozen=True, slots=True)
class _Ranked:
    key: str
    score: float
    distance: float | None
    vector_rank: int | None
    text_rank: int | None


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
    ) -> SearchResult:
        """`filters` add to (or, per field, override) the parsed ones; with `replace_filters`
        they are the whole set (a session that already holds refined filters). `plan` forces
        the exact or index path (benchmarks and tests); by default selectivity decides."""
        started = time.perf_counter()
        parsed = await self.parse(query)
        chosen = list(filters) if replace_filters else merge_filters(parsed.filters, filters)
        effective = with_default_status(chosen)
        semantic = parsed.semantic_text
        vector = (await self._embeddings.embed([semantic or query]))[0]
        has_vector = bool(np.any(vector))
        terms = _text_terms(semantic)
        async with self._database.pool.connection() as connection:
            met_total, unknown_total = await _counts(connection, effective)
            used_plan: Plan = plan or ("exact" if met_total <= EXACT_SCAN_MAX_ROWS else "index")
            ranked = await self._page(
                connection, effective, vector if has_vector else None, terms,
                limit, offset, met_total, unknown_total, used_plan,
            )  # fmt: skip
            documents = await _documents(connection, [item.key for item in ranked])
        hits = [
            SearchHit(
                listing=public_listing(documents[item.key]),
                score=round(item.score, 6),
                criteria=[criterion(f, documents[item.key]) for f in effective],
                ranking={
                    "similarity": None if item.distance is None else round(1 - item.distance, 4),
                    "vector_rank": item.vector_rank,
                    "text_rank": item.text_rank,
                },
            )
            for item in ranked
            if item.key in documents  # deleted between ranking and fetching
        ]
        return SearchResult(
            query=query,
            filters=effective,
            semantic_query=semantic,
            hits=hits,
            total=met_total + unknown_total,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            provider=self._embeddings.space.provider,
            parser=parsed.parser,
            plan=used_plan,
        )

    async def _page(
        self,
        connection: AsyncConnection[Any],
        filters: list[Filter],
        vector: np.ndarray[Any, Any] | None,
        terms: str | None,
        limit: int,
        offset: int,
        met_total: int,
        unknown_total: int,
        plan: Plan,
    ) -> list[_Ranked]:
        """Rows offset..offset+limit of [met tier, then unknown tier]."""
        page: list[_Ranked] = []
        if offset < met_total:
            where = met_condition(filters)
            tier_plan = plan
            page += await _rank(connection, where, vector, terms, limit, offset, tier_plan)
        remaining = limit - len(page)
        if remaining > 0 and unknown_total > 0:
            where = unknown_condition(filters)
            tier_offset = max(0, offset - met_total)
            tier_plan = "exact" if unknown_total <= EXACT_SCAN_MAX_ROWS else "index"
            page += await _rank(connection, where, vector, terms, remaining, tier_offset, tier_plan)
        return page


def _text_terms(semantic: str) -> str | None:
    """An OR query over the semantic words ("updated | kitchen"): any word may match; more
    matches rank higher. Only [a-z0-9] words, so nothing in the text is tsquery syntax."""
    words = list(dict.fromkeys(re.findall(r"[a-z0-9]+", semantic.lower())))[:MAX_SEMANTIC_TERMS]
    return " | ".join(words) if words else None


async def _counts(connection: AsyncConnection[Any], filters: list[Filter]) -> tuple[int, int]:
    met, met_params = met_condition(filters)
    unknown, unknown_params = unknown_condition(filters)
    query = sql.SQL(
        "SELECT (SELECT count(*) FROM listings WHERE {}), (SELECT count(*) FROM listings WHERE {})"
    ).format(met, unknown)
    row = await (await connection.execute(query, [*met_params, *unknown_params])).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


_EXACT: Final = """
WITH candidates AS MATERIALIZED (
    SELECT listing_key, created_at, {distance} AS distance, {text_score} AS text_score
    FROM listings WHERE {where}
), ranked AS (
    SELECT listing_key, created_at, distance, text_score,
        CASE WHEN distance IS NOT NULL
            THEN row_number() OVER (ORDER BY distance NULLS LAST, listing_key) END AS vector_rank,
        CASE WHEN text_score IS NOT NULL
            THEN row_number() OVER (ORDER BY text_score DESC NULLS LAST, listing_key) END
            AS text_rank
    FROM candidates
)
SELECT listing_key,
    coalesce(1.0 / ({k} + vector_rank), 0) + coalesce(1.0 / ({k} + text_rank), 0) AS score,
    distance, vector_rank, text_rank
FROM ranked
ORDER BY score DESC, distance NULLS LAST, created_at DESC, listing_key
LIMIT %s OFFSET %s
"""

_INDEX: Final = """
WITH by_vector AS MATERIALIZED (
    SELECT listing_key, embedding <=> %s::vector AS distance
    FROM listings WHERE {where}
    ORDER BY embedding <=> %s::vector
    LIMIT %s
), by_text AS MATERIALIZED (
    SELECT listing_key, {text_score} AS text_score
    FROM listings WHERE {where} AND {text_match}
    ORDER BY text_score DESC, listing_key
    LIMIT %s
), fused AS (
    SELECT coalesce(v.listing_key, t.listing_key) AS listing_key, v.distance, t.text_score,
        v.vector_rank, t.text_rank
    FROM (SELECT listing_key, distance,
              row_number() OVER (ORDER BY distance, listing_key) AS vector_rank
          FROM by_vector) v
    FULL JOIN (SELECT listing_key, text_score,
              row_number() OVER (ORDER BY text_score DESC, listing_key) AS text_rank
          FROM by_text) t USING (listing_key)
)
SELECT listing_key,
    coalesce(1.0 / ({k} + vector_rank), 0) + coalesce(1.0 / ({k} + text_rank), 0) AS score,
    distance, vector_rank, text_rank
FROM fused
ORDER BY score DESC, distance NULLS LAST, listing_key
LIMIT %s OFFSET %s
"""


async def _rank(
    connection: AsyncConnection[Any],
    where: tuple[sql.Composable, list[Any]],
    vector: np.ndarray[Any, Any] | None,
    terms: str | None,
    limit: int,
    offset: int,
    plan: Plan,
) -> list[_Ranked]:
    condition, params = where
    literal = None if vector is None else vector_literal(vector)
    tsquery = sql.SQL("to_tsquery('english', %s)")
    text_score = (
        sql.SQL("CASE WHEN search_document @@ {q} THEN ts_rank(search_document, {q}) END").format(
            q=tsquery
        )
        if terms
        else sql.SQL("NULL::real")
    )
    text_params = [terms, terms] if terms else []
    async with connection.transaction():
        await connection.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
        if plan == "index" and literal is not None:
            await connection.execute(f"SET LOCAL hnsw.ef_search = {HNSW_EF_SEARCH}")
            await connection.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            pool = max(CANDIDATE_POOL, offset + limit)
            text_match = (
                sql.SQL("search_document @@ {}").format(tsquery) if terms else sql.SQL("false")
            )
            query = sql.SQL(_INDEX).format(
                where=condition, text_score=text_score, text_match=text_match, k=sql.Literal(RRF_K)
            )
            values: list[Any] = [
                literal, *params, literal, pool,
                *text_params, *params, *([terms] if terms else []), pool,
                limit, offset,
            ]  # fmt: skip
        else:
            distance = (
                sql.SQL("embedding <=> %s::vector")
                if literal is not None
                else sql.SQL("NULL::float8")
            )
            query = sql.SQL(_EXACT).format(
                distance=distance, text_score=text_score, where=condition, k=sql.Literal(RRF_K)
            )
            values = [
                *([literal] if literal is not None else []),
                *text_params,
                *params,
                limit,
                offset,
            ]
        cursor = await connection.execute(query, values)
        rows = await cursor.fetchall()
    return [
        _Ranked(
            key=str(key),
            score=float(score),
            distance=None if distance is None else float(distance),
            vector_rank=None if vector_rank is None else int(vector_rank),
            text_rank=None if text_rank is None else int(text_rank),
        )
        for key, score, distance, vector_rank, text_rank in rows
    ]


async def _documents(
    connection: AsyncConnection[Any], keys: list[str]
) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    cursor = await connection.execute(
        "SELECT listing_key, data FROM listings WHERE listing_key = ANY(%s)", (keys,)
    )
    return {str(key): dict(data) for key, data in await cursor.fetchall()}
