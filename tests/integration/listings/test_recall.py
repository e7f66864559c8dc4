"""The HNSW path against an exact scan, with embeddings of realistic text (random vectors would
say nothing: their neighbours are arbitrary). Recall is tie-aware, as ANN benchmarks measure it:
a result counts when its exact distance is within 1e-6 of the 10th true distance (hashed short
texts tie often, and which of the tied listings comes back is arbitrary)."""

from __future__ import annotations

import asyncio
import statistics

import psycopg
import pytest

from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.listings import store
from copilot_api.listings.fields import Op
from copilot_api.listings.filters import Filter, met_condition
from copilot_api.listings.ranking import EXACT_SCAN_SETTINGS, SEARCH_SETTINGS, settings_statement
from copilot_api.listings.search import nearest, status_graphs
from copilot_api.listings.store import ACTIVE_GRAPH, OTHER_GRAPH
from copilot_api.listings.vectors import vector_literal
from tests.integration.listings.conftest import DIMENSIONS

QUERIES = [
    "updated kitchen with quartz counters and a large island",
    "craftsman bungalow with a covered front porch",
    "finished basement with a rec room and a home office",
    "private heated pool with a sunny deck",
    "waterfront setting with a private dock",
    "single-level living close to parks and playgrounds",
    "hardwood floors and vaulted ceilings",
    "fenced backyard with fruit trees and a fire pit",
    "walk to restaurants and coffee shops",
    "new construction with a builder warranty",
]
# As searches send them: the default status filter is part of every set.
ACTIVE = Filter("StandardStatus", Op.EQ, "Active")
FILTER_SETS = [
    [ACTIVE],
    [Filter("ListPrice", Op.LTE, 600000), ACTIVE],
    [Filter("BedroomsTotal", Op.GTE, 3), ACTIVE],
    [Filter("City", Op.IN, ["Austin", "Denver", "Raleigh"]), ACTIVE],
]


def test_hnsw_recall_at_10_against_an_exact_scan(sample_db_url: str) -> None:
    vectors = LocalEmbeddingProvider(DIMENSIONS).embed_sync(QUERIES)

    async def measure() -> list[float]:
        recalls = []
        async with await psycopg.AsyncConnection.connect(sample_db_url, autocommit=True) as conn:
            for filters in FILTER_SETS:
                for vector in vectors:
                    exact = await nearest(conn, vector, filters, 10, "exact")
                    approximate = await nearest(conn, vector, filters, 10, "index")
                    assert len(exact) == 10
                    tenth = exact[-1][1]
                    within = [key for key, distance in approximate if distance <= tenth + 1e-6]
                    recalls.append(len(within) / 10)
        return recalls

    recalls = asyncio.run(measure())
    assert statistics.mean(recalls) >= 0.95, recalls
    assert min(recalls) >= 0.7, recalls


@pytest.mark.parametrize("plan", ["index", "exact"])
@pytest.mark.parametrize(
    ("status", "graph"),
    [(ACTIVE, ACTIVE_GRAPH), (Filter("StandardStatus", Op.EQ, "Closed"), OTHER_GRAPH)],
)
def test_the_index_path_really_uses_the_hnsw_index(
    sample_db_url: str, plan: str, status: Filter, graph: store.VectorGraph
) -> None:
    """Otherwise the recall above could compare an exact scan with itself (left alone, the
    planner picks a sequential scan or the index depending on table size and statistics). A
    search walks the graph of its status: Active (or unstated) listings, or all others."""
    vector = vector_literal(LocalEmbeddingProvider(DIMENSIONS).embed_sync(QUERIES[:1])[0])
    filters = [Filter("BedroomsTotal", Op.GTE, 2), status]
    condition, params = met_condition(filters)
    met_graph, _ = status_graphs(filters)
    assert met_graph == graph
    with psycopg.connect(sample_db_url) as connection:
        connection.execute(
            settings_statement(SEARCH_SETTINGS if plan == "index" else EXACT_SCAN_SETTINGS)
        )
        rows = connection.execute(
            psycopg.sql.SQL(
                "EXPLAIN SELECT listing_key FROM listings WHERE {} AND "
                + graph.predicate
                + " ORDER BY embedding::halfvec({}) <=> %s::halfvec({}) LIMIT 100"
            ).format(condition, psycopg.sql.Literal(DIMENSIONS), psycopg.sql.Literal(DIMENSIONS)),
            [*params, vector],
        ).fetchall()
    text = "\n".join(line for (line,) in rows)
    assert (graph.index in text) is (plan == "index"), text
