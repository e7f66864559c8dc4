"""The PostgreSQL connection pool shared by every capability."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

ConnectionConfigurer = Callable[[AsyncConnection], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PoolStats:
    size: int
    idle: int
    in_use: int
    max_size: int
    waiting: int


class Database:
    """Wraps one `AsyncConnectionPool`; connections are checked before use so that a database
    restart or failover costs one reconnect instead of a burst of errors."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int,
        max_size: int,
        configure: ConnectionConfigurer | None = None,
        connect_timeout: float = 5.0,
    ) -> None:
        self.pool = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            configure=configure,
            check=AsyncConnectionPool.check_connection,
            timeout=connect_timeout,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(connect_timeout))},
            name="copilot",
        )

    async def open(self) -> None:
        # wait=False: the service starts (and reports not-ready) even while the database is down.
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    async def ping(self, timeout: float) -> float:  # noqa: ASYNC109 - bounds the pool wait
        """Round-trip `SELECT 1`; returns the latency in milliseconds."""
        started = time.perf_counter()
        async with self.pool.connection(timeout=timeout) as connection:
            await connection.execute("SELECT 1")
        return (time.perf_counter() - started) * 1000

    def stats(self) -> PoolStats:
        raw = self.pool.get_stats()
        size = raw.get("pool_size", 0)
        idle = raw.get("pool_available", 0)
        return PoolStats(
            size=size,
            idle=idle,
            in_use=size - idle,
            max_size=self.pool.max_size,
            waiting=raw.get("requests_waiting", 0),
        )
