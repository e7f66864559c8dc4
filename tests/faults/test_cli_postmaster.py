"""A CLI command that started the embedded PostgreSQL is SIGKILLed: its watchdog stops the
server; if the watchdog dies too, the next command adopts the orphan and stops it when done."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from copilot_api.storage.embedded import EmbeddedPostgres
from tests.faults.conftest import FaultReport
from tests.faults.harness import seconds_until
from tests.harness import free_port, service_environment


def _serve_until_ready(data_dir: Path, cwd: Path) -> subprocess.Popen[bytes]:
    port = free_port()
    log = cwd / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "copilot_api", "serve"],
            env=service_environment(data_dir, PORT=str(port), WORKERS="1"),
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

    def ready() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health/readiness", timeout=1).is_success
        except httpx.TransportError:
            return False

    # Generous: a cold start (initdb, first import) is slow on a loaded CI machine.
    if seconds_until(ready, timeout=150, interval=0.2) is None:
        process.kill()
        process.wait()
        tail = log.read_text(errors="replace").splitlines()[-5:]
        raise AssertionError("copilot serve never became ready:\n" + "\n".join(tail))
    return process


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by both scenarios: the data directory is initialised once."""
    return tmp_path_factory.mktemp("cli-faults") / "data"


def _watchdogs_of(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process(process.pid).children(recursive=True)
        if "copilot_api.storage.watchdog" in " ".join(child.cmdline())
    ]


def test_sigkilled_command_leaves_no_postmaster(
    data_dir: Path, tmp_path: Path, fault_report: FaultReport
) -> None:
    server = EmbeddedPostgres(data_dir / "postgres")
    process = _serve_until_ready(data_dir, tmp_path)
    try:
        assert server.is_running()
        assert len(_watchdogs_of(process)) == 1
        killed = time.monotonic()
        process.send_signal(signal.SIGKILL)
        process.wait()
        stopped_in = seconds_until(lambda: not server.is_running(), timeout=30, interval=0.05)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        server.stop_server()
    assert stopped_in is not None, "the killed command's postmaster is still running"
    assert not server.owner_file.exists()
    fault_report.record(
        "CLI SIGKILLed: watchdog stops its postmaster",
        time_to_503_s=None,
        time_to_recovery_s=round(time.monotonic() - killed, 3) if stopped_in else None,
        requests_failed=0,
        rows_lost=None,
    )


def test_next_command_adopts_and_stops_an_orphaned_postmaster(
    data_dir: Path, tmp_path: Path, fault_report: FaultReport
) -> None:
    server = EmbeddedPostgres(data_dir / "postgres")
    process = _serve_until_ready(data_dir, tmp_path)
    try:
        for watchdog in _watchdogs_of(process):  # the whole tree dies at once
            watchdog.kill()
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(0.5)
        assert server.is_running(), "nothing left to adopt: the scenario did not happen"
        started = time.monotonic()
        migrate = subprocess.run(
            [sys.executable, "-m", "copilot_api", "db", "migrate"],
            env=service_environment(data_dir),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        took = round(time.monotonic() - started, 3)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    try:
        assert migrate.returncode == 0, migrate.stderr
        assert "adopting embedded PostgreSQL" in migrate.stderr
        assert not server.is_running(), "the adopting command left the server running"
    finally:
        server.stop_server()
    fault_report.record(
        "CLI and watchdog SIGKILLed: next command adopts",
        time_to_503_s=None,
        time_to_recovery_s=took,
        requests_failed=0,
        rows_lost=None,
    )
