"""A circuit breaker: after N consecutive failures stop calling a dependency for a while.

closed -> (N consecutive failures) -> open -> (reset timeout elapsed) -> half-open: one trial
call is let through; its success closes the circuit, its failure opens it again. While open,
callers fail fast (the fallback provider answers in microseconds instead of after a timeout).

State is per process: each worker learns on its own, which costs at most N failed calls a worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True)
class CircuitBreaker:
    failure_threshold: int
    reset_timeout: float
    clock: Callable[[], float] = time.monotonic
    _state: BreakerState = BreakerState.CLOSED
    _consecutive_failures: int = 0
    _opened_at: float = 0.0
    _probe_started_at: float | None = None
    opened_count: int = 0

    def __post_init__(self) -> None:
        if self.failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if self.reset_timeout <= 0:
            raise ValueError("reset_timeout must be positive")

    @property
    def state(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self._reset_elapsed():
            return BreakerState.HALF_OPEN
        return self._state

    def allow(self) -> bool:
        """May a call go through now? In half-open state only one trial call at a time."""
        if self._state is BreakerState.CLOSED:
            return True
        now = self.clock()
        if self._state is BreakerState.OPEN:
            if not self._reset_elapsed():
                return False
            self._state = BreakerState.HALF_OPEN
            self._probe_started_at = now
            return True
        # Half-open: a trial is running. If it never reported back (its task was cancelled),
        # let another one through after the reset timeout rather than stay stuck.
        if self._probe_started_at is None or now - self._probe_started_at >= self.reset_timeout:
            self._probe_started_at = now
            return True
        return False

    def record_success(self) -> None:
        self._state = BreakerState.CLOSED
        self._consecutive_failures = 0
        self._probe_started_at = None

    def record_failure(self) -> None:
        self._consecutive_failures += 1
        if (
            self._state is BreakerState.HALF_OPEN
            or self._consecutive_failures >= self.failure_threshold
        ):
            self._open()

    def abandon(self) -> None:
        """The call was cancelled before it succeeded or failed: free the half-open slot."""
        if self._state is BreakerState.HALF_OPEN:
            self._probe_started_at = None

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        report: dict[str, Any] = {
            "state": state.value,
            "consecutive_failures": self._consecutive_failures,
            "failure_threshold": self.failure_threshold,
            "opened_count": self.opened_count,
        }
        if state is BreakerState.OPEN:
            remaining = self.reset_timeout - (self.clock() - self._opened_at)
            report["retry_in_s"] = round(max(0.0, remaining), 3)
        return report

    def _open(self) -> None:
        if self._state is not BreakerState.OPEN:
            self.opened_count += 1
        self._state = BreakerState.OPEN
        self._opened_at = self.clock()
        self._probe_started_at = None

    def _reset_elapsed(self) -> bool:
        return self.clock() - self._opened_at >= self.reset_timeout
