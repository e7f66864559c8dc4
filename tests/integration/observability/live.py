"""Live servers for the observability tests: the app in a uvicorn thread and Prometheus as a
process (`copilot serve` processes come from `tests.harness`)."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from litestar import Litestar

from tests.harness import free_port, wait_until

PROMETHEUS = "/usr/bin/prometheus"


@contextmanager
def serve_in_thread(app: Litestar) -> Iterator[str]:
    """The app on a real socket (uvicorn, one worker); yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, 30, "the live server")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def prometheus(target: str, work_dir: Path) -> Iterator[str]:
    """A real Prometheus scraping `target` every second; yields its base URL."""
    port = free_port()
    work_dir.mkdir(parents=True, exist_ok=True)
    config = work_dir / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: copilot-api\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    log = (work_dir / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={work_dir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base}/-/ready", timeout=1).status_code == 200, 30, base)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def query(base: str, promql: str) -> float | None:
    """The value of a PromQL query with a single result, or None when it has none."""
    response = httpx.get(f"{base}/api/v1/query", params={"query": promql}, timeout=5)
    response.raise_for_status()
    result = response.json()["data"]["result"]
    if not result:
        return None
    assert len(result) == 1, result
    return float(result[0]["value"][1])
