"""A real Prometheus scrapes `copilot serve` with 4 workers: totals are exact and survive a worker
being killed (counters never go backwards)."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.harness import free_port, service_environment, serving, wait_until
from tests.integration.observability.live import prometheus, query
from tests.integration.observability.scrape import parse, total

WORKERS = 4
FLUSH_SECONDS = 0.2
HEALTH_COUNT = 'sum(http_server_request_duration_seconds_count{http_route="/health"})'
RESETS = 'sum(resets(http_server_request_duration_seconds_count{http_route="/health"}[5m]))'


def send(base: str, count: int) -> None:
    """`count` GET /health, each on a new connection so the kernel spreads them over workers."""

    def one(_: int) -> int:
        return httpx.get(f"{base}/health", timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(one, range(count))) == {200}


def send_to_several_workers(base: str, count: int, metrics_dir: Path) -> None:
    """`count` GET /health served by at least two workers.

    Which worker accepts from the shared listening socket is the kernel's choice, and an idle
    machine may hand every connection to the same one. So the first half goes wherever the kernel
    sends it; if a single worker served it all, that worker is paused (SIGSTOP) while the second
    half is sent, which the others must accept, and resumed well within uvicorn's health check.
    """
    first = count // 2
    send(base, first)
    wait_until(
        lambda: sum(health_counts_per_worker(metrics_dir).values()) == first, 30, "the snapshots"
    )
    served = list(health_counts_per_worker(metrics_dir))
    paused = served if len(served) == 1 else []  # at least one worker always stays awake
    for pid in paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        send(base, count - first)
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)
    wait_until(
        lambda: sum(health_counts_per_worker(metrics_dir).values()) == count, 30, "the snapshots"
    )


def health_counts_per_worker(metrics_dir: Path) -> dict[int, float]:
    """From the workers' snapshot files: /health requests each worker served (pid -> count)."""
    counts: dict[int, float] = {}
    for path in metrics_dir.glob("worker-*.json"):
        snapshot = json.loads(path.read_text())
        duration = snapshot["metrics"].get("http.server.request.duration", {"points": {}})
        served = sum(
            point["count"]
            for point in duration["points"].values()
            if point["attributes"].get("http.route") == "/health"
        )
        if served:
            counts[snapshot["pid"]] = served
    return counts


def scraped_health_count(base: str) -> float:
    # A new connection per scrape: any worker may answer, each must report the same total.
    return total(
        parse(httpx.get(f"{base}/metrics", timeout=10).text),
        "http_server_request_duration_seconds_count",
        http_route="/health",
    )


@pytest.mark.slow
def test_prometheus_counts_every_request_across_workers_and_restarts(
    tmp_path: Path, database_url: str, record_log_output: Callable[[str], None]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = service_environment(
        tmp_path / "data",
        PORT=str(port),
        WORKERS=str(WORKERS),
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
        METRICS_FLUSH_INTERVAL_SECONDS=str(FLUSH_SECONDS),
    )
    output = (tmp_path / "serve.log").open("wb+")
    try:
        with serving(environment, cwd=tmp_path, stdout=output) as supervisor:
            metrics_dir = tmp_path / "data" / "metrics" / str(supervisor.process.pid)
            supervisor.wait_ready(90)
            sent = 120
            send_to_several_workers(base, sent, metrics_dir)
            assert [scraped_health_count(base) for _ in range(8)] == [sent] * 8
            served = health_counts_per_worker(metrics_dir)
            assert len(served) >= 2, f"requests did not spread over workers: {served}"
            assert sum(served.values()) == sent

            with prometheus(f"127.0.0.1:{port}", tmp_path / "prometheus") as prom:
                wait_until(lambda: query(prom, HEALTH_COUNT) is not None, 30, "a scrape")
                assert query(prom, HEALTH_COUNT) == sent

                # A worker dies without a goodbye; uvicorn starts a new one.
                victim = max(served, key=lambda pid: served[pid])
                os.kill(victim, signal.SIGKILL)
                wait_until(lambda: _restarted(metrics_dir, victim), 60, "a replacement worker")
                assert [scraped_health_count(base) for _ in range(8)] == [sent] * 8

                more = 30
                send(base, more)
                time.sleep(3 * FLUSH_SECONDS)
                assert [scraped_health_count(base) for _ in range(8)] == [sent + more] * 8
                wait_until(lambda: query(prom, HEALTH_COUNT) == sent + more, 30, "the new total")
                assert query(prom, RESETS) == 0, "a counter went backwards"
    finally:
        output.seek(0)
        record_log_output(output.read().decode(errors="replace"))
        output.close()


def _restarted(metrics_dir: Path, dead_pid: int) -> bool:
    """A full set of workers other than the dead one has written its snapshot."""
    pids = {int(path.name.split("-")[1]) for path in metrics_dir.glob("worker-*.json")}
    return len(pids - {dead_pid}) >= WORKERS
