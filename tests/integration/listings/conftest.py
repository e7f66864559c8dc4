"""Listings fixtures: a database holding the sample listings (loaded once per test session), an
API key for the HTTP tests, and a client on that database.

Tests that write listings override `listings_db_url` with the fresh per-test `database_url`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.app import create_app
from copilot_api.listings.loading import load_sample_data
from copilot_api.storage.embedded import EmbeddedPostgres
from copilot_api.storage.migrations import apply_migrations
from copilot_config import Settings

SAMPLE_COUNT = 2_400
DIMENSIONS = 384


@contextmanager
def scratch_database(server: EmbeddedPostgres, prefix: str) -> Iterator[str]:
    """A new empty database on `server` (its URL), dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.url(name)
    finally:
        with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sample_db_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """Migrated, with the bundled sample listings; read-only for the tests that use it."""
    with scratch_database(pg_server, "listings") as url:
        yield from _with_samples(url)


def _with_samples(url: str) -> Iterator[str]:
    apply_migrations(url)

    async def load() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            await load_sample_data(
                connection, LocalEmbeddingProvider(DIMENSIONS), batch_size=500, count=SAMPLE_COUNT
            )

    asyncio.run(load())
    yield url


@pytest.fixture
def listings_db_url(sample_db_url: str) -> str:
    return sample_db_url


@pytest.fixture
def api_key_headers(listings_db_url: str) -> dict[str, str]:
    """Headers that authenticate as a key with the `search` and `admin` scopes."""
    if importlib.util.find_spec("copilot_api.security") is None:
        return {}
    from tests.integration.security.support import make_key

    key = make_key(listings_db_url, name=f"listings-{uuid.uuid4().hex[:8]}", scopes="search,admin")
    return {"X-API-Key": key}


@pytest.fixture
def listings_settings(make_settings: Callable[..., Settings], listings_db_url: str) -> Settings:
    return make_settings(
        database_url=listings_db_url,
        load_sample_data=False,
        embedding_provider="local",
        embedding_dimensions=DIMENSIONS,
        rate_limit_requests_per_minute=10_000,
        rate_limit_requests_per_hour=100_000,
    )


@pytest.fixture
def listings_client(
    listings_settings: Settings, api_key_headers: dict[str, str]
) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(listings_settings)) as client:
        client.headers.update(api_key_headers)
        yield client
