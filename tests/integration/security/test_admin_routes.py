"""The admin key routes: create, list, revoke, audited; and the key's recorded last use."""

from __future__ import annotations

import time
from typing import Any

from litestar.testing import TestClient

from copilot_config import Settings
from tests.integration.security.support import create_test_app, fetch_key, make_key


def test_an_admin_creates_lists_and_revokes_keys(
    settings: Settings, database_url: str, security_events: list[dict[str, Any]]
) -> None:
    admin = make_key(database_url, name="root", scopes="admin")
    headers = {"X-API-Key": admin}
    with TestClient(create_test_app(settings)) as client:
        created = client.post(
            "/api/admin/keys",
            headers=headers,
            json={
                "name": "crm-prod",
                "scopes": ["workflows", "search"],
                "rate_limit_per_minute": 5,
            },
        )
        assert created.status_code == 201
        body = created.json()
        new_key = body["api_key"]
        assert body["key"]["prefix"] == new_key[:14]
        assert body["key"]["scopes"] == ["search", "workflows"]
        assert body["key"]["rate_limit_per_minute"] == 5
        assert body["key"]["revoked_at"] is None

        used = client.get("/api/test/search", headers={"X-API-Key": new_key})
        assert used.status_code == 200
        assert used.headers["X-RateLimit-Limit"] == "5"

        duplicate = client.post(
            "/api/admin/keys", headers=headers, json={"name": "crm-prod", "scopes": ["search"]}
        )
        assert duplicate.status_code == 409
        assert duplicate.json()["error"]["code"] == "api_key_name_taken"

        listed = client.get("/api/admin/keys", headers=headers).json()
        assert [key["name"] for key in listed] == ["root", "crm-prod"]
        assert all("api_key" not in key and "secret_hash" not in key for key in listed)

        revoked = client.delete(f"/api/admin/keys/{new_key[:14]}", headers=headers)
        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"] is not None
        again = client.delete(f"/api/admin/keys/{new_key[:14]}", headers=headers)
        assert again.json()["revoked_at"] == revoked.json()["revoked_at"]  # idempotent

        refused = client.get("/api/test/search", headers={"X-API-Key": new_key})
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "api_key_revoked"

        missing = client.delete("/api/admin/keys/cpk_ffffffffff", headers=headers)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "api_key_not_found"
        assert client.delete("/api/admin/keys/nonsense", headers=headers).status_code == 404

    audit = [e for e in security_events if e["event_type"].startswith("api_key_")]
    assert [e["event_type"] for e in audit] == [
        "api_key_created",
        "api_key_revoked",
        "api_key_revoked",
    ]
    assert {e["user_id"] for e in audit} == {admin[:14]}
    assert {e["key_prefix"] for e in audit} == {new_key[:14]}
    assert all(e["via"] == "api" and e["ip_address"] == "testclient" for e in audit)
    assert not any(new_key in str(e) or admin in str(e) for e in security_events)


def test_key_names_are_validated(settings: Settings, database_url: str) -> None:
    headers = {"X-API-Key": make_key(database_url, name="root", scopes="admin")}
    with TestClient(create_test_app(settings)) as client:
        for body in [
            {"name": "ok\n", "scopes": ["search"]},
            {"name": "", "scopes": ["search"]},
            {"name": "x", "scopes": []},
            {"name": "x", "scopes": ["root"]},
            {"name": "x", "scopes": ["search"], "rate_limit_per_minute": 0},
            {"name": "x", "scopes": ["search"], "owner": "me"},
        ]:
            response = client.post("/api/admin/keys", headers=headers, json=body)
            assert response.status_code == 400, body
            assert response.json()["error"]["code"] in {"validation_error", "invalid_key_name"}


def test_only_admins_manage_keys(settings: Settings, database_url: str) -> None:
    both = make_key(database_url, name="both", scopes="search,workflows")
    with TestClient(create_test_app(settings)) as client:
        response = client.get("/api/admin/keys", headers={"X-API-Key": both})
    assert response.status_code == 403
    assert response.json()["error"]["details"]["required_scope"] == "admin"


def test_last_use_is_recorded_without_a_write_per_request(
    settings: Settings, database_url: str
) -> None:
    key = make_key(database_url, name="busy", scopes="search")
    assert fetch_key(database_url, key).last_used_at is None  # type: ignore[union-attr]
    with TestClient(create_test_app(settings)) as client:
        client.get("/api/test/search", headers={"X-API-Key": key})
        deadline = time.monotonic() + 5
        first = None
        while first is None and time.monotonic() < deadline:
            first = fetch_key(database_url, key).last_used_at  # type: ignore[union-attr]
            time.sleep(0.02)
        assert first is not None
        for _ in range(5):
            client.get("/api/test/search", headers={"X-API-Key": key})
        time.sleep(0.2)
        # Within the minute the timestamp is not rewritten.
        assert fetch_key(database_url, key).last_used_at == first  # type: ignore[union-attr]
