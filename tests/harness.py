"""What the integration tests and the benchmarks share to run the service for real: free ports,
the environment of a child process, a private redis-server and `copilot serve` processes.

Benchmarks import it as `tests.harness` (run them from the repository root:
`uv run python -m bench.<name>`). Every process started here is stopped by its own handle.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from copilot_config import env_contract

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS_DIR = REPO_ROOT / "definitions"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Polls `condition` (a refused connection counts as "not yet") until true or `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (httpx.TransportError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def definition_paths() -> dict[str, str]:
    """Absolute paths of the bundled definition files (the path settings whose default names a
    file of the repository), for processes started outside the repository."""
    paths = {}
    for variable in env_contract():
        # Only what ships under definitions/: DATA_DIR's default (.data) may exist too, after
        # `make run`, and must never send a test's server to the developer's database.
        if variable.type == "path" and variable.default:
            in_repository = REPO_ROOT / variable.default
            if in_repository.is_relative_to(DEFINITIONS_DIR) and in_repository.exists():
                paths[variable.name] = str(in_repository)
    return paths


def service_environment(data_dir: Path, **variables: str) -> dict[str, str]:
    """A child's environment: ours minus every setting (a developer's REDIS_URL or
    OPENAI_API_KEY must not leak in), the definitions by absolute path, ENVIRONMENT=test,
    DATA_DIR, no sample data; then exactly `variables`."""
    names = {variable.name for variable in env_contract()}
    env = {name: value for name, value in os.environ.items() if name not in names}
    env.update(definition_paths())
    env.update({"ENVIRONMENT": "test", "DATA_DIR": str(data_dir), "LOAD_SAMPLE_DATA": "false"})
    env.update(variables)
    return env


@dataclass
class RedisServer:
    """A redis-server of our own on a free port (no persistence); stopped by its handle."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._answers_ping, 10, f"redis-server on port {self.port}")

    def _answers_ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # in case it was paused
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class ServeProcess:
    """A `copilot serve` process (the supervisor and its workers) on `port`."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 90, describe: Callable[[], str] = str) -> None:
        """Until /health/readiness answers 200; raises if the process exits first (with
        `describe()`, e.g. the tail of its log, in the message)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{describe()}")
            try:
                if httpx.get(f"{self.base_url}/health/readiness", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready in {timeout} s:\n{describe()}")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM (a graceful shutdown), then SIGKILL after `timeout` to the supervisor and
        its workers (their own process group, so none is orphaned); the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def start_serve(
    env: Mapping[str, str],
    *,
    cwd: Path,
    stdout: IO[bytes] | int = subprocess.DEVNULL,
    stderr: IO[bytes] | int = subprocess.DEVNULL,
) -> ServeProcess:
    """Starts `copilot serve` with exactly `env` (PORT must be set) in a process group of its
    own; the caller stops it with `ServeProcess.stop`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "copilot_api", "serve"],
        env=dict(env),
        cwd=cwd,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )
    return ServeProcess(process, int(env["PORT"]))


@contextmanager
def serving(
    env: Mapping[str, str], *, cwd: Path, stdout: IO[bytes] | int = subprocess.DEVNULL
) -> Iterator[ServeProcess]:
    """`copilot serve`, stopped on exit (output to `stdout`, stderr merged)."""
    server = start_serve(env, cwd=cwd, stdout=stdout, stderr=subprocess.STDOUT)
    try:
        yield server
    finally:
        server.stop()
