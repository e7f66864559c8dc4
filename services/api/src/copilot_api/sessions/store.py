"""Session storage: Redis with a TTL (shared by every worker and task) or a bounded in-memory map.

The active-session count is kept in Redis as a sorted set scored by expiry time, so counting is
one ZCARD after trimming expired ids, whatever the number of workers.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from copilot_api.errors import ApiError
from copilot_api.sessions.models import Session

_KEY_PREFIX = "copilot:session:"
_ACTIVE_KEY = "copilot:sessions:active"


class SessionStore(Protocol):
    backend: str

    async def get(self, session_id: str) -> Session | None: ...

    async def save(self, session: Session) -> None: ...

    async def delete(self, session_id: str) -> bool: ...

    async def active_count(self) -> int: ...


class MemorySessionStore:
    """One process only (REDIS_URL unset). Past `max_sessions` the oldest sessions go first."""

    backend = "memory"

    def __init__(self, ttl_s: int, max_sessions: int = 10_000) -> None:
        self._ttl_s = ttl_s
        self._max = max_sessions
        self._sessions: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def get(self, session_id: str) -> Session | None:
        entry = self._sessions.get(session_id)
        if entry is None:
            return None
        expires_at, payload = entry
        if expires_at <= time.monotonic():
            del self._sessions[session_id]
            return None
        return Session.model_validate_json(payload)

    async def save(self, session: Session) -> None:
        self._sessions[session.id] = (time.monotonic() + self._ttl_s, session.model_dump_json())
        self._sessions.move_to_end(session.id)
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)

    async def delete(self, session_id: str) -> bool:
        return self._sessions.pop(session_id, None) is not None

    async def active_count(self) -> int:
        now = time.monotonic()
        for session_id in [sid for sid, (expiry, _) in self._sessions.items() if expiry <= now]:
            del self._sessions[session_id]
        return len(self._sessions)


class RedisSessionStore:
    backend = "redis"

    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self._redis = redis
        self._ttl_s = ttl_s

    async def get(self, session_id: str) -> Session | None:
        try:
            payload = await self._redis.get(_KEY_PREFIX + session_id)
        except RedisError as error:
            raise _unavailable() from error
        return None if payload is None else Session.model_validate_json(payload)

    async def save(self, session: Session) -> None:
        expires_at = time.time() + self._ttl_s
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(_KEY_PREFIX + session.id, session.model_dump_json(), ex=self._ttl_s)
                pipe.zadd(_ACTIVE_KEY, {session.id: expires_at})
                await pipe.execute()
        except RedisError as error:
            raise _unavailable() from error

    async def delete(self, session_id: str) -> bool:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(_KEY_PREFIX + session_id)
                pipe.zrem(_ACTIVE_KEY, session_id)
                deleted, _ = await pipe.execute()
        except RedisError as error:
            raise _unavailable() from error
        return bool(deleted)

    async def active_count(self) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(_ACTIVE_KEY, "-inf", time.time())
            pipe.zcard(_ACTIVE_KEY)
            _, count = await pipe.execute()
        return int(count)


def _unavailable() -> ApiError:
    return ApiError(
        503, "session_store_unavailable", "Conversation sessions are unavailable; retry shortly."
    )
