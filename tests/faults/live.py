"""A live `copilot serve` for fault scenarios, its output kept in files for log assertions."""

from __future__ import annotations

from pathlib import Path

from tests.harness import free_port, service_environment, start_serve
from tests.integration.security.support import LiveServer


def launch_server(tmp_path: Path, **variables: str) -> LiveServer:
    """Starts `copilot serve` on a free port with these settings; the caller stops it."""
    env = service_environment(tmp_path / "data", PORT=str(free_port()), **variables)
    stdout_path, stderr_path = tmp_path / "server.out", tmp_path / "server.err"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = start_serve(env, cwd=tmp_path, stdout=stdout, stderr=stderr).process
    return LiveServer(process, int(env["PORT"]), stdout_path, stderr_path)
