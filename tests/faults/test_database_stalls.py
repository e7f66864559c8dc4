"""PostgreSQL alive but not answering (SIGSTOP, injected latency) or restarted under load: every
request and probe fails fast with a clean 503, and the service recovers when the fault ends."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator

import psutil
import psycopg

from copilot_api.storage.probe import PROBE_APPLICATION_NAME
from tests.faults.conftest import EmbeddedService, FaultReport
from tests.faults.harness import (
    Client,
    LatencyProxy,
    Load,
    Outcome,
    readiness,
    search,
    seconds_until,
)

# A request may wait DATABASE_TIMEOUT (2 s) for a connection or a reply; allow scheduling noise.
REQUEST_BUDGET_S = 3.0
# The goal: readiness 503 within 1 s, on every call including the first after the fault. Its
# own connection gives a round trip 0.4 s (half the 0.8 s check timeout) and later probes fail
# at once while that round trip is unanswered: 0.40 s measured under search load. Through the
# pool the first probe took 1.09 s here (up to 1.9 s on a busy machine).
PROBE_BUDGET_S = 1.0


def _timed_readiness(client: Client, timings: list[float]) -> int:
    started = time.monotonic()
    status = readiness(client)
    timings.append(time.monotonic() - started)
    return status


def _assert_clean_failures(outcomes: list[Outcome]) -> list[Outcome]:
    failed = [o for o in outcomes if o.status != 200]
    assert all(o.status == 503 and o.code for o in failed), failed
    return failed


@contextlib.contextmanager
def _stopped(postmaster_pid: int) -> Iterator[None]:
    """SIGSTOP the whole server (postmaster and every backend), SIGCONT at the end."""
    postmaster = psutil.Process(postmaster_pid)
    processes = [postmaster, *postmaster.children(recursive=True)]
    for process in processes:
        process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)


def test_hung_database_fails_fast_and_recovers(
    embedded_service: EmbeddedService, fault_report: FaultReport
) -> None:
    probe_times: list[float] = []
    with embedded_service.client() as client:
        assert readiness(client) == 200
        with Load(lambda: search(client), threads=1, pause=0.05) as searches:
            time.sleep(0.3)
            postmaster = embedded_service.server.postmaster_pid()
            assert postmaster is not None
            with _stopped(postmaster):
                fault = time.monotonic()
                to_503 = seconds_until(
                    lambda: _timed_readiness(client, probe_times) == 503, timeout=5
                )
                time.sleep(3.0)  # the stall lasts; every probe keeps answering quickly
                assert _timed_readiness(client, probe_times) == 503
                # The supervisor must not take a stopped server for a dead one.
                assert client.get("/health/liveness").status_code == 200
            resumed = time.monotonic()
            to_recovery = seconds_until(lambda: readiness(client) == 200, timeout=15)
            time.sleep(0.3)
        assert embedded_service.server.postmaster_pid() == postmaster

    assert to_503 is not None
    assert to_503 <= PROBE_BUDGET_S, probe_times
    assert max(probe_times) <= PROBE_BUDGET_S, probe_times
    assert to_recovery is not None
    assert to_recovery < 10
    during = [o for o in searches.since(fault) if o.at < resumed]
    assert during, "no request was sent during the stall"
    assert max(o.seconds for o in during) < REQUEST_BUDGET_S, [o.seconds for o in during]
    failed = _assert_clean_failures(searches.since(fault))
    assert failed, [
        (round(o.at - fault, 2), round(o.seconds, 2), o.status) for o in searches.outcomes
    ]
    fault_report.record(
        "database hung (SIGSTOP, 3 s)",
        time_to_503_s=to_503,
        time_to_recovery_s=to_recovery,
        requests_failed=len(failed),
        rows_lost=None,
    )


def test_postgres_restarted_under_load(
    embedded_service: EmbeddedService, fault_report: FaultReport
) -> None:
    server = embedded_service.server
    with embedded_service.client() as client:
        assert readiness(client) == 200
        with Load(lambda: search(client), threads=2, pause=0.02) as searches:
            time.sleep(0.3)
            fault = time.monotonic()
            server.stop_server()  # fast shutdown: what an operator's restart does
            server.ensure_running()
            restarted = time.monotonic()
            to_recovery = seconds_until(lambda: readiness(client) == 200, timeout=15)
            time.sleep(0.5)
            after = time.monotonic()
            time.sleep(0.5)
    assert to_recovery is not None
    assert to_recovery < 10
    failed = _assert_clean_failures(searches.since(fault))
    assert searches.since(after)
    assert all(o.status == 200 for o in searches.since(after))
    fault_report.record(
        "PostgreSQL restarted under load",
        time_to_503_s=None if not failed else round(min(o.at for o in failed) - fault, 3),
        time_to_recovery_s=round(to_recovery + (restarted - fault), 3),
        requests_failed=len(failed),
        rows_lost=None,
    )


def test_latency_between_service_and_database(
    embedded_service: EmbeddedService, fault_report: FaultReport
) -> None:
    """An external DATABASE_URL (through the proxy): no supervisor, readiness-only."""
    probe_times: list[float] = []
    with LatencyProxy(embedded_service.server.port) as proxy:
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/copilot"
        with embedded_service.client(database_url=url) as client:
            assert readiness(client) == 200
            with Load(lambda: search(client), threads=2, pause=0.05) as searches:
                time.sleep(0.3)
                proxy.delay = 5.0
                fault = time.monotonic()
                to_503 = seconds_until(
                    lambda: _timed_readiness(client, probe_times) == 503, timeout=5
                )
                time.sleep(2.5)
                ended = time.monotonic()
                proxy.delay = 0.0
                to_recovery = seconds_until(lambda: readiness(client) == 200, timeout=15)
                time.sleep(0.3)
            assert client.get("/health/liveness").status_code == 200
    assert to_503 is not None
    assert to_503 <= PROBE_BUDGET_S, probe_times
    assert max(probe_times) <= PROBE_BUDGET_S
    assert to_recovery is not None
    assert to_recovery < 10
    during = [o for o in searches.since(fault) if o.at < ended]
    assert during
    assert max(o.seconds for o in during) < REQUEST_BUDGET_S, [o.seconds for o in during]
    failed = _assert_clean_failures(searches.since(fault))
    fault_report.record(
        "5 s latency injected (TCP proxy, 2.5 s)",
        time_to_503_s=to_503,
        time_to_recovery_s=to_recovery,
        requests_failed=len(failed),
        rows_lost=None,
    )


def _database_health(client: Client) -> dict[str, object]:
    services: dict[str, dict[str, object]] = client.get("/health/detailed").json()["services"]
    return services["database"]


def _probe_backends(url: str) -> list[int]:
    """PIDs of the readiness probe's server processes."""
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            (PROBE_APPLICATION_NAME,),
        ).fetchall()
    return [int(row[0]) for row in rows]


