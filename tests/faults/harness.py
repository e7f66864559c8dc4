"""Small tools the fault scenarios share: timing probes and a bounded background load."""

from __future__ import annotations

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
