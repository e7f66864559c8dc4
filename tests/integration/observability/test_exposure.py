"""What the service exposes besides its API: /metrics only to Prometheus (a bearer token, and not
served at all in production without one), /docs configurable and off by default in production."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from litestar.testing import TestClient

from copilot_api.app import create_app
from copilot_api.storage.migrations import apply_migrations
from copilot_config import Environment, Settings

TOKEN = "k7Vq2xR9mB4wZ8pL3nT6"  # a test value


def _production(
    make_settings: Callable[..., Settings], database_url: str, **extra: object
) -> Settings:
    apply_migrations(database_url)  # production migrates as a deploy step
    return make_settings(
        environment=Environment.PRODUCTION,
        database_url=database_url,
        redis_url="redis://127.0.0.1:1/0",  # nothing listens: the in-process fallbacks answer
        **extra,
    )


def _status(settings: Settings, path: str, **headers: str) -> int:
    with TestClient(create_app(settings)) as client:
        return client.get(path, headers=headers).status_code


def test_production_serves_neither_metrics_nor_docs_by_default(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = _production(make_settings, database_url)
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/docs").status_code == 404
        assert client.get("/docs/openapi.json").status_code == 404
        assert client.get("/health/liveness").status_code == 200


def test_production_with_a_token_serves_metrics_to_its_holder_only(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = _production(make_settings, database_url, metrics_bearer_token=TOKEN)
    with TestClient(create_app(settings)) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "metrics_token_required"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        wrong = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
        assert wrong.status_code == 401
        allowed = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200
        assert "copilot_build_info" in allowed.text


@pytest.mark.parametrize(("enabled", "status"), [(True, 200), (False, 404)])
def test_docs_follow_the_setting(
    make_settings: Callable[..., Settings], database_url: str, enabled: bool, status: int
) -> None:
    settings = make_settings(database_url=database_url, api_docs_enabled=enabled)
    assert _status(settings, "/docs/openapi.json") == status


def test_outside_production_metrics_stay_open_for_prometheus(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    assert _status(make_settings(database_url=database_url), "/metrics") == 200
    assert _status(make_settings(database_url=database_url), "/docs/openapi.json") == 200
