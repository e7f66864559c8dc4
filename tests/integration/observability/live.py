"""Live servers for tests: the app in a uvicorn thread, `copilot serve` and Prometheus as processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import uvicorn
from litestar import Litestar

from tests.conftest import REPO_ROOT, free_port

PROMETHEUS = "/usr/bin/prometheus"


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


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
def copilot_serve(environment: dict[str, str], output: IO[str]) -> Iterator[subprocess.Popen[str]]:
    """`copilot serve` as a process (the supervisor and its workers)."""
    env = {**os.environ, **environment}
    for variable in ("REDIS_URL", "OPENAI_API_KEY", "METRICS_MULTIPROCESS_DIR"):
        env.pop(variable, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "copilot_api", "serve"],
        env=env,
        cwd=REPO_ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
