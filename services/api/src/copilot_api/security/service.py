"""The per-app security service: verifies API keys, applies rate limits, records key use.

Built in the plugin's lifespan (it needs the database and Redis) and kept in `app.state`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from redis.asyncio import Redis

from copilot_api.security import store
from copilot_api.security.auth_throttle import FailedAuthThrottle
from copilot_api.security.client_ip import Network
from copilot_api.security.keys import matches, prefix_of
from copilot_api.security.rate_limit import Decision, RateLimiter
from copilot_api.security.store import ApiKey
from copilot_api.storage.database import Database
from copilot_config import SecuritySection

logger = logging.getLogger(__name__)

FailureReason = Literal["missing", "malformed", "unknown", "revoked"]


class AuthenticationFailedError(Exception):
    def __init__(self, reason: FailureReason, prefix: str | None = None) -> None:
        super().__init__(reason)
        self.reason: FailureReason = reason
        self.prefix = prefix  # public part of a well-formed key, for the investigator


@dataclass(frozen=True, slots=True)
class SecurityPolicy:
    trusted_proxies: tuple[Network, ...]
    max_query_string_length: int
    requests_per_minute: int
    requests_per_hour: int
    auth_failures_per_minute: int
    max_json_depth: int

    @classmethod
    def from_config(cls, config: SecuritySection) -> SecurityPolicy:
        return cls(
            trusted_proxies=tuple(config.trusted_proxies),
            max_query_string_length=config.max_query_string_length,
            requests_per_minute=config.rate_limit_per_minute,
            requests_per_hour=config.rate_limit_per_hour,
            auth_failures_per_minute=config.auth_failures_per_minute,
            max_json_depth=config.max_json_depth,
        )


class UsageRecorder:
    """Writes `last_used_at` at most once per `interval` per key and worker, off the request
    path: a key in constant use costs one UPDATE a minute, not one per request."""

    def __init__(
        self,
        database: Database,
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._interval = interval
        self._clock = clock
        self._written: dict[int, float] = {}
        self._pending: set[asyncio.Task[None]] = set()

    def record(self, key: ApiKey) -> None:
        now = self._clock()
        last = self._written.get(key.id)
        if last is not None and now - last < self._interval:
            return
        self._written[key.id] = now
        task = asyncio.get_running_loop().create_task(self._write(key.id))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _write(self, key_id: int) -> None:
        try:
            async with self._database.pool.connection() as connection:
                await store.record_use(connection, key_id)
        except Exception as error:  # best effort: a missed timestamp must not fail anything
            logger.warning("could not record API key use (%s)", type(error).__name__)
            self._written.pop(key_id, None)

    async def drain(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)


class SecurityService:
    def __init__(
        self,
        policy: SecurityPolicy,
        database: Database,
        redis: Redis | None,
        *,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.policy = policy
        self.database = database
        self.limiter = limiter or RateLimiter(redis)
        self.auth_throttle = FailedAuthThrottle(redis, policy.auth_failures_per_minute)
        self.usage = UsageRecorder(database)

    async def authenticate(self, presented: str | None) -> ApiKey:
        if not presented:
            raise AuthenticationFailedError("missing")
        prefix = prefix_of(presented)
        if prefix is None:
            raise AuthenticationFailedError("malformed")  # never reaches the database
        async with self.database.pool.connection() as connection:
            found = await store.find_by_prefix(connection, prefix)
        if found is None or not matches(presented, found[1]):
            raise AuthenticationFailedError("unknown", prefix)
        key = found[0]
        if key.revoked:
            raise AuthenticationFailedError("revoked", prefix)
        return key

    def limits_for(self, key: ApiKey) -> tuple[int, int]:
        return (
            key.rate_limit_per_minute or self.policy.requests_per_minute,
            key.rate_limit_per_hour or self.policy.requests_per_hour,
        )

    async def check_rate(self, key: ApiKey) -> Decision:
        return await self.limiter.hit(key.prefix, self.limits_for(key))

    async def close(self) -> None:
        await self.usage.drain()