def test_readiness_fails_at_once_while_the_previous_probe_is_unanswered(
    embedded_service: EmbeddedService,
) -> None:
    """The first probe waits its 0.4 s for a reply; the next ones do not queue behind the round
    trip still waiting for PostgreSQL, they fail at once (and say so in /health/detailed)."""
    with LatencyProxy(embedded_service.server.port) as proxy:
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/copilot"
        # A 5 s DATABASE_TIMEOUT: the unanswered round trip is not abandoned during the test.
        with embedded_service.client(database_url=url, database_timeout=5) as client:
            assert readiness(client) == 200
            proxy.delay = 5.0
            first: list[float] = []
            assert _timed_readiness(client, first) == 503
            later: list[float] = []
            assert _timed_readiness(client, later) == 503
            assert _database_health(client)["error"] == "ProbeStillWaitingError"
            proxy.delay = 0.0
            recovered = seconds_until(lambda: readiness(client) == 200, timeout=15)
    assert first[0] <= PROBE_BUDGET_S, first
    assert recovered is not None


def test_the_probe_reconnects_after_its_connection_broke_and_closes_at_shutdown(
    embedded_service: EmbeddedService,
) -> None:
    """External DATABASE_URL: a probe connection the server dropped is replaced by the probe
    that finds it broken (no false 503 after a server restart); the app's shutdown leaves no probe connection behind, even with a round trip under
    way on a server that does not answer (psycopg's polite cancel would wait 5-10 s)."""
    admin_url = embedded_service.url
    with LatencyProxy(embedded_service.server.port) as proxy:
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/copilot"
        with embedded_service.client(database_url=url) as client:
            assert readiness(client) == 200
            [backend] = _probe_backends(admin_url)
            with psycopg.connect(admin_url, autocommit=True) as admin:
                # Waits (up to 5 s) until the backend has ended.
                admin.execute("SELECT pg_terminate_backend(%s, 5000)", (backend,))
            # The probe finds its connection broken and answers on a new one, at once.
            assert readiness(client) == 200
            [replacement] = _probe_backends(admin_url)
            assert replacement != backend
            proxy.delay = 5.0
            assert readiness(client) == 503  # a round trip stays under way
            closing = time.monotonic()
        closed_in = time.monotonic() - closing
        proxy.delay = 0.0
        gone = seconds_until(lambda: not _probe_backends(admin_url), timeout=10)
    assert gone is not None, _probe_backends(admin_url)
    assert closed_in < 4.0, closed_in
