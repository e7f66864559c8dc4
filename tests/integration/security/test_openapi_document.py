"""The OpenAPI document states the API-key requirement and the real error shape."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from copilot_config import Settings
from tests.integration.security.support import create_test_app

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _schema(settings: Settings) -> dict[str, Any]:
    with TestClient(create_test_app(settings)) as client:
        document: dict[str, Any] = client.get("/docs/openapi.json").json()
    return document


def test_api_operations_require_the_key_and_document_its_errors(settings: Settings) -> None:
    document = _schema(settings)
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "name": "X-API-Key",
        "in": "header",
        "description": "API key (`copilot keys create`); scopes: search, workflows, admin.",
    }
    api_operations = [
        (path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
        if path.startswith("/api")
    ]
    assert len(api_operations) >= 3
    for path, operation in api_operations:
        assert operation["security"] == [{"ApiKey": []}], path
        for status in ("401", "403", "429", "503"):
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == ERROR_REF, (path, status)


def test_open_operations_need_no_key_and_errors_use_the_error_body(settings: Settings) -> None:
    document = _schema(settings)
    for path in ("/health", "/health/readiness"):
        operation = document["paths"][path]["get"]
        assert "security" not in operation
        assert "401" not in operation["responses"]
    echo = document["paths"]["/api/test/echo"]["post"]["responses"]
    # Litestar's own `{"status_code", "detail"}` shape is replaced by what errors.py sends.
    assert echo["400"]["content"]["application/json"]["schema"] == ERROR_REF
    assert echo["413"]["content"]["application/json"]["schema"] == ERROR_REF
    error_info = document["components"]["schemas"]["ErrorInfo"]
    assert sorted(error_info["required"]) == ["code", "message"]
