"""Helpers for the security tests: test-only routes on the real app, API keys straight in the
database, a private redis-server and live `copilot serve` processes. Other capabilities' tests
may use `make_key` to call their `/api` routes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from litestar import Litestar, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from copilot_api.app import create_app
from copilot_api.security import store
from copilot_api.security.scopes import parse_scopes
from copilot_api.security.store import ApiKey
from copilot_api.security.strict import StrictStruct
from copilot_api.storage.migrations import apply_migrations
from copilot_config import Settings, env_contract
from tests.conftest import REPO_ROOT, free_port

BULK_LIMIT = 64 * 1024


# --- Test-only routes, mounted next to the real ones -------------------------------------------


class EchoBody(StrictStruct):
    message: str
    count: int = 1


@get("/api/test/search", opt={"scope": "search"}, sync_to_thread=False)
def search_route(api_key: NamedDependency[ApiKey]) -> dict[str, str]:
    return {"route": "search", "key": api_key.prefix}


@get("/api/test/workflows", opt={"scope": "workflows"}, sync_to_thread=False)
def workflows_route() -> dict[str, str]:
    return {"route": "workflows"}


@get("/api/test/admin", opt={"scope": "admin"}, sync_to_thread=False)
def admin_route() -> dict[str, str]:
    return {"route": "admin"}


@get("/api/test/undeclared", sync_to_thread=False)
def undeclared_route() -> dict[str, str]:
    return {"route": "undeclared"}


@post("/api/test/echo", opt={"scope": "search"}, sync_to_thread=False)
def echo_route(data: JSONBody[EchoBody]) -> EchoBody:
    return data


@post("/api/test/bulk", opt={"scope": "search"}, request_max_body_size=BULK_LIMIT)
async def bulk_route(request: Request[Any, Any, Any]) -> dict[str, int]:
    return {"bytes": len(await request.body())}


@get("/api/test/boom", opt={"scope": "search"}, sync_to_thread=False)
def boom_route() -> None:
    raise RuntimeError("db password hunter2-internal at /srv/app/secret_module.py line 42")


@get("/open/test", sync_to_thread=False)
def open_route() -> dict[str, bool]:
    return {"open": True}


@post("/open/upload")
async def open_upload(request: Request[Any, Any, Any]) -> dict[str, int]:
    return {"bytes": len(await request.body())}


TEST_ROUTES = [
    search_route,
    workflows_route,
    admin_route,
    undeclared_route,
    echo_route,
    bulk_route,
    boom_route,
    open_route,
    open_upload,
]


def create_test_app(settings: Settings) -> Litestar:
    """The real app (every plugin) plus the test routes above."""
    app = create_app(settings)
    for handler in TEST_ROUTES:
        app.register(handler)
    return app


# --- API keys ---------------------------------------------------------------------------------


def make_key(
    database_url: str,
    *,
    name: str,
    scopes: str,
    per_minute: int | None = None,
    per_hour: int | None = None,
) -> str:
    """Store a key straight in the database (migrating it first); returns the key itself."""
    apply_migrations(database_url)

    async def create() -> str:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            _, generated = await store.create_key(
                conn,
                name=name,
                scopes=parse_scopes(scopes),
                rate_limit_per_minute=per_minute,
                rate_limit_per_hour=per_hour,
            )
            return generated.secret

    return asyncio.run(create())


def revoke(database_url: str, key: str) -> None:
    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await store.revoke_key(conn, key[: len("cpk_") + 10])

    asyncio.run(run())


def fetch_key(database_url: str, key: str) -> ApiKey | None:
    async def run() -> ApiKey | None:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            found = await store.find_by_prefix(conn, key[: len("cpk_") + 10])
            return found[0] if found else None

    return asyncio.run(run())


# --- Security events --------------------------------------------------------------------------


# --- A private redis-server -------------------------------------------------------------------


@dataclass
class RedisServer:
    """A redis-server of this test's own, on a free port; stopped and restarted by PID."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

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


# --- Live `copilot serve` processes -----------------------------------------------------------


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    port: int
    stdout_path: Path
    stderr_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.stderr()[-3000:]}")
            try:
                response = httpx.get(f"{self.base_url}/health/readiness", timeout=1)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready in {timeout} s:\n{self.stderr()[-3000:]}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def log_events(self) -> list[dict[str, Any]]:
        """The JSON log lines of stderr (test/staging/production log JSON)."""
        entries = []
        for line in self.stderr().splitlines():
            if line.startswith("{"):
                entries.append(json.loads(line))
        return entries


def server_environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    """The child's environment: ours minus every setting, then exactly these. It runs in
    `tmp_path` (no developer `.env`), so repository files named by relative defaults
    (PROMPTS_DIR, ...) are passed as absolute paths."""
    env = dict(os.environ)
    for variable in env_contract():
        env.pop(variable.name, None)
        if variable.type == "path" and variable.default:
            in_repository = REPO_ROOT / variable.default
            if in_repository.exists():
                env[variable.name] = str(in_repository)
    env.update(
        {
            "ENVIRONMENT": "test",
            "DATA_DIR": str(tmp_path / "data"),
            "LOAD_SAMPLE_DATA": "false",
        }
    )
    env.update(variables)
    return env


def launch_server(tmp_path: Path, name: str = "server", **variables: str) -> LiveServer:
    """Start `copilot serve` on a free port with these settings (output in tmp_path/name.*)."""
    port = free_port()
    env = server_environment(tmp_path, PORT=str(port), **variables)
    stdout_path, stderr_path = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "copilot_api", "serve"],
            env=env,
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
        )
    return LiveServer(process, port, stdout_path, stderr_path)


@contextmanager
def running_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server for the duration of the block, stopped by PID afterwards."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
