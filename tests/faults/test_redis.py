"""Redis SIGKILLed and brought back under load: the service keeps answering from its in-process
fallbacks (Redis is not critical for readiness) and uses Redis again once it is back."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.faults.conftest import EmbeddedService, FaultReport
from tests.faults.harness import Client, Load, readiness, search, seconds_until
from tests.harness import RedisServer


def _redis_status(client: Client) -> str:
    services = client.get("/health/detailed").json()["services"]
    return str(services["redis"]["status"])


def test_redis_killed_and_restored_under_load(
    embedded_service: EmbeddedService, fault_report: FaultReport, tmp_path: Path
) -> None:
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    try:
        with embedded_service.client(redis_url=redis_server.url) as client:
            assert _redis_status(client) == "healthy"
            with Load(lambda: search(client), threads=2, pause=0.02) as searches:
                time.sleep(0.5)
                assert redis_server.process is not None
                fault = time.monotonic()
                redis_server.process.send_signal(signal.SIGKILL)
                redis_server.process.wait()
                redis_server.process = None
                noticed = seconds_until(lambda: _redis_status(client) == "degraded", timeout=10)
                readiness_while_down = readiness(client)
                time.sleep(2.0)
                redis_server.start()  # same port, empty: a restarted cache
                back = time.monotonic()
                to_recovery = seconds_until(lambda: _redis_status(client) == "healthy", timeout=15)
                time.sleep(0.5)
    finally:
        redis_server.stop()
    assert noticed is not None
    assert readiness_while_down == 200  # degraded, not unready
    assert to_recovery is not None
    assert to_recovery < 10
    during = searches.since(fault)
    assert any(o.at < back for o in during), "no request was sent while Redis was down"
    failed = [o for o in during if o.status != 200]
    assert failed == []
    fault_report.record(
        "Redis SIGKILLed 2 s under load",
        time_to_503_s=None,
        time_to_recovery_s=to_recovery,
        requests_failed=len(failed),
        rows_lost=None,
    )
