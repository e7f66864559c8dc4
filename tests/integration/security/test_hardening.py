"""Input hardening: body and query limits, strict bodies, error bodies without internals,
security headers and the CORS allowlist."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_config import Settings
from tests.integration.security.support import BULK_LIMIT, create_test_app, make_key

BODY_LIMIT = 4096


@pytest.fixture
def key(database_url: str) -> str:
    return make_key(database_url, name="hardening", scopes="search", per_minute=1000)


@pytest.fixture
def client(
    make_settings: Callable[..., Settings], database_url: str
) -> Iterator[TestClient[Litestar]]:
    settings = make_settings(
        database_url=database_url, max_request_body_bytes=BODY_LIMIT, max_query_string_length=300
    )
    with TestClient(create_test_app(settings)) as test_client:
        yield test_client


def test_bodies_over_the_limit_get_413_before_anything_reads_them(
    client: TestClient[Litestar], key: str
) -> None:
    headers = {"X-API-Key": key}
    fits = client.post("/open/upload", content=b"x" * BODY_LIMIT)
    assert fits.json() == {"bytes": BODY_LIMIT}
    too_big = client.post("/open/upload", content=b"x" * (BODY_LIMIT + 1))
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"
    # Chunked, so no Content-Length to check up front: counted as it streams.
    chunked = client.post("/open/upload", content=iter([b"x" * 3000, b"x" * 3000]))
    assert chunked.status_code == 413
    oversized_json = client.post(
        "/api/test/echo", headers=headers, json={"message": "x" * BODY_LIMIT}
    )
    assert oversized_json.status_code == 413


def test_a_route_can_declare_a_larger_limit(client: TestClient[Litestar], key: str) -> None:
    headers = {"X-API-Key": key}
    bulk = client.post("/api/test/bulk", headers=headers, content=b"x" * (BULK_LIMIT - 10))
    assert bulk.status_code == 201
    assert bulk.json() == {"bytes": BULK_LIMIT - 10}
    too_big = client.post("/api/test/bulk", headers=headers, content=b"x" * (BULK_LIMIT + 1))
    assert too_big.status_code == 413


def test_unknown_body_fields_are_rejected_by_name(client: TestClient[Litestar], key: str) -> None:
    response = client.post(
        "/api/test/echo",
        headers={"X-API-Key": key},
        json={"message": "hi", "count": 2, "admin": True},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any("unknown field `admin`" in detail["message"] for detail in error["details"])
    ok = client.post("/api/test/echo", headers={"X-API-Key": key}, json={"message": "hi"})
    assert ok.json() == {"message": "hi", "count": 1}


def test_long_query_strings_get_414_everywhere(client: TestClient[Litestar], key: str) -> None:
    long_query = "q=" + "a" * 300
    for path, headers in [("/health", {}), ("/api/test/search", {"X-API-Key": key})]:
        response = client.get(f"{path}?{long_query}", headers=headers)
        assert response.status_code == 414, path
        assert response.json()["error"]["code"] == "query_too_long"
        assert response.json()["error"]["details"] == {"max_length": 300}
    assert client.get("/health?" + "q=" + "a" * 200).status_code == 200


@pytest.mark.parametrize("debug", [False, True])
def test_server_errors_reveal_nothing_but_a_request_id(
    make_settings: Callable[..., Settings], database_url: str, key: str, debug: bool
) -> None:
    settings = make_settings(database_url=database_url, debug=debug)
    with TestClient(create_test_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/api/test/boom", headers={"X-API-Key": key})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert set(error) <= {"code", "message", "request_id"}
    for internal in ("hunter2", "secret_module", "Traceback", "RuntimeError", "line 42"):
        assert internal not in response.text


def test_client_errors_have_the_standard_shape_without_internals(
    client: TestClient[Litestar],
) -> None:
    for method, path, status in [
        ("GET", "/no/such/path", 404),
        ("DELETE", "/health", 405),
        ("POST", "/api/test/echo", 401),
    ]:
        response = client.request(method, path, content=b"{")
        assert response.status_code == status
        assert set(response.json()) == {"error"}
        assert "Traceback" not in response.text


def test_malformed_json_is_a_client_error(client: TestClient[Litestar], key: str) -> None:
    response = client.post(
        "/api/test/echo",
        headers={"X-API-Key": key, "Content-Type": "application/json"},
        content=b'{"message": ',
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert "Traceback" not in response.text


def test_security_headers_on_every_response(client: TestClient[Litestar], key: str) -> None:
    for path, headers in [
        ("/health", {}),
        ("/no/such/path", {}),
        ("/api/test/search", {}),  # 401
        ("/api/test/search", {"X-API-Key": key}),
    ]:
        response = client.get(path, headers=headers)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in response.headers  # test env: no TLS
    api = client.get("/api/test/search", headers={"X-API-Key": key})
    assert api.headers["Cache-Control"] == "no-store"
    docs = client.get("/docs")
    assert docs.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in docs.headers  # Swagger UI loads from a CDN


def test_cors_is_off_by_default(client: TestClient[Litestar], key: str) -> None:
    origin = {"Origin": "https://evil.example.com"}
    simple = client.get("/api/test/search", headers={"X-API-Key": key, **origin})
    assert "Access-Control-Allow-Origin" not in simple.headers
    preflight = client.options(
        "/api/test/search",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_cors_allows_exactly_the_configured_origins(
    make_settings: Callable[..., Settings], database_url: str, key: str
) -> None:
    allowed = "https://app.example.com"
    settings = make_settings(database_url=database_url, cors_allow_origins=(allowed,))
    with TestClient(create_test_app(settings)) as client:
        preflight = client.options(
            "/api/test/search",
            headers={
                "Origin": allowed,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "x-api-key",
            },
        )
        assert preflight.status_code in (200, 204)
        assert preflight.headers["Access-Control-Allow-Origin"] == allowed
        assert "x-api-key" in preflight.headers["Access-Control-Allow-Headers"].lower()

        actual = client.get("/api/test/search", headers={"Origin": allowed, "X-API-Key": key})
        assert actual.headers["Access-Control-Allow-Origin"] == allowed
        exposed = actual.headers["Access-Control-Expose-Headers"].lower()
        assert "x-ratelimit-remaining" in exposed
        assert "retry-after" in exposed

        other = client.get(
            "/api/test/search", headers={"Origin": "https://evil.example.com", "X-API-Key": key}
        )
        assert "Access-Control-Allow-Origin" not in other.headers
        other_preflight = client.options(
            "/api/test/search",
            headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
        )
        assert "Access-Control-Allow-Origin" not in other_preflight.headers
