"""The PostgreSQL connection pool shared by every capability.

Fail fast: a request waits at most `timeout` seconds for a pooled connection (pool wait and
connect) and at most `timeout` seconds for each reply from the server. A reply that does not
come (a hung or stopped server, a network black hole) is not cancelled the polite way (psycopg's
cancel request to a stopped server blocks for up to 10 s): the connection's socket is shut down,
the query fails at once with `DatabaseTimeoutError` and the pool discards the connection. For
a second after such a timeout new requests are refused at once (a circuit breaker), so that a
request that needs the database again, or the next one, does not wait a timeout of its own.
"""

from __future__ import annotations

import asyncio
import math
import select
import socket
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

import msgspec
from psycopg import AsyncConnection, OperationalError, pq
from psycopg.abc import PQGen
from psycopg.rows import TupleRow
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool, PoolTimeout

ConnectionConfigurer = Callable[[AsyncConnection], Awaitable[None]]

RV = TypeVar("RV")

# For the current task: the event-loop time by which the operation under way (taking a pooled
# connection, including the pool's health check of it) must be done, on top of the per-reply
# deadline. `math.inf` (from `Database.unbounded()`) lifts both, for maintenance work (index
# builds, bulk loads) that may run for minutes on a pooled connection. (Readiness does not use
# the pool: `storage/probe.py`.)
_done_by: ContextVar[float | None] = ContextVar("copilot_database_done_by", default=None)

# After a timeout, requests are refused at once for this long instead of each waiting its own
# timeout on a server that just failed to answer (a circuit breaker; the next request after it
# tries again). Also bounds a request that needs the database again after its query timed out.
BREAKER_COOLDOWN_S = 1.0


# A connection last handed out this recently is checked on checkout without a round trip (see
# `check_connection`); one idle for longer must answer an empty query.
RECENT_USE_S = 5.0


class DatabaseTimeoutError(OperationalError):
    """PostgreSQL did not reply within the deadline; the connection was dropped."""


class DatabaseUnavailableError(OperationalError):
    """The database is known to be down (an embedded server being restarted)."""


AvailabilityCheck = Callable[[], None]
"""Raises `DatabaseUnavailableError` when the database is known to be down."""


