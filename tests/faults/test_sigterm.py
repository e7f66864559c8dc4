"""SIGTERM under load (live `copilot serve`, 2 workers): requests in flight complete, including a
slow upload that keeps a worker draining for seconds; new connections are refused from shortly
after the signal, while that upload is still draining; the server exits 0. Before the fix, the
supervisor kept the listening socket open until the workers had drained, so connections made
meanwhile were accepted by the kernel, never served, and reset when it exited.

Known limit (recorded in the row as requests failed): a connection that sits in the kernel's
accept queue at the instant the last listener closes is still reset; that window is the signal
handling time (well under a second), not the drain."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.conftest import FaultReport
from tests.faults.live import launch_server
from tests.integration.security.support import LiveServer, make_key

CLIENTS = 4
MAX_REQUESTS_PER_CLIENT = 400
LOAD_BEFORE_SIGNAL_S = 1.5
LOAD_AFTER_SIGNAL_S = 6.0
SLOW_UPLOAD_S = 6.0  # keeps one request in flight (and a worker draining) well past the signal
REFUSED_WITHIN_S = 3.0  # after the signal; the upload still drains until ~4.5 s


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    live = launch_server(tmp_path, WORKERS="2", DATABASE_URL=database_url)
    try:
        live.wait_ready()
        yield live
    finally:
        live.stop()


def _outcome(url: str, key: str) -> str:
    try:
        response = httpx.post(
            url,
            json={"query": "3 bed house in Ames with a garage"},
            headers={"X-API-Key": key, "Connection": "close"},  # a new connection each time
            timeout=30,
        )
    except httpx.ConnectError:
        return "refused"
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        return "reset"
    if response.status_code == 200:
        return "ok"
    return "unavailable" if response.status_code == 503 else f"status {response.status_code}"


def _slow_upload(port: int, key: str, result: list[str]) -> None:
    """One search whose body trickles in over SLOW_UPLOAD_S; stores the status line."""
    body = json.dumps({"query": "3 bed house in Ames"}).encode()
    head = (
        f"POST /api/property-search HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(head)
            for index in range(len(body)):
                sock.sendall(body[index : index + 1])
                time.sleep(SLOW_UPLOAD_S / len(body))
            result.append(sock.makefile("rb").readline().decode().strip())
    except OSError as error:
        result.append(f"error {type(error).__name__}")


def test_sigterm_under_load_refuses_late_clients_and_finishes_the_others(
    server: LiveServer, database_url: str, fault_report: FaultReport
) -> None:
    key = make_key(database_url, name="load", scopes="search", per_minute=10**6, per_hour=10**6)
    url = f"{server.base_url}/api/property-search"
    outcomes: list[tuple[float, str]] = []
    lock = threading.Lock()
    signalled = threading.Event()
    stop_at = [float("inf")]

    def client() -> None:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= stop_at[0]:
                return
            started = time.monotonic()
            result = _outcome(url, key)
            with lock:
                outcomes.append((started, result))
            if result == "refused" and signalled.is_set():
                time.sleep(0.05)  # the server is gone: keep probing, gently

    slow: list[str] = []
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    threads.append(threading.Thread(target=_slow_upload, args=(server.port, key, slow)))
    for thread in threads:
        thread.start()
    time.sleep(LOAD_BEFORE_SIGNAL_S)
    signal_time = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    signalled.set()
    stop_at[0] = signal_time + LOAD_AFTER_SIGNAL_S
    for thread in threads:
        thread.join(timeout=60)
    exit_code = server.process.wait(timeout=60)

    counts = Counter(result for _, result in outcomes)
    refused_after = [t - signal_time for t, result in outcomes if result == "refused"]
    failed = sum(
        n for result, n in counts.items() if result not in ("ok", "refused", "unavailable")
    )
    fault_report.record(
        f"SIGTERM under load ({CLIENTS} clients, 2 workers)",
        time_to_503_s=None,
        time_to_recovery_s=None,
        requests_failed=failed,
        rows_lost=None,
    )
    assert counts["ok"] > 0, counts  # there was load when the signal came
    assert slow == ["HTTP/1.1 200 OK"]  # in flight at the signal: finished, not cut off
    # New clients were refused while that upload was still draining, not only once it ended.
    assert refused_after, counts
    assert min(refused_after) < REFUSED_WITHIN_S, (min(refused_after), counts)
    assert exit_code == 0
