"""Two `copilot serve` processes behind one real Redis: one exact count, the client IP only from
trusted proxies, and requests still served once Redis is gone."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import RedisServer, service_environment
from tests.integration.security.support import LiveServer

pytestmark = pytest.mark.slow

LIMIT = 5


@dataclass
class Cluster:
    a: LiveServer  # trusts 127.0.0.1 as a proxy
    b: LiveServer  # trusts nobody
    key: str
    redis: RedisServer


def _with_password(database_url: str, password: str) -> str:
    # The embedded server trusts local connections, so the password is not checked, but it
    # travels through the settings exactly as a real one would: the log check looks for it.
    return database_url.replace("postgresql://postgres@", f"postgresql://postgres:{password}@")


def _create_key_with_the_cli(tmp_path: Path, env: dict[str, str]) -> tuple[str, str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "copilot_api",
            "keys",
            "create",
            "--name",
            "shared",
            "--scopes",
            "search,workflows,admin",
            "--rate-limit-per-minute",
            str(LIMIT),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1], result.stderr


@pytest.fixture
def cluster(
    tmp_path: Path,
    database_url: str,
    redis_server: RedisServer,
    start_server: Callable[..., LiveServer],
    register_secret: Callable[[str], None],
    record_log_output: Callable[[str], None],
) -> Iterator[Cluster]:
    password = "pw-" + secrets.token_urlsafe(16)
    openai_key = "sk-test-" + secrets.token_urlsafe(24)
    register_secret(password)
    register_secret(openai_key)
    settings = {
        "DATABASE_URL": _with_password(database_url, password),
        "REDIS_URL": redis_server.url,
        "OPENAI_API_KEY": openai_key,
    }
    key, cli_log = _create_key_with_the_cli(
        tmp_path, service_environment(tmp_path / "data", **settings)
    )
    record_log_output(cli_log)
    a = start_server(TRUSTED_PROXIES="127.0.0.1/32", **settings)
    b = start_server(**settings)
    a.wait_ready()
    b.wait_ready()
    yield Cluster(a, b, key, redis_server)
    for server in (a, b):
        assert server.stop() == 0
        log = server.stderr()
        record_log_output(log)
        assert "Traceback" not in log


def _get(server: LiveServer, key: str, **headers: str) -> httpx.Response:
    return httpx.get(
        f"{server.base_url}/api/admin/keys", headers={"X-API-Key": key, **headers}, timeout=10
    )


def _rate_limited_events(server: LiveServer) -> list[dict[str, Any]]:
    return [
        entry["extra"]["security_event"]
        for entry in server.log_events()
        if entry.get("logger") == "copilot.security"
        and entry["extra"]["security_event"]["event_type"] == "rate_limited"
    ]


def test_two_servers_share_one_exact_limit_and_survive_losing_redis(cluster: Cluster) -> None:
    a, b, key = cluster.a, cluster.b, cluster.key
    allowed = [_get(server, key) for server in (a, b, a, b, a)]
    assert [r.status_code for r in allowed] == [200] * LIMIT
    # One count across both processes: each answer knows about the others' requests.
    assert [r.headers["X-RateLimit-Remaining"] for r in allowed] == ["4", "3", "2", "1", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in allowed} == {str(LIMIT)}

    # Request N+1, on either server, is refused; the event names the real client.
    via_proxy = _get(a, key, **{"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
    spoofed = _get(b, key, **{"X-Forwarded-For": "203.0.113.7"})
    for refused in (via_proxy, spoofed):
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Remaining"] == "0"
    (event_a,) = _rate_limited_events(a)
    (event_b,) = _rate_limited_events(b)
    assert event_a["ip_address"] == "203.0.113.7"  # A trusts its proxy (us, 127.0.0.1)
    assert event_b["ip_address"] == "127.0.0.1"  # B does not: the header is ignored
    assert event_a["backend"] == event_b["backend"] == "redis"
    assert event_a["user_id"] == key[:14]

    # Redis stopped mid-test (by PID): both servers keep serving, each counting on its own.
    cluster.redis.stop()
    during = [_get(server, key) for server in (a, b, a, b)]
    assert [r.status_code for r in during] == [200] * 4
    assert [r.headers["X-RateLimit-Remaining"] for r in during] == ["4", "4", "3", "3"]
    for server in (a, b):
        detail = httpx.get(f"{server.base_url}/health/detailed", timeout=10).json()
        assert detail["services"]["rate_limiter"]["status"] == "degraded"
        assert detail["services"]["rate_limiter"]["backend"] == "memory"
        assert httpx.get(f"{server.base_url}/health/readiness", timeout=10).status_code == 200
