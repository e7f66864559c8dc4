"""Vectors from two embedding spaces never mix: a mismatch stops startup with a message naming
`copilot listings reembed`, and reembed switches the stored listings over."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable

import psycopg
import pytest
from litestar.testing import TestClient

from copilot_api.ai.embeddings import EmbeddingSpace, LocalEmbeddingProvider
from copilot_api.app import create_app
from copilot_api.listings import store
from copilot_api.listings.loading import ingest_records
from copilot_api.listings.samples import generate_listings
from copilot_api.listings.sources import SourceRecord
from copilot_api.storage.migrations import apply_migrations
from copilot_config import Settings
from tests.harness import REPO_ROOT


def load(url: str, dimensions: int, count: int = 30) -> None:
    apply_migrations(url)

    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            rows = [SourceRecord(i, listing) for i, listing in enumerate(generate_listings(count))]
            await ingest_records(
                connection, LocalEmbeddingProvider(dimensions), rows, batch_size=50
            )

    asyncio.run(run())


def stored(url: str) -> tuple[EmbeddingSpace | None, str, int]:
    async def run() -> tuple[EmbeddingSpace | None, str, int]:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            space = await store.stored_space(connection)
            row = await (
                await connection.execute(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                    " WHERE attrelid = 'listings'::regclass AND attname = 'embedding'"
                )
            ).fetchone()
            missing = await store.missing_embeddings(connection)
            assert row is not None
            return space, str(row[0]), missing

    return asyncio.run(run())


def test_starting_against_another_space_fails_and_names_reembed(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    load(database_url, 64)
    settings = make_settings(
        database_url=database_url, embedding_provider="local", embedding_dimensions=32
    )
    with pytest.raises(BaseExceptionGroup) as caught, TestClient(create_app(settings)):
        pass  # the lifespan's task group wraps the startup error
    mismatch = caught.value.subgroup(store.EmbeddingSpaceMismatchError)
    assert mismatch is not None
    message = str(_leaf(mismatch))
    assert "local/feature-hashing-v1 (64 dimensions)" in message
    assert "local/feature-hashing-v1 (32 dimensions)" in message
    assert "copilot listings reembed" in message


def test_reembed_switches_every_listing_to_the_configured_space(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    load(database_url, 64)
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "copilot_api", "listings", "reembed", "--no-progress"],
        env={
            **env,
            "ENVIRONMENT": "test",
            "DATABASE_URL": database_url,
            "EMBEDDING_PROVIDER": "local",
            "EMBEDDING_DIMENSIONS": "32",
        },
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "re-embedded 30 listings with local/feature-hashing-v1 (32 dimensions)" in result.stderr
    assert stored(database_url) == (
        EmbeddingSpace("local", "feature-hashing-v1", 32),
        "vector(32)",
        0,
    )

    settings = make_settings(
        database_url=database_url,
        embedding_provider="local",
        embedding_dimensions=32,
        load_sample_data=False,
    )
    with TestClient(create_app(settings)) as client:
        detail = client.get("/health/detailed").json()["services"]["listings"]
        assert detail["status"] == "healthy"
        assert detail["vector_index"] is True


def test_an_empty_table_takes_any_space(database_url: str) -> None:
    apply_migrations(database_url)

    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await store.bind_embedding_space(conn, EmbeddingSpace("local", "a", 16))
            await store.bind_embedding_space(conn, EmbeddingSpace("openai", "b", 24))

    asyncio.run(run())
    assert stored(database_url) == (EmbeddingSpace("openai", "b", 24), "vector(24)", 0)


def _leaf(group: BaseException) -> BaseException:
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]
    return group