class DeadlineConnection(AsyncConnection[TupleRow]):
    """A connection whose every wait for the server is bounded by `reply_deadline` seconds."""

    reply_deadline: float | None = None
    on_timeout: Callable[[], None] | None = None
    handed_out_at: float | None = None  # event-loop time the pool last handed it out

    # psycopg's own signature, hence the `timeout` parameter.
    async def wait(
        self,
        gen: PQGen[RV],
        interval: float = 0.1,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> RV:
        loop = asyncio.get_running_loop()
        done_by = _done_by.get()
        limits = [self.reply_deadline or math.inf]
        if done_by is not None:
            limits.append(done_by - loop.time())
        deadline = max(0.0, min(limits))
        if math.isinf(deadline) or done_by == math.inf:
            return await super().wait(gen, interval=interval, timeout=timeout)
        severed = False

        def sever() -> None:
            nonlocal severed
            severed = True
            shut_down_socket(self.pgconn.socket)

        handle = loop.call_later(deadline, sever)
        try:
            return await super().wait(gen, interval=interval, timeout=timeout)
        except OperationalError as error:
            if severed:
                if self.on_timeout is not None:
                    self.on_timeout()
                raise DatabaseTimeoutError(
                    f"no reply from PostgreSQL within {deadline:.2f} s"
                ) from error
            raise
        finally:
            handle.cancel()


class _GatedPool(AsyncConnectionPool[DeadlineConnection]):
    """Refuses at once, instead of after a pool timeout, while the database is known down or
    has just failed to answer in time; remembers whether it last failed or served."""

    availability: AvailabilityCheck | None = None
    _refusing_until: float = 0.0
    _failed_at: float = -math.inf  # event-loop times
    _served_at: float = -math.inf

    def trip(self) -> None:
        now = asyncio.get_running_loop().time()
        self._refusing_until = now + BREAKER_COOLDOWN_S
        self._failed_at = now

    def close_breaker(self) -> None:
        self._refusing_until = 0.0

    @property
    def failing(self) -> bool:
        """Its last attempt to hand out a connection failed (the server may be answering again
        before the pool has reconnected: psycopg_pool retries after 1, 2, 4 s...)."""
        return self._failed_at > self._served_at

    async def getconn(self, timeout: float | None = None) -> DeadlineConnection:  # noqa: ASYNC109
        if self.availability is not None:
            self.availability()
        if asyncio.get_running_loop().time() < self._refusing_until:
            raise DatabaseUnavailableError("PostgreSQL did not answer in time just now")
        budget = self.timeout if timeout is None else timeout
        # The pool checks an idle connection before handing it out; on a hung server each check
        # would wait a whole reply deadline. One budget covers the wait and every check.
        try:
            with _finish_within(budget):
                connection = await super().getconn(timeout=budget)
        except (PoolTimeout, DatabaseTimeoutError):
            self.trip()
            raise
        self._served_at = asyncio.get_running_loop().time()
        return connection

    async def try_connection(self, timeout: float) -> None:  # noqa: ASYNC109 - bounds the wait
        """Take (and give back) one connection within `timeout`, bypassing the breaker and
        without tripping it on a pool timeout: readiness asks this while the pool is failing."""
        with _finish_within(timeout):
            connection = await super().getconn(timeout=timeout)
        self._served_at = asyncio.get_running_loop().time()
        await self.putconn(connection)


async def check_connection(connection: DeadlineConnection) -> None:
    """The pool's check before handing a connection out. A server that ended the connection
    (a restart, a terminated backend) has left an error message or end-of-file on its socket,
    so a recently used, idle connection whose socket has nothing to read is handed out without
    a round trip (one per checkout, several per search); any other connection, including one idle
    for longer (a peer that vanished silently shows only there), must answer an empty query."""
    now = asyncio.get_running_loop().time()
    recently_used = (
        connection.handed_out_at is not None and now - connection.handed_out_at < RECENT_USE_S
    )
    if not (
        recently_used
        and connection.pgconn.status == pq.ConnStatus.OK
        and connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
        and not _has_input(connection.pgconn.socket)
    ):
        await AsyncConnectionPool.check_connection(connection)
    connection.handed_out_at = now


def _has_input(fd: int) -> bool:
    """Data, end-of-file or an error waiting on the socket (poll: no limit on the fd number)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def shut_down_socket(fd: int) -> None:
    """Shut the TCP connection down under libpq's feet: its next read sees end-of-file."""
    try:
        duplicate = socket.socket(fileno=socket.dup(fd))
    except OSError:
        return
    with duplicate, suppress(OSError):  # OSError: already closed by the peer
        duplicate.shutdown(socket.SHUT_RDWR)


@contextmanager
def _finish_within(seconds: float) -> Iterator[None]:
    done_by = asyncio.get_running_loop().time() + seconds
    earlier = _done_by.get()
    token = _done_by.set(done_by if earlier is None else min(earlier, done_by))
    try:
        yield
    finally:
        _done_by.reset(token)


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
        timeout: float = 2.0,
    ) -> None:
        self.reply_timeout = timeout

        async def configure_connection(connection: DeadlineConnection) -> None:
            connection.reply_deadline = timeout
            connection.on_timeout = self.pool.trip
            # msgspec reads and writes JSONB several times faster than the json module (every
            # search reads its listings' documents and records its output).
            set_json_dumps(msgspec.json.encode, connection)
            set_json_loads(msgspec.json.decode, connection)
            if configure is not None:
                await configure(connection)

        self.pool = _GatedPool(
            url,
            connection_class=DeadlineConnection,
            min_size=min_size,
            max_size=max_size,
            open=False,
            configure=configure_connection,
            check=check_connection,
            timeout=timeout,
            # libpq counts whole seconds and treats anything below 2 as 2.
            kwargs={"autocommit": True, "connect_timeout": max(2, math.ceil(timeout))},
            name="copilot",
        )

    def fail_fast_when_down(self, availability: AvailabilityCheck) -> None:
        """Every connection request first asks `availability` (cheap, no I/O on the network)."""
        self.pool.availability = availability

    async def open(self) -> None:
        # wait=False: the service starts (and reports not-ready) even while the database is down.
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    @staticmethod
    @contextmanager
    def unbounded() -> Iterator[None]:
        """Lift the reply deadline for the queries of this block (long maintenance work)."""
        token = _done_by.set(math.inf)
        try:
            yield
        finally:
            _done_by.reset(token)

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
