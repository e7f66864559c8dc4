"""Helpers for the security tests: test-only routes on the real app, API keys straight in the
database and live `copilot serve` processes with their logs (started with `tests.harness`).
Other capabilities' tests may use `make_key` to call their `/api` routes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from copilot_config import Settings
from tests.harness import ServeProcess

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


# --- Live `copilot serve` processes -----------------------------------------------------------


@dataclass
class LiveServer(ServeProcess):
    """`copilot serve` with its stdout and stderr in files, for the log assertions."""

    stdout_path: Path
    stderr_path: Path

    def wait_ready(self, timeout: float = 90, describe: Callable[[], str] | None = None) -> None:
        super().wait_ready(timeout, describe or (lambda: self.stderr()[-3000:]))

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
