"""Where capabilities register their readiness checks and their part of `/health/detailed`.

Every check runs concurrently under a short timeout, so a hung dependency makes a probe answer
"not ready" quickly instead of making the load balancer's probe itself time out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

ReadinessCheck = Callable[[], Awaitable[None]]
"""Raises when the dependency is not usable."""

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

    def add_readiness(self, name: str, check: ReadinessCheck, *, critical: bool = True) -> None:
        """A critical check failing makes the service not ready; others only show as degraded."""
        self._readiness[name] = _Readiness(check, critical)

    def add_detail(self, name: str, report: DetailReport) -> None:
        self._details[name] = report

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
        return await asyncio.wait_for(awaitable, timeout=self.check_timeout)


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    # The class name only: messages can carry hosts or credentials.
    return type(error).__name__
