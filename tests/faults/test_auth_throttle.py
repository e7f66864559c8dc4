"""Failed-authentication throttling on a live `copilot serve` (2 workers, Redis shared): 60
wrong keys from one client IP (behind a trusted proxy) get exactly the allowed number of 401s,
then 429 with Retry-After, even for a valid key from that IP; a valid key from another IP is
unaffected; the refusals show as security events and as the metric the dashboard plots."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.conftest import FaultReport
from tests.faults.live import launch_server
from tests.harness import redis_server
from tests.integration.security.support import LiveServer, make_key

ATTACKER = "203.0.113.66"
NEIGHBOUR = "198.51.100.5"
FAILURES_PER_MINUTE = 10
ATTEMPTS = 60  # well inside one minute, the window the block lasts


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    with redis_server(tmp_path / "redis") as redis:
        live = launch_server(
            tmp_path,
            WORKERS="2",
            DATABASE_URL=database_url,
            REDIS_URL=redis.url,
            TRUSTED_PROXIES="127.0.0.1/32",
            AUTH_FAILURES_PER_MINUTE=str(FAILURES_PER_MINUTE),
        )
        try:
            live.wait_ready()
            yield live
        finally:
            live.stop()


def _get(server: LiveServer, key: str, ip: str) -> httpx.Response:
    # A new connection per request, so both workers take their share of the attempts.
    return httpx.get(
        f"{server.base_url}/api/workflows",
        headers={"X-API-Key": key, "X-Forwarded-For": ip, "Connection": "close"},
        timeout=10,
    )


def _throttled_total(server: LiveServer) -> float:
    text = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    match = re.search(r"^copilot_security_auth_throttled_total(?:\{[^}]*\})? (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_failed_authentication_is_throttled_per_ip_across_workers(
    server: LiveServer, database_url: str, fault_report: FaultReport
) -> None:
    valid = make_key(database_url, name="valid", scopes="admin", per_minute=10**6, per_hour=10**6)
    wrong = "cpk_0000000000_" + "x" * 32

    started = time.monotonic()
    attack = [_get(server, wrong, ATTACKER) for _ in range(ATTEMPTS)]
    statuses = Counter(response.status_code for response in attack)
    neighbour = [_get(server, valid, NEIGHBOUR) for _ in range(20)]
    attacker_with_valid_key = _get(server, valid, ATTACKER)
    elapsed = time.monotonic() - started

    fault_report.record(
        f"failed-auth throttling: {ATTEMPTS} wrong keys from one IP, 2 workers + Redis",
        time_to_503_s=None,
        time_to_recovery_s=None,
        requests_failed=sum(1 for r in neighbour if r.status_code != 200),
        rows_lost=None,
    )
    # Counted once across both workers: exactly the allowed failures, then refusals.
    assert statuses == {401: FAILURES_PER_MINUTE, 429: ATTEMPTS - FAILURES_PER_MINUTE}, statuses
    refused = [r for r in attack if r.status_code == 429]
    assert all(r.json()["error"]["code"] == "too_many_failed_authentications" for r in refused)
    assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in refused)
    assert attacker_with_valid_key.status_code == 429  # blocked: no oracle for a right guess
    assert [r.status_code for r in neighbour] == [200] * 20
    # A block ends when the oldest failure is a minute old; the counts above assume the attack
    # finished before that.
    assert elapsed < 55

    deadline = time.monotonic() + 5  # workers publish their metrics every second
    while _throttled_total(server) < len(refused) + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _throttled_total(server) == len(refused) + 1
    events = [
        e["extra"]["security_event"]
        for e in server.log_events()
        if "security_event" in e.get("extra", {})
    ]
    throttled = [e for e in events if e.get("event_type") == "auth_throttled"]
    assert len(throttled) == len(refused) + 1
    assert {e["ip_address"] for e in throttled} == {ATTACKER}
