"""Per-key rate limits over sliding windows: shared through Redis, local when Redis is absent.

Each window (a minute, an hour) counts requests in buckets (1 s and 1 min wide); a request counts
until its bucket leaves the window, so "60 a minute" means at most 60 in any rolling minute, to
the bucket's precision, with memory bounded by the bucket count rather than the request count.
Redis runs one Lua script per request, so every worker of every task shares the count and two
concurrent requests can never both take the last slot. Without Redis, or while it fails, each
process counts on its own (the limit then applies per process): requests are never failed
because the limiter's store is down.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

Backend = Literal["redis", "memory"]


@dataclass(frozen=True, slots=True)
class Window:
    name: str
    seconds: int
    buckets: int

    @property
    def width_ms(self) -> int:
        return self.seconds * 1000 // self.buckets


MINUTE = Window("minute", 60, 60)
HOUR = Window("hour", 3600, 60)
DEFAULT_WINDOWS = (MINUTE, HOUR)


@dataclass(frozen=True, slots=True)
class WindowCount:
    count: int  # requests in the window, this one included when allowed
    reset_ms: int  # until the oldest counted bucket leaves the window (0 when empty)
    retry_ms: int  # until one more request fits; -1 when the window is not exhausted


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int | None
    window: str
    backend: Backend

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }
        if self.retry_after_seconds is not None:
            headers["Retry-After"] = str(self.retry_after_seconds)
        return headers


def decide(
    windows: Sequence[Window],
    limits: Sequence[int],
    allowed: bool,
    counts: Sequence[WindowCount],
    backend: Backend,
) -> Decision:
    """Headers describe the window closest to its limit, or the one that refused the request."""
    if allowed:
        index = min(range(len(windows)), key=lambda i: limits[i] - counts[i].count)
        count = counts[index]
        return Decision(
            allowed=True,
            limit=limits[index],
            remaining=max(0, limits[index] - count.count),
            reset_seconds=math.ceil(count.reset_ms / 1000),
            retry_after_seconds=None,
            window=windows[index].name,
            backend=backend,
        )
    exhausted = [i for i in range(len(windows)) if counts[i].retry_ms >= 0]
    index = max(exhausted, key=lambda i: counts[i].retry_ms)
    retry_after = max(1, math.ceil(counts[index].retry_ms / 1000))
    return Decision(
        allowed=False,
        limit=limits[index],
        remaining=0,
        reset_seconds=retry_after,
        retry_after_seconds=retry_after,
        window=windows[index].name,
        backend=backend,
    )


def _check_limits(windows: Sequence[Window], limits: Sequence[int]) -> None:
    if len(limits) != len(windows) or min(limits) < 1:
        raise ValueError(f"need one positive limit per window, got {list(limits)}")


class MemoryRateLimiter:
    """The same algorithm in this process only. Holds at most `max_keys` keys (least recently
    used dropped first), each with at most one counter per bucket."""

    def __init__(
        self,
        windows: Sequence[Window] = DEFAULT_WINDOWS,
        *,
        clock: Callable[[], float] = time.monotonic,  # immune to wall-clock jumps
        max_keys: int = 100_000,
    ) -> None:
        self.windows = tuple(windows)
        self._clock = clock
        self._max_keys = max_keys
        self._counters: dict[str, list[dict[int, int]]] = {}

    def hit(self, key: str, limits: Sequence[int]) -> Decision:
        _check_limits(self.windows, limits)
        now_ms = int(self._clock() * 1000)
        # Re-inserting keeps the dict in least-recently-used order for eviction.
        counters = self._counters.pop(key, None) or [{} for _ in self.windows]
        self._counters[key] = counters
        if len(self._counters) > self._max_keys:
            del self._counters[next(iter(self._counters))]

        currents, totals = [], []
        for window, buckets in zip(self.windows, counters, strict=True):
            current = now_ms // window.width_ms
            first = current - window.buckets + 1
            for index in [index for index in buckets if index < first]:
                del buckets[index]
            currents.append(current)
            totals.append(sum(buckets.values()))
        allowed = all(total < limit for total, limit in zip(totals, limits, strict=True))

        counts = []
        for window, buckets, current, total, limit in zip(
            self.windows, counters, currents, totals, limits, strict=True
        ):
            retry_ms = -1
            count = total
            if allowed:
                buckets[current] = buckets.get(current, 0) + 1
                count += 1
            elif total >= limit:
                retry_ms = _retry_ms(buckets, window, limit, total, now_ms)
            reset_ms = (min(buckets) + window.buckets) * window.width_ms - now_ms if count else 0
            counts.append(WindowCount(count, reset_ms, retry_ms))
        return decide(self.windows, limits, allowed, counts, "memory")


def _retry_ms(buckets: dict[int, int], window: Window, limit: int, total: int, now_ms: int) -> int:
    """When enough of the oldest buckets have left the window for one more request to fit."""
    left = total
    for index in sorted(buckets):
        left -= buckets[index]
        if left <= limit - 1:
            return (index + window.buckets) * window.width_ms - now_ms
    return 0  # unreachable while total >= limit >= 1


class RedisRateLimiter:
    """The shared limiter: one Lua script call per request (see rate_limit.lua)."""

    def __init__(
        self,
        client: Redis,
        windows: Sequence[Window] = DEFAULT_WINDOWS,
        *,
        namespace: str = "copilot:ratelimit",
    ) -> None:
        self.windows = tuple(windows)
        self._namespace = namespace
        source = resources.files("copilot_api.security").joinpath("rate_limit.lua").read_text()
        self._script = client.register_script(source)

    async def hit(self, key: str, limits: Sequence[int]) -> Decision:
        _check_limits(self.windows, limits)
        # One {hash tag} for all of a key's windows: the script's keys share a cluster slot.
        keys = [f"{self._namespace}:{{{key}}}:{window.name}" for window in self.windows]
        args: list[int] = []
        for window, limit in zip(self.windows, limits, strict=True):
            args += [limit, window.width_ms, window.buckets]
        raw = await self._script(keys=keys, args=args)
        counts = [
            WindowCount(int(raw[1 + 3 * i]), int(raw[2 + 3 * i]), int(raw[3 + 3 * i]))
            for i in range(len(self.windows))
        ]
        return decide(self.windows, limits, int(raw[0]) == 1, counts, "redis")


class RateLimiter:
    """Redis when configured and answering, else the process-local limiter.

    After a Redis error the local limiter answers for `retry_interval` seconds before Redis is
    tried again, so a hung Redis costs one request its socket timeout, not every request.
    """

    def __init__(
        self,
        redis: Redis | None,
        windows: Sequence[Window] = DEFAULT_WINDOWS,
        *,
        retry_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        namespace: str = "copilot:ratelimit",
    ) -> None:
        self.windows = tuple(windows)
        self._redis = (
            RedisRateLimiter(redis, self.windows, namespace=namespace)
            if redis is not None
            else None
        )
        self._memory = MemoryRateLimiter(self.windows, clock=clock)
        self._retry_interval = retry_interval
        self._clock = clock
        self._redis_down_until: float | None = None
        self._last_error: str | None = None

    async def hit(self, key: str, limits: Sequence[int]) -> Decision:
        if self._redis is not None and (
            self._redis_down_until is None or self._clock() >= self._redis_down_until
        ):
            try:
                decision = await self._redis.hit(key, limits)
            except (RedisError, OSError) as error:
                self._on_redis_error(error)
            else:
                if self._redis_down_until is not None:
                    logger.info("rate limits: Redis answers again; counts are shared again")
                    self._redis_down_until = self._last_error = None
                return decision
        return self._memory.hit(key, limits)

    def _on_redis_error(self, error: Exception) -> None:
        if self._redis_down_until is None:
            # Once per outage; the class name only, as messages can name hosts.
            logger.warning(
                "rate limits: Redis failed (%s); counting in this process until it answers",
                type(error).__name__,
            )
        self._last_error = type(error).__name__
        self._redis_down_until = self._clock() + self._retry_interval

    def status(self) -> dict[str, Any]:
        """This worker's view, for /health/detailed."""
        if self._redis is None:
            return {"status": "healthy", "backend": "memory", "shared": False}
        if self._redis_down_until is not None:
            return {
                "status": "degraded",
                "backend": "memory",
                "shared": False,
                "error": self._last_error,
                "fallback": "per-process counts until Redis answers",
            }
        return {"status": "healthy", "backend": "redis", "shared": True}
