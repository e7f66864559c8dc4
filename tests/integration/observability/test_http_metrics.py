"""HTTP metrics, request ids and request logs through the real app (embedded PostgreSQL)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.testing import TestClient

from copilot_api.app import create_app
from copilot_config import Settings
from tests.integration.observability.scrape import matching, parse, total

DURATION_COUNT = "http_server_request_duration_seconds_count"


@get("/test/items/{item_id:int}", sync_to_thread=False)
def item(item_id: FromPath[int]) -> dict[str, int]:
    """Test-only route with a path parameter: its ids must never become label values."""
    return {"item_id": item_id}


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "logs" / "copilot.log"


@pytest.fixture
def client(
    make_settings: Callable[..., Settings], database_url: str, log_file: Path
) -> Iterator[TestClient[Litestar]]:
    app = create_app(make_settings(database_url=database_url, log_file=log_file))
    app.register(item)
    with TestClient(app) as test_client:
        yield test_client


def test_route_template_keeps_one_series_for_a_thousand_ids(client: TestClient[Litestar]) -> None:
    for item_id in range(1000):
        assert client.get(f"/test/items/{item_id}").status_code == 200
    for probe in range(50):
        assert client.get(f"/wp-admin/probe-{probe}.php").status_code == 404
    samples = parse(client.get("/metrics").text)

    counts = matching(samples, DURATION_COUNT)
    routes = {dict(labels).get("http_route") for _, labels in counts}
    assert not any(re.search(r"/\d+$|probe", route or "") for route in routes), routes
    [item_series] = matching(samples, DURATION_COUNT, http_route="/test/items/{item_id}")
    assert samples[item_series] == 1000
    assert dict(item_series[1])["http_response_status_code"] == "200"
    # Unknown paths share one series without a route (OTel: http.route only when matched).
    assert total(samples, DURATION_COUNT, http_route="", http_response_status_code="404") == 50
    assert total(samples, "http_server_request_duration_seconds_bucket", le="+Inf") == 1050
    # The scrape itself is in flight while it is rendered.
    assert total(samples, "http_server_active_requests") == 1


def test_request_id_is_taken_from_the_caller_or_generated(client: TestClient[Litestar]) -> None:
    given = client.get("/health", headers={"X-Request-ID": "trace-me-123"})
    assert given.headers["x-request-id"] == "trace-me-123"

    unsafe = client.get("/health", headers={"X-Request-ID": "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["x-request-id"])

    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.json()["error"]["request_id"] == missing.headers["x-request-id"]


def test_each_request_is_logged_as_one_json_line(
    client: TestClient[Litestar], log_file: Path
) -> None:
    response = client.get("/test/items/42", headers={"X-Request-ID": "req-log-1"})
    assert response.status_code == 200
    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    [entry] = [e for e in entries if e["request_id"] == "req-log-1"]
    assert entry["logger"] == "copilot.http"
    assert entry["message"] == "GET /test/items/42 200"
    assert entry["extra"]["http"]["route"] == "/test/items/{item_id}"
    assert entry["extra"]["http"]["duration_ms"] >= 0


def test_refused_api_keys_are_counted(client: TestClient[Litestar]) -> None:
    before = total(parse(client.get("/metrics").text), "copilot_security_auth_failures_total")
    assert before == 0  # initialised, so rates work from the first scrape
    for _ in range(3):
        assert client.get("/api/admin/keys").status_code == 401
    after = parse(client.get("/metrics").text)
    assert total(after, "copilot_security_auth_failures_total") == 3
    assert total(after, DURATION_COUNT, http_response_status_code="401") == 3


def test_instrumentation_can_be_switched_off(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    app = create_app(make_settings(database_url=database_url, metrics_enabled=False))
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/health").headers["x-request-id"]
