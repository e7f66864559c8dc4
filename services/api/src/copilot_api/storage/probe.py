"""Readiness's own connection to PostgreSQL, outside the pool.

The probe must answer within its deadline on every call, including the first one after the
database hangs. Through the pool it could not: under load it queued behind requests for a
connection, and the pool's check of an idle connection waited on the hung server too. Here one
dedicated connection carries a `SELECT 1`:

- a round trip gets `deadline` seconds; past that the probe fails, but the round trip is left
  running (cancelling a query on a hung server blocks for seconds in psycopg);
- while a round trip older than `deadline` is still unanswered, the next probe fails at once
  instead of queuing behind it; a younger one is shared by concurrent probes;
- a round trip unanswered for `abandon_after` seconds is abandoned: its socket is shut down so
  it ends, and the next probe reconnects (a server that came back elsewhere, or a black hole
  that would otherwise keep the probe failing forever);
- a connection found broken (the server restarted, or dropped it) is replaced at once, within
  the same probe: a probe answers for the server as it is now, not for an old connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable

from psycopg import AsyncConnection, OperationalError

from copilot_api.storage.database import AvailabilityCheck, DatabaseTimeoutError, shut_down_socket

PROBE_APPLICATION_NAME = "copilot-readiness"


class ProbeStillWaitingError(DatabaseTimeoutError):
    """The previous probe's round trip is still unanswered: the database is not answering."""


class DatabaseProbe:
    def __init__(
        self,
        url: str,
        *,
        deadline: float,
        abandon_after: float,
        availability: AvailabilityCheck | None = None,
        on_answer: Callable[[], None] | None = None,
    ) -> None:
        """`availability` fails a probe at once, without I/O, when the database is known down;
        `on_answer` runs after every answered round trip (the pool's breaker closes on it)."""
        self._url = url
        self.deadline = deadline
        self.abandon_after = max(abandon_after, deadline)
        self._availability = availability
        self._on_answer = on_answer
        self._connection: AsyncConnection | None = None
        self._round_trip: asyncio.Task[float] | None = None
        self._round_trip_started = 0.0
        self._closed = False

    def connect_soon(self) -> None:
        """Start connecting (and a first round trip) now, without waiting: the first readiness
        probe then finds the connection made instead of spending its deadline on it."""
        if self._round_trip is None:
            self._start_round_trip()

    async def ping(self) -> float:
        """Round-trip `SELECT 1` on the probe's connection; the latency in milliseconds.

        Raises `DatabaseTimeoutError` (`ProbeStillWaitingError` when an earlier round trip is
        still unanswered) or the connection's error; never waits more than `deadline`."""
        if self._closed:
            raise RuntimeError("the database probe is closed")
        if self._availability is not None:
            self._availability()
        loop = asyncio.get_running_loop()
        round_trip = self._round_trip
        if round_trip is not None and not round_trip.done():
            age = loop.time() - self._round_trip_started
            if age >= self.abandon_after:
                self._abandon()
                round_trip = None
            elif age >= self.deadline:
                raise ProbeStillWaitingError(
                    f"the previous probe has had no reply from PostgreSQL for {age:.2f} s"
                )
        if round_trip is None or round_trip.done():
            round_trip = self._start_round_trip()
        remaining = self._round_trip_started + self.deadline - loop.time()
        # asyncio.wait leaves the round trip running when the deadline passes.
        await asyncio.wait({round_trip}, timeout=max(0.0, remaining))
        if not round_trip.done():
            raise DatabaseTimeoutError(f"no reply from PostgreSQL within {self.deadline:.2f} s")
        return round_trip.result()

    async def close(self) -> None:
        """Ends a round trip still under way (without waiting on the server) and disconnects."""
        self._closed = True
        round_trip = self._round_trip
        if round_trip is not None and not round_trip.done():
            self._sever()
            await asyncio.wait({round_trip}, timeout=1.0)
            if not round_trip.done():  # still connecting: no socket of ours to shut yet
                round_trip.cancel()
                await asyncio.wait({round_trip}, timeout=1.0)
        await self._disconnect()

    def _start_round_trip(self) -> asyncio.Task[float]:
        self._round_trip_started = asyncio.get_running_loop().time()
        task = asyncio.get_running_loop().create_task(self._select_one())
        task.add_done_callback(_retrieve_outcome)
        self._round_trip = task
        return task

    async def _select_one(self) -> float:
        started = time.perf_counter()
        connection = self._connection
        if connection is not None and not connection.closed:
            try:
                await self._select_one_on(connection)
            except OperationalError:
                # Broken since the last probe (the server restarted, or dropped us): that
                # says nothing of the server now, so this probe tries a new connection at
                # once. Not if this round trip was abandoned, or the probe closed.
                if self._closed or self._round_trip is not asyncio.current_task():
                    raise
            else:
                return self._answered(started)
        connection = self._connection = await AsyncConnection.connect(
            self._url,
            autocommit=True,
            # libpq counts whole seconds and treats anything below 2 as 2.
            connect_timeout=max(2, math.ceil(self.abandon_after)),
            application_name=PROBE_APPLICATION_NAME,
        )
        await self._select_one_on(connection)
        return self._answered(started)

    async def _select_one_on(self, connection: AsyncConnection) -> None:
        try:
            await connection.execute("SELECT 1")
        except BaseException:
            # Reconnect next time; an abandoned round trip's successor may already have a
            # connection of its own, which stays.
            if self._connection is connection:
                self._connection = None
            await connection.close()
            raise

    def _answered(self, started: float) -> float:
        if self._on_answer is not None:
            self._on_answer()
        return (time.perf_counter() - started) * 1000

    def _abandon(self) -> None:
        """Make the unanswered round trip end (it fails, dropping the connection) and forget
        it; the next round trip connects anew."""
        self._sever()
        self._connection = None
        self._round_trip = None

    def _sever(self) -> None:
        connection = self._connection
        if connection is not None and not connection.closed:
            with contextlib.suppress(Exception):  # no socket any more: nothing to shut down
                shut_down_socket(connection.pgconn.socket)

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()


def _retrieve_outcome(task: asyncio.Task[float]) -> None:
    """An abandoned or timed-out round trip's error is expected; never log it as unretrieved."""
    if not task.cancelled():
        task.exception()
