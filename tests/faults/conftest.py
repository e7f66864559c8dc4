"""Fault suite: each scenario records one row of figures; `make faults` prints them as a table.

A row is appended as one JSON line to the file named by FAULTS_REPORT (when set), so the
figures survive pytest's output capture and several test files add to one table.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.app import create_app
from copilot_api.listings.loading import load_sample_data
from copilot_api.storage.embedded import EmbeddedPostgres
from copilot_api.storage.migrations import apply_migrations
from copilot_api.storage.target import database_target
from copilot_config import Environment, Settings
from tests.integration.security.support import make_key


@dataclass(frozen=True, slots=True)
class FaultRow:
    scenario: str
    time_to_503_s: float | None  # None: the scenario never makes the service unready
    time_to_recovery_s: float | None
    requests_failed: int
    rows_lost: int | None  # None: the scenario writes no rows


class FaultReport:
    def __init__(self, path: Path | None) -> None:
        self._path = path

    def record(
        self,
        scenario: str,
        *,
        time_to_503_s: float | None,
        time_to_recovery_s: float | None,
        requests_failed: int,
        rows_lost: int | None,
    ) -> FaultRow:
        row = FaultRow(scenario, time_to_503_s, time_to_recovery_s, requests_failed, rows_lost)
        if self._path is not None:
            with self._path.open("a", encoding="utf-8") as report:
                report.write(json.dumps(asdict(row)) + "\n")
        return row


@pytest.fixture(scope="session")
def fault_report() -> FaultReport:
    path = os.environ.get("FAULTS_REPORT")
    return FaultReport(Path(path) if path else None)


# --- A service on its own embedded PostgreSQL, for the database scenarios ----------------------


@dataclass(frozen=True, slots=True)
class EmbeddedService:
    variables: dict[str, Any]  # environment variable names (lower case) and values
    server: EmbeddedPostgres
    url: str
    headers: dict[str, str]

    def client(self, **overrides: Any) -> TestClient[Litestar]:
        """A test client on a new app; `overrides` are variables, e.g. `database_timeout=1`."""
        settings = Settings(_env_file=None, **{**self.variables, **overrides})
        client = TestClient(create_app(settings))
        client.headers.update(self.headers)
        return client


SAMPLE_LISTINGS = 300


@pytest.fixture(scope="session")
def embedded_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedService]:
    """The embedded server under DATA_DIR (owned by this test process, as `copilot serve` owns
    it), migrated, with sample listings and an admin key; each test's app adopts it."""
    variables: dict[str, Any] = {
        # Not TEST: its server tuning skips fsync and synchronous commit, so a crash could lose
        # acknowledged rows by design; these scenarios measure the durable configuration.
        "environment": Environment.DEVELOPMENT,
        "data_dir": tmp_path_factory.mktemp("faults") / "data",
        "load_sample_data": False,
        "embedding_provider": "local",
        "embedding_dimensions": 384,
        "rate_limit_requests_per_minute": 100_000,
        "rate_limit_requests_per_hour": 1_000_000,
    }
    settings = Settings(_env_file=None, **variables)
    with database_target(
        settings.database, environment=settings.app.environment, data_dir=settings.app.data_dir
    ) as target:
        assert target.embedded is not None
        apply_migrations(target.url)

        async def load() -> None:
            async with await psycopg.AsyncConnection.connect(target.url, autocommit=True) as conn:
                await load_sample_data(
                    conn, LocalEmbeddingProvider(384), batch_size=300, count=SAMPLE_LISTINGS
                )

        asyncio.run(load())
        key = make_key(target.url, name="faults", scopes="search,admin")
        yield EmbeddedService(variables, target.embedded, target.url, {"X-API-Key": key})
