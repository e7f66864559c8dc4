"""The embedded postmaster SIGKILLed under load while `copilot serve` runs 2 workers: each
worker's supervisor notices, one restarts the server (under the file lock) and the other finds
it back; readiness is 503 within 1 s and 200 again within 10 s; no request gets a 500."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from copilot_api.storage.embedded import DATABASE_NAME, SUPERUSER, EmbeddedPostgres
from tests.faults.conftest import FaultReport
from tests.faults.harness import QUERIES, Load, error_code, seconds_until
from tests.faults.live import launch_server
from tests.integration.security.support import LiveServer, make_key

TO_503_BUDGET_S = 1.0
RECOVERY_BUDGET_S = 10.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = launch_server(tmp_path, WORKERS="2")  # no DATABASE_URL: the embedded server
    try:
        live.wait_ready()
        yield live
    finally:
        live.stop()


def _readiness(base_url: str) -> int:
    try:
        return httpx.get(f"{base_url}/health/readiness", timeout=5).status_code
    except httpx.TransportError:
        return 0  # counted as not ready; the assertions below look for 503 and 200


def test_sigkilled_postmaster_with_two_workers(
    server: LiveServer, tmp_path: Path, fault_report: FaultReport
) -> None:
    embedded = EmbeddedPostgres(tmp_path / "data" / "postgres")
    port = embedded.running_port()
    assert port is not None
    url = f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{DATABASE_NAME}"
    key = make_key(url, name="load", scopes="search", per_minute=10**6, per_hour=10**6)
    clients: dict[int, httpx.Client] = {}
    lock = threading.Lock()

    def search() -> tuple[int, str | None]:
        with lock:  # one keep-alive client per load thread
            client = clients.setdefault(
                threading.get_ident(),
                httpx.Client(base_url=server.base_url, headers={"X-API-Key": key}, timeout=10),
            )
        try:
            response = client.post(
                "/api/property-search", json={"query": random.choice(QUERIES), "limit": 5}
            )
        except httpx.TransportError as error:
            return 0, type(error).__name__
        return response.status_code, error_code(response)

    try:
        with Load(search, threads=2, pause=0.02) as searches:
            time.sleep(1.0)
            postmaster = embedded.postmaster_pid()
            assert postmaster is not None
            fault = time.monotonic()
            os.kill(postmaster, signal.SIGKILL)
            to_503 = seconds_until(lambda: _readiness(server.base_url) == 503, timeout=5)
            to_recovery = seconds_until(
                lambda: _readiness(server.base_url) == 200, timeout=RECOVERY_BUDGET_S + 5
            )
            recovered_at = time.monotonic()
            time.sleep(1.5)  # both workers serve from the restarted server
    finally:
        for client in clients.values():
            client.close()

    assert embedded.postmaster_pid() not in (None, postmaster)
    assert to_503 is not None
    assert to_503 <= TO_503_BUDGET_S, to_503
    assert to_recovery is not None
    total_recovery = round(recovered_at - fault, 3)
    assert total_recovery <= RECOVERY_BUDGET_S, total_recovery
    failed = [o for o in searches.since(fault) if o.status != 200]
    # Every failure is a clean 503 with a code: no 500, no broken connection.
    assert all(o.status == 503 and o.code for o in failed), failed
    late = searches.since(recovered_at + 0.5)
    assert late
    assert all(o.status == 200 for o in late), [(o.status, o.code) for o in late]
    for worker_probe in range(4):  # with keep-alive off, probes spread over both workers
        assert _readiness(server.base_url) == 200, worker_probe
    fault_report.record(
        "embedded postmaster SIGKILLed (2 workers, under load)",
        time_to_503_s=to_503,
        time_to_recovery_s=total_recovery,
        requests_failed=len(failed),
        rows_lost=None,
    )
