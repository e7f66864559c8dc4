"""The pool's check on checkout: no round trip for a connection just handed back, yet a
connection whose server side has gone is never handed out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from copilot_api.storage import database as database_module
from copilot_api.storage.database import RECENT_USE_S, Database


async def _backend_pid(db: Database) -> int:
    async with db.pool.connection() as connection:
        row = await (await connection.execute("SELECT pg_backend_pid()")).fetchone()
    assert row is not None
    return int(row[0])


def _counting_round_trip_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the checks that asked the server (psycopg_pool's empty query)."""
    calls: list[int] = []
    original: Callable[[Any], Any] = AsyncConnectionPool.check_connection

    async def counted(connection: Any) -> None:
        calls.append(1)
        await original(connection)

    monkeypatch.setattr(AsyncConnectionPool, "check_connection", counted)
    return calls


def test_a_connection_used_just_now_is_handed_out_without_a_round_trip(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_trips = _counting_round_trip_checks(monkeypatch)

    async def scenario() -> None:
        db = Database(database_url, min_size=1, max_size=1)
        await db.open()
        try:
            await db.pool.wait()
            first = await _backend_pid(db)  # a fresh connection: asked once
            assert len(round_trips) == 1
            for _ in range(3):
                assert await _backend_pid(db) == first
            assert len(round_trips) == 1
            # Idle for longer than the window: the server must answer again.
            async with db.pool.connection() as connection:
                pass
            assert isinstance(connection, database_module.DeadlineConnection)
            assert connection.handed_out_at is not None
            connection.handed_out_at -= RECENT_USE_S + 1
            assert await _backend_pid(db) == first
            assert len(round_trips) == 2
        finally:
            await db.close()

    asyncio.run(scenario())


def test_a_connection_whose_backend_was_terminated_is_replaced(database_url: str) -> None:
    async def scenario() -> None:
        db = Database(database_url, min_size=1, max_size=1)
        await db.open()
        try:
            await db.pool.wait()
            victim = await _backend_pid(db)
            with psycopg.connect(database_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (victim,))
            await asyncio.sleep(0.2)  # the server's goodbye reaches the idle socket
            # Used a moment ago, yet the closed socket shows: a new connection answers.
            replacement = await _backend_pid(db)
            assert replacement != victim
        finally:
            await db.close()

    asyncio.run(scenario())
