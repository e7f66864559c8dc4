"""Where capabilities register their readiness checks and their part of `/health/detailed`.

Every check runs concurrently under a short timeout, so a hung dependency makes a probe answer
"not ready" quickly instead of making the load balancer's probe itself time out. The probe does
not wait for a timed-out check to finish cancelling (a database driver may take seconds to
cancel a query on a stuck server): the check is cancelled in the background.

Liveness checks are plain functions reading in-memory state (liveness touches no I/O).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

ReadinessCheck = Callable[[], Awaitable[None]]
"""Raises when the dependency is not usable."""

LivenessCheck = Callable[[], bool]
"""Returns False when the process cannot recover by itself and must be restarted."""

DetailReport = Callable[[], Awaitable[dict[str, Any]]]
"""Returns a JSON-able dict with at least a "status" key: healthy, degraded or unhealthy."""


@dataclass(slots=True)
class _Readiness:
    check: ReadinessCheck
    critical: bool


@dataclass(slots=True)
class HealthRegistry:
    check_timeout: float = 0.8
    _readiness: dict[str, _Readiness] = field(default_factory=dict)
    _details: dict[str, DetailReport] = field(default_factory=dict)
    _liveness: dict[str, LivenessCheck] = field(default_factory=dict)
    _abandoned: set[asyncio.Task[Any]] = field(default_factory=set)

    def add_readiness(self, name: str, check: ReadinessCheck, *, critical: bool = True) -> None:
        """A critical check failing makes the service not ready; others only show as degraded."""
        self._readiness[name] = _Readiness(check, critical)

    def add_detail(self, name: str, report: DetailReport) -> None:
        self._details[name] = report

    def add_liveness(self, name: str, check: LivenessCheck) -> None:
        self._liveness[name] = check

    def liveness(self) -> list[str]:
        """Names of the failed liveness checks (empty: alive)."""
        return [name for name, check in self._liveness.items() if not check()]

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        names = list(self._readiness)
        outcomes = await asyncio.gather(
            *(self._bounded(self._readiness[name].check()) for name in names),
            return_exceptions=True,
        )
        ready = True
        checks: dict[str, str] = {}
        for name, outcome in zip(names, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                critical = self._readiness[name].critical
                checks[name] = "unavailable" if critical else "degraded"
                ready = ready and not critical
            else:
                checks[name] = "ok"
        return ready, checks

    async def details(self) -> dict[str, dict[str, Any]]:
        names = list(self._details)
        outcomes = await asyncio.gather(
            *(self._bounded(self._details[name]()) for name in names), return_exceptions=True
        )
        report: dict[str, dict[str, Any]] = {}
        for name, outcome in zip(names, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                report[name] = {"status": "unhealthy", "error": _describe(outcome)}
            else:
                report[name] = outcome
        return report

    async def _bounded(self, awaitable: Awaitable[T]) -> T:
        task = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait({task}, timeout=self.check_timeout)
        if task in done:
            return task.result()
        task.cancel()
        # Keep a reference until it ends and collect its outcome, so nothing is logged as
        # "exception never retrieved".
        self._abandoned.add(task)
        task.add_done_callback(_forget(self._abandoned))
        raise TimeoutError(f"check did not finish within {self.check_timeout:g} s")


def _forget(tasks: set[asyncio.Task[Any]]) -> Callable[[asyncio.Task[Any]], None]:
    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled():
            task.exception()

    return done


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    # The class name only: messages can carry hosts or credentials.
    return type(error).__name__
