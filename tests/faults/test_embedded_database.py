"""The embedded PostgreSQL dies: SIGKILLed postmaster, a stale postmaster.pid, restarts that
keep failing. The service brings it back, or says it cannot (liveness) so it is replaced."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid

import psycopg

from tests.faults.conftest import EmbeddedService, FaultReport
from tests.faults.harness import Client, Load, error_code, readiness, search, seconds_until


def _writer(client: Client, tag: str, acknowledged: list[str]) -> tuple[int, str | None]:
    key = f"FAULT-{tag}-{uuid.uuid4().hex[:10]}"
    listing = {
        "ListingKey": key,
        "ListPrice": 450_000,
        "City": "Austin",
        "StateOrProvince": "TX",
        "PropertyType": "Residential",
        "StandardStatus": "Active",
        "BedroomsTotal": 3,
        "PublicRemarks": "Written while the database was being killed.",
    }
    response = client.post("/api/listings", json={"listings": [listing]})
    if response.status_code == 200 and response.json()["inserted"] == 1:
        acknowledged.append(key)
    return response.status_code, error_code(response)


def _stored(url: str, keys: list[str]) -> int:
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM listings WHERE listing_key = ANY(%s)", (keys,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_sigkilled_postmaster_is_restarted_and_no_acknowledged_row_is_lost(
    embedded_service: EmbeddedService, fault_report: FaultReport
) -> None:
    acknowledged: list[str] = []
    with embedded_service.client() as client:
        assert readiness(client) == 200
        with (
            Load(lambda: search(client), threads=1, pause=0.05) as searches,
            Load(lambda: _writer(client, "kill", acknowledged), threads=1, pause=0.05) as writes,
        ):
            time.sleep(0.5)
            postmaster = embedded_service.server.postmaster_pid()
            assert postmaster is not None
            fault = time.monotonic()
            os.kill(postmaster, signal.SIGKILL)

            to_503 = seconds_until(lambda: readiness(client) == 503, timeout=5)
            to_recovery = seconds_until(lambda: readiness(client) == 200, timeout=20)
            recovered_at = time.monotonic()
            time.sleep(0.5)  # the load keeps going on the restarted server
        assert client.get("/health/liveness").status_code == 200
        assert embedded_service.server.postmaster_pid() not in (None, postmaster)
        embedded = client.get("/health/detailed").json()["services"]["database"]["embedded"]
        assert embedded == {"state": "running", "restarts": 1}

    assert to_503 is not None
    assert to_503 < 1.0, to_503
    assert to_recovery is not None
    total_recovery = round(recovered_at - fault, 3)
    assert total_recovery < 10.0
    assert searches.server_errors() == []
    assert writes.server_errors() == []
    failed = [o for o in searches.since(fault) + writes.since(fault) if o.status != 200]
    # Every failure is a clean, retryable refusal with a machine-readable code.
    assert all(o.status == 503 and o.code for o in failed), failed
    assert searches.since(recovered_at)
    assert all(o.status == 200 for o in searches.since(recovered_at + 0.1))
    lost = len(acknowledged) - _stored(embedded_service.url, acknowledged)
    assert acknowledged
    assert lost == 0
    fault_report.record(
        "embedded postmaster SIGKILLed (under load)",
        time_to_503_s=to_503,
        time_to_recovery_s=total_recovery,
        requests_failed=len(failed),
        rows_lost=lost,
    )


def test_a_stale_postmaster_pid_never_blocks_a_start(
    embedded_service: EmbeddedService, fault_report: FaultReport
) -> None:
    """After a crash the PID in postmaster.pid may belong to an unrelated live process."""
    server = embedded_service.server
    server.stop_server()
    pid_file = server.data_dir / "postmaster.pid"
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        pid_file.write_text(f"{unrelated.pid}\n{server.data_dir}\n0\n{server.port}\n")
        assert not server.is_running()
        started = time.monotonic()
        server.ensure_running()
        took = round(time.monotonic() - started, 3)
    finally:
        unrelated.kill()
        unrelated.wait()
    assert server.postmaster_pid() not in (None, unrelated.pid)
    with embedded_service.client() as client:
        assert readiness(client) == 200
    fault_report.record(
        "embedded: stale postmaster.pid (PID reused)",
        time_to_503_s=None,
        time_to_recovery_s=took,
        requests_failed=0,
        rows_lost=None,
    )


def test_liveness_fails_once_restarts_are_exhausted(
    embedded_service: EmbeddedService, fault_report: FaultReport
) -> None:
    server = embedded_service.server
    with embedded_service.client(database_restart_attempts=2) as client:
        assert readiness(client) == 200
        postmaster = server.postmaster_pid()
        assert postmaster is not None
        fault = time.monotonic()
        os.kill(postmaster, signal.SIGKILL)
        # Someone else takes the server's port: every restart attempt fails.
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            deadline = time.monotonic() + 5
            while True:
                try:
                    squatter.bind(("127.0.0.1", server.port))
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the killed server kept its port"
                    time.sleep(0.05)
            squatter.listen()
            to_503 = seconds_until(lambda: readiness(client) == 503, timeout=5)
            to_dead = seconds_until(
                lambda: client.get("/health/liveness").status_code == 503, timeout=20
            )
            assert client.get("/health/liveness").json()["failed"] == ["database_supervisor"]
        assert to_503 is not None
        assert to_503 < 1.0
        assert to_dead is not None
        gave_up = round(time.monotonic() - fault, 3)
    server.ensure_running()  # leave the module's server running for the next scenarios
    fault_report.record(
        "embedded: restarts exhausted -> liveness 503",
        time_to_503_s=to_503,
        time_to_recovery_s=None,
        requests_failed=0,
        rows_lost=None,
    )
    assert gave_up < 15
