"""Hostile client input against every `/api` route of the real app: a NUL byte in each path
parameter, the query string, the API-key header and the body (as a key and as a value), an
unpaired surrogate, and JSON nested 10,000 levels deep. Each must be a 400 with a
machine-readable code, never a 5xx (these used to be psycopg `DataError`s and `RecursionError`s).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from tests.faults.conftest import FaultReport
from tests.integration.security.support import make_key

DEEP = "[" * 10_000 + "]" * 10_000
JSON = {"content-type": "application/json"}


def _api_routes(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/api"):
            for handler in route.route_handlers:
                for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                    yield method, route.path, handler


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


REFUSED = {"invalid_characters"}
# A typed path parameter (a UUID) that does not parse never matches its route: 404.
REFUSED_OR_UNROUTED = {"invalid_characters", "not_found"}
# Bodies may also fail the route's own validation first; any 400 code will do there.
ANY_400 = {"*"}


def _cases(app: Litestar, key: str) -> Iterator[tuple[str, str, dict[str, Any], set[str]]]:
    """(method, url, request arguments, accepted error codes) for every hostile input."""
    auth = {"X-API-Key": key}
    for method, path, handler in _api_routes(app):
        clean = _fill(path, "00000000-0000-4000-8000-000000000001")  # fits str and UUID
        if "{" in path:
            yield method, _fill(path, "a%00b"), {"headers": auth}, REFUSED_OR_UNROUTED
        yield method, f"{clean}?q=a%00b", {"headers": auth}, REFUSED
        yield method, clean, {"headers": {"X-API-Key": key[:8] + "\x00" + key[9:]}}, REFUSED
        if "data" in handler.parsed_fn_signature.parameters:
            for body in (
                json.dumps({"query": "a\u0000b"}),
                json.dumps({"nested": [{"k\u0000": 1}]}),
                json.dumps({"query": "a\ud800b"}),
                DEEP,
                json.dumps({"q": DEEP}),
            ):
                yield method, clean, {"headers": {**auth, **JSON}, "content": body}, ANY_400


def test_hostile_input_is_refused_with_400_everywhere(
    client: TestClient[Litestar], database_url: str, fault_report: FaultReport
) -> None:
    key = make_key(database_url, name="fuzz", scopes="admin", per_minute=10**6, per_hour=10**6)
    tried, server_errors, wrong = 0, [], []
    for method, url, arguments, expected in _cases(client.app, key):
        response = client.request(method, url, **arguments)
        tried += 1
        if response.status_code >= 500:
            server_errors.append((method, url, response.status_code))
        elif response.status_code not in (400, 404) or (
            expected != ANY_400 and response.json()["error"]["code"] not in expected
        ):
            wrong.append((method, url, response.status_code, response.text[:200]))
    fault_report.record(
        "client input: NUL/surrogate everywhere, 10k-deep JSON",
        time_to_503_s=None,
        time_to_recovery_s=None,
        requests_failed=len(server_errors),
        rows_lost=None,
    )
    assert tried > 50  # every /api route was reached, several ways each
    assert server_errors == []
    assert wrong == []


def test_errors_name_the_place_without_echoing_the_character(
    client: TestClient[Litestar], database_url: str
) -> None:
    key = make_key(database_url, name="fuzz", scopes="admin", per_minute=10**6, per_hour=10**6)
    body = {"query": "homes", "filters": [{"field": "City", "op": "eq", "value": "Aus\u0000tin"}]}
    response = client.post(
        "/api/property-search", content=json.dumps(body), headers={"X-API-Key": key, **JSON}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_characters"
    assert error["details"] == {"location": "body field /filters/0/value"}

    bulk = {"listings": [{"ListingKey": "L1", "ListPrice": 1, "Note\u0000": "x"}]}
    response = client.post(
        "/api/listings", content=json.dumps(bulk), headers={"X-API-Key": key, **JSON}
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"location": "body key /listings/0/Note\\u0000"}
    assert "\u0000" not in response.text

    response = client.post("/api/property-search", content=DEEP, headers={"X-API-Key": key, **JSON})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "json_too_deep"
