"""The real CLI in a subprocess: embedded defaults, ready, then a clean exit on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from copilot_api.storage.embedded import EmbeddedPostgres
from tests.conftest import definition_paths, free_port


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_becomes_ready_and_shuts_down_cleanly(tmp_path: Path, workers: int) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "PORT": str(port),
        "WORKERS": str(workers),
        "DATA_DIR": str(data_dir),
        "LOAD_SAMPLE_DATA": "false",
        **definition_paths(),
    }
    for variable in ("DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY"):
        env.pop(variable, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "copilot_api", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        started = time.monotonic()
        ready = False
        while time.monotonic() - started < 60 and process.poll() is None:
            try:
                ready = (
                    httpx.get(f"http://127.0.0.1:{port}/health/readiness", timeout=1).status_code
                    == 200
                )
            except httpx.TransportError:
                ready = False
            if ready:
                break
            time.sleep(0.1)
        assert ready, "service never became ready"
        assert EmbeddedPostgres(data_dir / "postgres").running_port() is not None

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert EmbeddedPostgres(data_dir / "postgres").running_port() is None
    assert "Traceback" not in output
