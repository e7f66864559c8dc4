"""Every `/api` route needs a valid key with the route's scope; everything else is open."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.exceptions import ImproperlyConfiguredException
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from copilot_api.app import create_app
from copilot_config import Settings
from tests.integration.security.support import create_test_app, make_key, revoke

UNKNOWN_KEY = "cpk_0123456789_" + "A" * 43  # well-formed, never stored

# route -> the scope it needs ("admin" when undeclared)
ROUTES = {
    "/api/test/search": "search",
    "/api/test/workflows": "workflows",
    "/api/test/admin": "admin",
    "/api/test/undeclared": "admin",
}


@pytest.fixture
def keys(database_url: str) -> dict[str, str]:
    created = {
        "search": make_key(database_url, name="search", scopes="search"),
        "workflows": make_key(database_url, name="workflows", scopes="workflows"),
        "search+workflows": make_key(database_url, name="both", scopes="search,workflows"),
        "admin": make_key(database_url, name="admin", scopes="admin"),
        "revoked": make_key(database_url, name="revoked", scopes="admin"),
    }
    revoke(database_url, created["revoked"])
    return created


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_test_app(settings)) as test_client:
        yield test_client


def expected(credential: str, needed: str) -> tuple[int, str | None]:
    failures = {
        "none": "missing_api_key",
        "malformed": "invalid_api_key",
        "unknown": "invalid_api_key",
        "revoked": "api_key_revoked",
    }
    if credential in failures:
        return 401, failures[credential]
    held = set(credential.split("+"))
    if "admin" in held or needed in held:
        return 200, None
    return 403, "insufficient_scope"


def test_authentication_and_scope_matrix(
    client: TestClient[Litestar], keys: dict[str, str], security_events: list[dict[str, Any]]
) -> None:
    credentials = {
        "none": None,
        "malformed": "not-a-key",
        "unknown": UNKNOWN_KEY,
        **keys,
    }
    mismatches = []
    refused = 0
    for credential, value in credentials.items():
        headers = {"X-API-Key": value} if value is not None else {}
        for path, needed in ROUTES.items():
            response = client.get(path, headers=headers)
            status, code = expected(credential, needed)
            body = response.json()
            actual_code = body.get("error", {}).get("code") if status != 200 else None
            if (response.status_code, actual_code) != (status, code):
                mismatches.append((credential, path, response.status_code, body))
            if status != 200:
                refused += 1
                assert set(body) == {"error"}
                assert set(body["error"]) <= {"code", "message", "details", "request_id"}
                assert body["error"]["message"]
            else:
                assert body["route"] in path
    assert mismatches == []

    # One security event per refusal, all of the counted `auth_failure` type, never a secret.
    assert len(security_events) == refused
    assert {event["event_type"] for event in security_events} == {"auth_failure"}
    reasons = {event["reason"] for event in security_events}
    assert reasons == {"missing", "malformed", "unknown", "revoked", "insufficient_scope"}
    for event in security_events:
        assert event["ip_address"] == "testclient"
        assert event["path"] in ROUTES
        assert not any(key in str(event) for key in keys.values())
    scope_events = [e for e in security_events if e["reason"] == "insufficient_scope"]
    assert {e["user_id"] for e in scope_events} <= {key[:14] for key in keys.values()}
    assert all(e["required_scope"] in {"workflows", "admin", "search"} for e in scope_events)


def test_the_verified_key_is_available_to_handlers(
    client: TestClient[Litestar], keys: dict[str, str]
) -> None:
    response = client.get("/api/test/search", headers={"X-API-Key": keys["search"]})
    assert response.json() == {"route": "search", "key": keys["search"][:14]}


def test_health_docs_and_other_paths_are_open(
    client: TestClient[Litestar], security_events: list[dict[str, Any]]
) -> None:
    open_paths = ["/health", "/health/liveness", "/health/readiness", "/health/detailed"]
    open_paths += ["/docs", "/docs/openapi.json", "/open/test"]
    if any(route.path == "/metrics" for route in client.app.routes):  # observability's
        open_paths.append("/metrics")
    for path in open_paths:
        assert client.get(path).status_code == 200, path
        # A wrong key on an open path is simply ignored.
        assert client.get(path, headers={"X-API-Key": "garbage"}).status_code == 200, path
    assert security_events == []


def _sample_path(route: HTTPRoute) -> str:
    samples = {int: "1", float: "1.5", uuid.UUID: str(uuid.uuid4())}

    def fill(match: re.Match[str]) -> str:
        definition = route.path_parameters[match[1]]
        return samples.get(definition.type, "sample")

    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, route.path_format)


def test_every_real_api_route_refuses_requests_without_a_key(settings: Settings) -> None:
    """Whatever routes the capabilities register under /api, none answers without a key."""
    app = create_app(settings)
    checked = []
    with TestClient(app) as client:
        for route in app.routes:
            if not (isinstance(route, HTTPRoute) and route.path.startswith("/api")):
                continue
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                path = _sample_path(route)
                response = client.request(method, path, json={})
                checked.append((method, path))
                assert response.status_code == 401, (method, path, response.text)
                assert response.json()["error"]["code"] == "missing_api_key"
    assert ("GET", "/api/admin/keys") in checked
    assert ("DELETE", "/api/admin/keys/sample") in checked


def test_an_unknown_scope_declaration_fails_at_startup(settings: Settings) -> None:
    @get("/api/test/typo", opt={"scope": "serach"}, sync_to_thread=False)
    def typo() -> None:
        return None

    app = create_app(settings)
    with pytest.raises(ImproperlyConfiguredException, match="'serach'"):
        app.register(typo)


def test_a_scope_outside_api_fails_at_startup(settings: Settings) -> None:
    @get("/reports", opt={"scope": "admin"}, sync_to_thread=False)
    def reports() -> None:
        return None

    app = create_app(settings)
    with pytest.raises(ImproperlyConfiguredException, match="outside /api"):
        app.register(reports)
