"""A database with the sample listings, loaded once for every workflow test, and a client
holding an API key with the `search` and `workflows` scopes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.ai.embeddings import create_embedding_provider
from copilot_api.app import create_app
from copilot_api.listings.loading import load_sample_data
from copilot_api.storage.embedded import EmbeddedPostgres
from copilot_api.storage.migrations import apply_migrations
from copilot_config import Settings
from tests.integration.security.support import make_key

SAMPLE_COUNT = 2_000


@pytest.fixture(scope="session")
def sample_database_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    name = f"workflows_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = pg_server.url(name)
    apply_migrations(url)

    async def load() -> None:
        settings = Settings(_env_file=None, environment="test", database_url=url)
        provider = create_embedding_provider(settings.listings, settings.openai)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            await load_sample_data(
                connection,
                provider,
                batch_size=settings.listings.ingest_batch_size,
                count=SAMPLE_COUNT,
            )

    asyncio.run(load())
    yield url
    with psycopg.connect(pg_server.url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def workflow_settings(make_settings: Callable[..., Settings], sample_database_url: str) -> Settings:
    return make_settings(database_url=sample_database_url, load_sample_data=False)


@pytest.fixture
def agent_key(sample_database_url: str) -> str:
    return make_key(
        sample_database_url, name=f"agent-{uuid.uuid4().hex[:8]}", scopes="search,workflows"
    )


@pytest.fixture
def agent(workflow_settings: Settings, agent_key: str) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(workflow_settings)) as client:
        client.headers["X-API-Key"] = agent_key
        yield client
