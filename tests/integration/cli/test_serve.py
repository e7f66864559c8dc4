"""The real CLI in a subprocess: embedded defaults, ready, then a clean exit on SIGTERM."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from copilot_api.storage.embedded import EmbeddedPostgres
from tests.harness import free_port, service_environment, start_serve


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_becomes_ready_and_shuts_down_cleanly(tmp_path: Path, workers: int) -> None:
    data_dir = tmp_path / "data"
    env = service_environment(data_dir, PORT=str(free_port()), WORKERS=str(workers))
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = start_serve(env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        server.wait_ready(describe=lambda: log_path.read_text(errors="replace")[-3000:])
        assert EmbeddedPostgres(data_dir / "postgres").running_port() is not None
    finally:
        status = server.stop()  # SIGTERM: the graceful shutdown under test
    output = log_path.read_text(errors="replace")
    assert status == 0, output
    assert EmbeddedPostgres(data_dir / "postgres").running_port() is None
    assert "Traceback" not in output
