"""Small tools the fault scenarios share: timing probes, a bounded background load and a TCP
proxy that injects latency between the service and its database."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

import httpx
from litestar import Litestar
from litestar.testing import TestClient

Client = TestClient[Litestar]


def seconds_until(
    predicate: Callable[[], bool], *, timeout: float, interval: float = 0.02
) -> float | None:
    """Seconds until `predicate()` holds (polled), or None if it never did within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return round(time.monotonic() - started, 3)
        time.sleep(interval)
    return None


def readiness(client: Client) -> int:
    return client.get("/health/readiness").status_code


@dataclass(slots=True)
class Outcome:
    at: float  # time.monotonic() when the request was sent
    seconds: float
    status: int
    code: str | None  # the error body's machine-readable code


@dataclass
class Load:
    """`threads` workers repeat `send` until stopped; bounded by `max_seconds` regardless.

    `send` returns the response's (status, error code or None)."""

    send: Callable[[], tuple[int, str | None]]
    threads: int = 2
    max_seconds: float = 40.0
    pause: float = 0.01
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Load:
        deadline = time.monotonic() + self.max_seconds
        for _ in range(self.threads):
            worker = threading.Thread(target=self._run, args=(deadline,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)

    def _run(self, deadline: float) -> None:
        while not self._stop.is_set() and time.monotonic() < deadline:
            sent = time.monotonic()
            status, code = self.send()
            with self._lock:
                self.outcomes.append(Outcome(sent, time.monotonic() - sent, status, code))
            time.sleep(self.pause)

    def since(self, moment: float) -> list[Outcome]:
        with self._lock:
            return [outcome for outcome in self.outcomes if outcome.at >= moment]

    def server_errors(self) -> list[Outcome]:
        """5xx other than a clean 503 with a code: what must never happen."""
        with self._lock:
            return [o for o in self.outcomes if o.status >= 500 and o.status != 503]


QUERIES = ("3 bedroom house", "condo with a pool", "house near the lake", "townhouse in Austin")


def search(client: Client) -> tuple[int, str | None]:
    """One property search (a few fixed queries: realistic, and cheap for the test machine)."""
    response = client.post(
        "/api/property-search", json={"query": random.choice(QUERIES), "limit": 5}
    )
    return response.status_code, error_code(response)


def error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


class LatencyProxy:
    """A TCP proxy on 127.0.0.1 that adds `delay` seconds before forwarding each chunk."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.delay = 0.0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.close()
            return
        try:
            await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w))
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            client_w.close()
            server_w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.close()
