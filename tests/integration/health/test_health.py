from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.app import create_app
from copilot_api.storage.embedded import EmbeddedPostgres, ServerTuning
from copilot_config import Settings


def test_health_shapes(client: TestClient[Litestar]) -> None:
    assert client.get("/health").json() == {
        "status": "ok",
        "version": "0.1.0",
        "environment": "test",
    }

    liveness = client.get("/health/liveness").json()
    assert liveness["status"] == "alive"
    assert set(liveness) == {"status", "timestamp"}

    readiness = client.get("/health/readiness")
    assert readiness.status_code == 200
    assert readiness.json()["status"] == "ready"
    assert readiness.json()["checks"]["database"] == "ok"

    detailed = client.get("/health/detailed").json()
    assert set(detailed) == {"status", "timestamp", "version", "environment", "services"}
    database = detailed["services"]["database"]
    assert database["status"] == "healthy"
    assert database["latency_ms"] >= 0
    assert database["pool"]["max_size"] == 10


def test_openapi_docs_are_served(client: TestClient[Litestar]) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/docs/openapi.json").json()
    assert "/health/readiness" in schema["paths"]


def test_unknown_route_gets_the_error_shape(client: TestClient[Litestar]) -> None:
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path / "pg", ServerTuning(shared_buffers="64MB", durable=False))
    server.start()
    yield server
    server.stop()


def test_readiness_follows_the_database_without_a_restart(
    own_server: EmbeddedPostgres, make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(database_url=own_server.url()))
    with TestClient(app) as client:
        assert client.get("/health/readiness").status_code == 200

        own_server.stop()
        started = time.perf_counter()
        down = client.get("/health/readiness")
        assert time.perf_counter() - started < 2.0
        assert down.status_code == 503
        assert down.json()["status"] == "not_ready"
        assert down.json()["checks"]["database"] == "unavailable"
        assert client.get("/health/liveness").status_code == 200
        assert (
            client.get("/health/detailed").json()["services"]["database"]["status"] == "unhealthy"
        )

        own_server.start()
        deadline = time.monotonic() + 15
        status = 503
        while time.monotonic() < deadline and status != 200:
            status = client.get("/health/readiness").status_code
            time.sleep(0.1)
        assert status == 200
        assert client.get("/health/liveness").status_code == 200


def test_embedded_database_is_started_and_stopped_by_the_app(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(data_dir=tmp_path / "data")
    assert settings.database.uses_embedded
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/readiness").status_code == 200
        server = EmbeddedPostgres(tmp_path / "data" / "postgres")
        assert server.running_port() is not None
    assert server.running_port() is None
