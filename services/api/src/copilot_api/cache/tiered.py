"""A two-tier cache: the in-process LRU first, then Redis shared by every worker and task.

Redis is optional and never on the critical path of correctness: any Redis error is logged once,
Redis is skipped for a short back-off period, and the cache carries on with the local tier. A
value found in Redis is copied into the local tier, so the next lookup in this worker is local.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from copilot_api.cache.codecs import Codec, JsonCodec
from copilot_api.cache.lru import LRUCache

logger = logging.getLogger(__name__)

_REDIS_FAILURES = (RedisError, OSError, TimeoutError)
DEFAULT_NAMESPACE = "copilot:cache"


class TieredCache:
    def __init__(
        self,
        name: str,
        *,
        max_size: int,
        ttl_seconds: int,
        codec: Codec | None = None,
        redis: Redis | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        redis_backoff_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.ttl_seconds = ttl_seconds
        self.codec: Codec = codec or JsonCodec()
        self.local = LRUCache(max_size, ttl_seconds, clock=clock)
        self._redis = redis
        self._prefix = f"{namespace}:{name}:"
        self._backoff = redis_backoff_seconds
        self._clock = clock
        self._redis_down_until = 0.0
        self.local_hits = 0
        self.redis_hits = 0
        self.misses = 0
        self.redis_errors = 0
        self.undecodable = 0
        self.observer: CacheObserver | None = None

    def attach_redis(self, redis: Redis | None, namespace: str | None = None) -> None:
        self._redis = redis
        if namespace is not None:
            self._prefix = f"{namespace}:{self.name}:"

    # --- reads ---

    async def get(self, key: str) -> Any | None:
        return (await self.get_many([key])).get(key)

    async def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        """The cached values among `keys` (missing keys are absent from the result)."""
        found: dict[str, Any] = {}
        remote: list[str] = []
        for key in dict.fromkeys(keys):
            value = self._decode_local(key)
            if value is None:
                remote.append(key)
            else:
                found[key] = value
        local_hits = len(found)
        redis_hits = 0
        if remote:
            for key, data in (await self._redis_get(remote)).items():
                value = self._decode(data)
                if value is not None:
                    self._store_local(key, data)
                    found[key] = value
                    redis_hits += 1
        misses = len(remote) - redis_hits
        self.local_hits += local_hits
        self.redis_hits += redis_hits
        self.misses += misses
        if self.observer is not None:
            self.observer.cache_lookups(self.name, hits=local_hits + redis_hits, misses=misses)
        return found

    # --- writes ---

    async def set(self, key: str, value: Any) -> None:
        await self.set_many({key: value})

    async def set_many(self, values: Mapping[str, Any]) -> None:
        encoded = {key: self.codec.encode(value) for key, value in values.items()}
        for key, data in encoded.items():
            self._store_local(key, data)
        await self._redis_set(encoded)

    async def delete(self, key: str) -> None:
        self.local.delete(key)
        client = self._usable_redis()
        if client is not None:
            try:
                await client.delete(self._prefix + key)
            except _REDIS_FAILURES as error:
                self._redis_failed(error)

    # --- statistics ---

    def stats(self) -> dict[str, Any]:
        hits = self.local_hits + self.redis_hits
        lookups = hits + self.misses
        return {
            "hits": hits,
            "local_hits": self.local_hits,
            "redis_hits": self.redis_hits,
            "misses": self.misses,
            "hit_rate": round(hits / lookups, 4) if lookups else None,
            "evictions": self.local.evictions,
            "expirations": self.local.expirations,
            "size": len(self.local),
            "max_size": self.local.max_size,
            "ttl_seconds": self.ttl_seconds,
            "redis": self.redis_state(),
            "redis_errors": self.redis_errors,
        }

    def redis_state(self) -> str:
        if self._redis is None:
            return "disabled"
        return "unavailable" if self._clock() < self._redis_down_until else "ok"

    # --- internals ---

    def _decode_local(self, key: str) -> Any | None:
        data = self.local.get(key)
        if data is None:
            return None
        value = self._decode(data)
        if value is None:
            self.local.delete(key)
        return value

    def _decode(self, data: bytes) -> Any | None:
        try:
            return self.codec.decode(data)
        except ValueError:
            self.undecodable += 1
            return None

    def _store_local(self, key: str, data: bytes) -> None:
        evicted = self.local.set(key, data)
        if evicted and self.observer is not None:
            self.observer.cache_evictions(self.name, evicted)

    def _usable_redis(self) -> Redis | None:
        if self._redis is None or self._clock() < self._redis_down_until:
            return None
        return self._redis

    async def _redis_get(self, keys: Iterable[str]) -> dict[str, bytes]:
        client = self._usable_redis()
        if client is None:
            return {}
        names = list(keys)
        try:
            raw = await client.mget([self._prefix + key for key in names])
        except _REDIS_FAILURES as error:
            self._redis_failed(error)
            return {}
        return {key: data for key, data in zip(names, raw, strict=True) if isinstance(data, bytes)}

    async def _redis_set(self, encoded: Mapping[str, bytes]) -> None:
        client = self._usable_redis()
        if client is None or not encoded:
            return
        try:
            async with client.pipeline(transaction=False) as pipe:
                for key, data in encoded.items():
                    pipe.set(self._prefix + key, data, ex=self.ttl_seconds)
                await pipe.execute()
        except _REDIS_FAILURES as error:
            self._redis_failed(error)

    def _redis_failed(self, error: BaseException) -> None:
        self.redis_errors += 1
        if self._clock() >= self._redis_down_until:
            logger.warning(
                "cache %s: Redis unavailable (%s); using the in-process tier for %.0fs",
                self.name,
                type(error).__name__,
                self._backoff,
            )
        self._redis_down_until = self._clock() + self._backoff


class CacheObserver:
    """Telemetry hooks; the default does nothing. The observability capability overrides it."""

    def cache_lookups(self, cache: str, *, hits: int, misses: int) -> None:
        return None

    def cache_evictions(self, cache: str, count: int) -> None:
        return None
