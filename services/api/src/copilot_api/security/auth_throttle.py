"""Failed-authentication throttling per client IP: a brute-force guard in front of API keys.

Each failed attempt that presented a key (malformed, unknown or revoked) counts against the
client IP over a rolling minute. The attempt past the limit is refused with 429, and the IP is
then blocked for every `/api` request, valid key or not, until the oldest counted failure leaves
the window, so a guesser learns nothing while blocked. Counts and blocks live in Redis, so every
worker of every task shares them; without Redis, or while it fails, each process keeps its own
(the limit then applies per process), and requests are never failed because Redis is down.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from copilot_api.security.rate_limit import MINUTE, RateLimiter

logger = logging.getLogger(__name__)

_NAMESPACE = "copilot:authfail"


class FailedAuthThrottle:
    def __init__(
        self,
        redis: Redis | None,
        failures_per_minute: int,
        *,
        retry_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        max_blocked: int = 100_000,
    ) -> None:
        self.failures_per_minute = failures_per_minute
        self._failures = RateLimiter(
            redis, (MINUTE,), retry_interval=retry_interval, clock=clock, namespace=_NAMESPACE
        )
        self._redis = redis
        self._retry_interval = retry_interval
        self._clock = clock
        self._max_blocked = max_blocked
        self._blocked_until: dict[str, float] = {}  # this process's view, oldest first
        self._redis_down_until = 0.0

    async def retry_after(self, ip: str) -> int | None:
        """Seconds `ip` stays blocked, or None when it may try to authenticate."""
        local = self._local_retry_after(ip)
        if local is not None or self._redis is None or self._clock() < self._redis_down_until:
            return local
        try:
            remaining_ms = await self._redis.pttl(_block_key(ip))
        except (RedisError, OSError) as error:
            self._on_redis_error(error)
            return None
        return math.ceil(remaining_ms / 1000) if remaining_ms > 0 else None

    async def record_failure(self, ip: str) -> int | None:
        """Counts one failed attempt; returns the block in seconds once over the limit."""
        decision = await self._failures.hit(ip, [self.failures_per_minute])
        if decision.allowed:
            return None
        seconds = decision.retry_after_seconds or 1
        self._block_locally(ip, seconds)
        if self._redis is not None and self._clock() >= self._redis_down_until:
            try:
                await self._redis.set(_block_key(ip), "1", px=seconds * 1000)
            except (RedisError, OSError) as error:
                self._on_redis_error(error)
        return seconds

    def _local_retry_after(self, ip: str) -> int | None:
        until = self._blocked_until.get(ip)
        if until is None:
            return None
        remaining = until - self._clock()
        if remaining <= 0:
            del self._blocked_until[ip]
            return None
        return math.ceil(remaining)

    def _block_locally(self, ip: str, seconds: int) -> None:
        self._blocked_until.pop(ip, None)
        self._blocked_until[ip] = self._clock() + seconds
        if len(self._blocked_until) > self._max_blocked:
            del self._blocked_until[next(iter(self._blocked_until))]

    def _on_redis_error(self, error: Exception) -> None:
        logger.warning(
            "failed-auth throttle: Redis failed (%s); blocks are per process for now",
            type(error).__name__,
        )
        self._redis_down_until = self._clock() + self._retry_interval


def _block_key(ip: str) -> str:
    return f"{_NAMESPACE}:{{{ip}}}:blocked"
