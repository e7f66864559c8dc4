"""Rate limits through the app (in-process limiter): headers, 429, overrides, events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.testing import TestClient

from copilot_config import Settings
from tests.integration.security.support import create_test_app, make_key


def test_limit_headers_then_429_with_retry_after_and_an_event(
    settings: Settings, database_url: str, security_events: list[dict[str, Any]]
) -> None:
    key = make_key(database_url, name="limited", scopes="search", per_minute=3)
    headers = {"X-API-Key": key}
    with TestClient(create_test_app(settings)) as client:
        responses = [client.get("/api/test/search", headers=headers) for _ in range(3)]
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]
        assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"3"}
        assert all(1 <= int(r.headers["X-RateLimit-Reset"]) <= 60 for r in responses)
        assert all("Retry-After" not in r.headers for r in responses)

        refused = client.get("/api/test/search", headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.json()["error"]["details"]["window"] == "minute"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Limit"] == "3"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert refused.headers["X-RateLimit-Reset"] == refused.headers["Retry-After"]

    limited = [event for event in security_events if event["event_type"] == "rate_limited"]
    assert len(limited) == 1
    assert limited[0]["user_id"] == key[:14]
    assert limited[0]["window"] == "minute"
    assert limited[0]["limit"] == 3
    assert limited[0]["backend"] == "memory"
    assert key not in str(limited[0])


def test_settings_give_the_default_limits_and_keys_override_them(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = make_settings(
        database_url=database_url,
        rate_limit_requests_per_minute=100,
        rate_limit_requests_per_hour=2,
    )
    plain = make_key(database_url, name="plain", scopes="search")
    generous = make_key(database_url, name="generous", scopes="search", per_hour=4)
    with TestClient(create_test_app(settings)) as client:
        plain_codes = [
            client.get("/api/test/search", headers={"X-API-Key": plain}).status_code
            for _ in range(3)
        ]
        generous_codes = [
            client.get("/api/test/search", headers={"X-API-Key": generous}).status_code
            for _ in range(5)
        ]
        refused = client.get("/api/test/search", headers={"X-API-Key": plain})
    assert plain_codes == [200, 200, 429]
    assert generous_codes == [200, 200, 200, 200, 429]
    assert refused.json()["error"]["details"]["window"] == "hour"
    assert refused.headers["X-RateLimit-Limit"] == "2"


def test_handler_errors_carry_the_headers_and_refusals_do_not_count(
    settings: Settings, database_url: str
) -> None:
    key = make_key(database_url, name="k", scopes="search", per_minute=2)
    with TestClient(create_test_app(settings)) as client:
        # A 401 is not counted against anybody.
        assert client.get("/api/test/search", headers={"X-API-Key": "nope"}).status_code == 401
        invalid = client.post("/api/test/echo", headers={"X-API-Key": key}, json={"message": 1})
        assert invalid.status_code == 400
        assert invalid.headers["X-RateLimit-Remaining"] == "1"
        ok = client.get("/api/test/search", headers={"X-API-Key": key})
        assert ok.headers["X-RateLimit-Remaining"] == "0"
        assert client.get("/api/test/search", headers={"X-API-Key": key}).status_code == 429
