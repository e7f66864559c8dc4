"""Migrations 0040 and 0080 move the HNSW graph to half precision and split it by status
(store.VECTOR_GRAPHS) without touching a stored vector."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import psycopg
import pytest

from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.listings import store
from copilot_api.listings.loading import ingest_records, sample_records
from copilot_api.storage.embedded import EmbeddedPostgres
from copilot_api.storage.migrations import apply_migrations, bundled_migrations
from tests.integration.listings.conftest import DIMENSIONS, scratch_database

OLD_INDEX = (
    "CREATE INDEX listings_embedding_hnsw ON listings"
    " USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
)


@pytest.fixture
def old_layout_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """Listings written by a release before 0040: a full-precision graph, and its definition
    left in the deferred-index table by an interrupted bulk load."""
    with scratch_database(pg_server, "halfvec") as url:
        yield from _old_layout(url)


def _old_layout(url: str) -> Iterator[str]:
    apply_migrations(url, [m for m in bundled_migrations() if m.version < 40])

    async def load() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            provider = LocalEmbeddingProvider(DIMENSIONS)
            await store.bind_embedding_space(connection, provider.space, build_index=False)
            await ingest_records(connection, provider, sample_records(300), batch_size=100)
            await store.drop_vector_index(connection)
            await connection.execute(OLD_INDEX)
            await connection.execute(
                "INSERT INTO listings_deferred_indexes (name, definition) VALUES (%s, %s)",
                ("listings_embedding_hnsw", OLD_INDEX),
            )

    asyncio.run(load())
    yield url


def snapshot(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT listing_key, md5(data::text), md5(embedding::text) FROM listings ORDER BY 1"
        ).fetchall()
    return [(str(key), str(data), str(vector)) for key, data, vector in rows]


LEGACY_INDEX = "listings_embedding_hnsw"


def index_definition(url: str, name: str = LEGACY_INDEX) -> str | None:
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (name,)
        ).fetchone()
    return None if row is None else str(row[0])


def graph_definitions(url: str) -> list[str | None]:
    return [index_definition(url, graph.index) for graph in store.VECTOR_GRAPHS]


def test_the_graph_is_rebuilt_on_half_precision_and_no_data_moves(old_layout_url: str) -> None:
    before = snapshot(old_layout_url)
    assert len(before) == 300
    assert "vector_cosine_ops" in (index_definition(old_layout_url) or "")

    applied = apply_migrations(old_layout_url)

    assert applied[0].version == 40  # and any later ones
    assert index_definition(old_layout_url) is None  # dropped, with its deferred definition
    with psycopg.connect(old_layout_url) as connection:
        deferred = connection.execute("SELECT count(*) FROM listings_deferred_indexes").fetchone()
    assert deferred == (0,)

    async def start_up() -> bool:  # what the service's preparation does
        async with await psycopg.AsyncConnection.connect(old_layout_url, autocommit=True) as c:
            return await store.ensure_vector_index(c, DIMENSIONS)

    assert asyncio.run(start_up())
    for graph, definition in zip(
        store.VECTOR_GRAPHS, graph_definitions(old_layout_url), strict=True
    ):
        assert definition is not None
        assert "halfvec_cosine_ops" in definition
        assert "standard_status" in definition.split(" WHERE ")[1], graph
    assert index_definition(old_layout_url) is None
    assert snapshot(old_layout_url) == before


def test_a_half_precision_graph_is_left_alone(old_layout_url: str) -> None:
    apply_migrations(old_layout_url)

    async def start_up() -> None:
        async with await psycopg.AsyncConnection.connect(old_layout_url, autocommit=True) as c:
            await store.ensure_vector_index(c, DIMENSIONS)

    asyncio.run(start_up())
    built = graph_definitions(old_layout_url)
    assert None not in built
    with psycopg.connect(old_layout_url, autocommit=True) as connection:
        for version in (40, 80):  # run again: nothing to do
            migration = next(m for m in bundled_migrations() if m.version == version)
            connection.execute(migration.sql.encode())
    assert graph_definitions(old_layout_url) == built
