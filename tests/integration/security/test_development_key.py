"""The development key: created, saved 0600 and printed by `copilot serve` in development only."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest

from copilot_api.security.dev_key import (
    DEV_KEY_NAME,
    NotDevelopmentError,
    dev_key_path,
    ensure_development_key,
)
from copilot_api.security.keys import KEY_PATTERN
from copilot_config import Environment, Settings
from tests.harness import RedisServer
from tests.integration.security.support import LiveServer, fetch_key, revoke


def _development(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    return make_settings(environment=Environment.DEVELOPMENT, database_url=database_url)


def _live_development_keys(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM api_keys WHERE name = %s AND revoked_at IS NULL",
            (DEV_KEY_NAME,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_key_is_kept_private_and_reused(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = _development(make_settings, database_url)
    key = ensure_development_key(settings, database_url)
    assert KEY_PATTERN.fullmatch(key)
    saved = dev_key_path(settings)
    assert saved.read_text().strip() == key
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    stored = fetch_key(database_url, key)
    assert stored is not None
    assert stored.name == DEV_KEY_NAME
    assert {scope.value for scope in stored.scopes} == {"search", "workflows", "admin"}

    assert ensure_development_key(settings, database_url) == key  # same key every start
    assert _live_development_keys(database_url) == 1


def test_a_lost_or_revoked_key_is_replaced(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = _development(make_settings, database_url)
    first = ensure_development_key(settings, database_url)
    dev_key_path(settings).unlink()
    second = ensure_development_key(settings, database_url)
    assert second != first
    assert fetch_key(database_url, first).revoked  # type: ignore[union-attr]
    revoke(database_url, second)
    third = ensure_development_key(settings, database_url)
    assert third not in (first, second)
    assert _live_development_keys(database_url) == 1


@pytest.mark.parametrize(
    "environment", [Environment.TEST, Environment.STAGING, Environment.PRODUCTION]
)
def test_never_outside_development(
    make_settings: Callable[..., Settings], database_url: str, environment: Environment
) -> None:
    deployed = {"redis_url": "redis://cache.internal:6379/0"} if environment.is_deployed else {}
    settings = make_settings(environment=environment, database_url=database_url, **deployed)
    with pytest.raises(NotDevelopmentError):
        ensure_development_key(settings, database_url)
    assert not dev_key_path(settings).exists()


@pytest.mark.slow
def test_serve_in_development_prints_a_working_key(
    database_url: str,
    start_server: Callable[..., LiveServer],
    record_log_output: Callable[[str], None],
) -> None:
    server = start_server(ENVIRONMENT="development", DATABASE_URL=database_url)
    server.wait_ready()
    printed = server.stdout().splitlines()
    marker = next(i for i, line in enumerate(printed) if line.startswith("Development API key"))
    key = printed[marker + 1]
    assert KEY_PATTERN.fullmatch(key)
    response = httpx.get(
        f"{server.base_url}/api/admin/keys", headers={"X-API-Key": key}, timeout=10
    )
    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == [DEV_KEY_NAME]
    assert server.stop() == 0
    record_log_output(server.stderr())
    assert key not in server.stderr()  # printed for the developer, never logged


@pytest.mark.slow
def test_serve_in_staging_creates_no_key(
    tmp_path: Path,
    database_url: str,
    redis_server: RedisServer,
    start_server: Callable[..., LiveServer],
    record_log_output: Callable[[str], None],
) -> None:
    server = start_server(
        ENVIRONMENT="staging", DATABASE_URL=database_url, REDIS_URL=redis_server.url
    )
    server.wait_ready()
    assert server.stop() == 0
    record_log_output(server.stderr())
    assert "Development API key" not in server.stdout()
    assert not (tmp_path / "data" / "dev-api-key").exists()
    assert _live_development_keys(database_url) == 0
