"""The raw-SQL anchor of the search benchmark: the best hand-written SQL for the same searches.

Each HTTP query's filters (as the service parsed them) and semantic words become one statement
sent straight through psycopg: the hard filters, then the ten nearest (in the order of the
half-precision HNSW graph of their status), with the documents. The planner picks a B-tree
prefilter or the HNSW index (iterative scan), as a developer tuning one query would. It does
no counting, no text rank and no HTTP, so it is a floor the service's cost is compared with on
the same machine in the same run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.listings.filters import Filter, met_condition, parse_filters
from copilot_api.listings.ranking import HNSW_EF_SEARCH
from copilot_api.listings.search import status_graphs
from copilot_api.listings.store import graph_clause
from copilot_api.listings.vectors import vector_literal

SESSION_SETTINGS = (
    f"SET hnsw.ef_search = {HNSW_EF_SEARCH}",
    "SET hnsw.iterative_scan = relaxed_order",
    "SET random_page_cost = 1.1",
    "SET jit = off",
)


@dataclass(frozen=True, slots=True)
class AnchorQuery:
    statement: sql.Composed
    params: list[Any]


def anchor_queries(
    answers: Sequence[dict[str, Any]], provider: LocalEmbeddingProvider
) -> list[AnchorQuery]:
    """One statement per HTTP answer (its `filters` and `semantic_query`)."""
    queries = []
    for answer in answers:
        filters: list[Filter] = parse_filters(answer["filters"])
        condition, params = met_condition(filters)
        graph, _ = status_graphs(filters)  # the HNSW graph of the status, as searches walk it
        condition = condition + sql.SQL(graph_clause(graph))
        vector = provider.embed_sync([answer["semantic_query"] or answer["query"]])[0]
        if not np.any(vector):
            statement = sql.SQL(
                "SELECT listing_key, data FROM listings WHERE {} ORDER BY listing_key LIMIT 10"
            ).format(condition)
            queries.append(AnchorQuery(statement, params))
            continue
        statement = sql.SQL(
            "SELECT listing_key, data FROM listings WHERE {}"
            " ORDER BY embedding::halfvec({dims}) <=> %s::halfvec({dims}) LIMIT 10"
        ).format(condition, dims=sql.Literal(len(vector)))
        queries.append(AnchorQuery(statement, [*params, vector_literal(vector)]))
    return queries


async def run_anchor(
    url: str, queries: Sequence[AnchorQuery], requests: int, concurrency: int, warmup: int
) -> tuple[list[float], float]:
    """Latencies (ms) of the timed statements and the wall time they took (s)."""
    latencies: list[float] = []
    counter = iter(range(warmup + requests))
    timed_started: list[float] = []

    async def worker() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            for setting in SESSION_SETTINGS:
                await connection.execute(setting)
            while (index := next(counter, None)) is not None:
                if index == warmup:
                    timed_started.append(time.perf_counter())
                query = queries[index % len(queries)]
                started = time.perf_counter()
                cursor = await connection.execute(query.statement, query.params, prepare=True)
                await cursor.fetchall()
                if index >= warmup:
                    latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    finished = time.perf_counter()
    return latencies, finished - (timed_started[0] if timed_started else started)
