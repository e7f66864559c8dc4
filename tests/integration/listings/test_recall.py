"""The HNSW path against an exact scan, with embeddings of realistic listing text (random
vectors would say nothing: their neighbours are arbitrary)."""

from __future__ import annotations

import asyncio
import statistics

import psycopg
import pytest

from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.listings.fields import Op
from copilot_api.listings.filters import Filter, met_condition
from copilot_api.listings.search import EXACT_SCAN_SETTINGS, INDEX_PATH_SETTINGS, nearest_keys
from copilot_api.listings.store import VECTOR_INDEX
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
FILTER_SETS = [
    [Filter("StandardStatus", Op.EQ, "Active")],
    [Filter("ListPrice", Op.LTE, 600000)],
    [Filter("BedroomsTotal", Op.GTE, 3), Filter("StandardStatus", Op.EQ, "Active")],
    [Filter("City", Op.IN, ["Austin", "Denver", "Raleigh"])],
]


def test_hnsw_recall_at_10_against_an_exact_scan(sample_db_url: str) -> None:
    vectors = LocalEmbeddingProvider(DIMENSIONS).embed_sync(QUERIES)

    async def measure() -> list[float]:
        recalls = []
        async with await psycopg.AsyncConnection.connect(sample_db_url, autocommit=True) as conn:
            for filters in FILTER_SETS:
                for vector in vectors:
                    exact = await nearest_keys(conn, vector, filters, 10, "exact")
                    approximate = await nearest_keys(conn, vector, filters, 10, "index")
                    assert len(exact) == 10
                    recalls.append(len(set(exact) & set(approximate)) / 10)
        return recalls

    recalls = asyncio.run(measure())
    assert statistics.mean(recalls) >= 0.9, recalls
    assert min(recalls) >= 0.6, recalls


@pytest.mark.parametrize("plan", ["index", "exact"])
def test_the_index_path_really_uses_the_hnsw_index(sample_db_url: str, plan: str) -> None:
    """Otherwise the recall above could compare an exact scan with itself (left alone, the
    planner picks a sequential scan or the index depending on table size and statistics)."""
    vector = vector_literal(LocalEmbeddingProvider(DIMENSIONS).embed_sync(QUERIES[:1])[0])
    condition, params = met_condition(FILTER_SETS[0])
    with psycopg.connect(sample_db_url) as connection:
        for setting in INDEX_PATH_SETTINGS if plan == "index" else EXACT_SCAN_SETTINGS:
            connection.execute(setting)
        rows = connection.execute(
            psycopg.sql.SQL(
                "EXPLAIN SELECT listing_key FROM listings WHERE {}"
                " ORDER BY embedding <=> %s::vector LIMIT 100"
            ).format(condition),
            [*params, vector],
        ).fetchall()
    text = "\n".join(line for (line,) in rows)
    assert (VECTOR_INDEX in text) is (plan == "index"), text
