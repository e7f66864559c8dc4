"""The service's named caches, their Redis tier and their statistics for `/health/detailed`."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from copilot_api.cache.codecs import Codec, JsonCodec, VectorCodec
from copilot_api.cache.tiered import DEFAULT_NAMESPACE, CacheObserver, TieredCache
from copilot_config import CacheSection

EMBEDDING = "embedding"
PROMPT = "prompt"


class CacheRegistry:
    def __init__(self, namespace: str = DEFAULT_NAMESPACE) -> None:
        self.namespace = namespace
        self._caches: dict[str, TieredCache] = {}
        self._redis: Redis | None = None

    @classmethod
    def from_config(cls, config: CacheSection, namespace: str = DEFAULT_NAMESPACE) -> CacheRegistry:
        registry = cls(namespace)
        registry.add(
            EMBEDDING,
            max_size=config.embedding_size,
            ttl_seconds=config.embedding_ttl_seconds,
            codec=VectorCodec(),
        )
        registry.add(
            PROMPT,
            max_size=config.prompt_size,
            ttl_seconds=config.prompt_ttl_seconds,
            codec=JsonCodec(),
        )
        return registry

    def add(
        self, name: str, *, max_size: int, ttl_seconds: int, codec: Codec | None = None
    ) -> TieredCache:
        """Another capability's cache (workflow results, say) shares the tiers and the report."""
        if name in self._caches:
            raise ValueError(f"a cache named {name!r} already exists")
        cache = TieredCache(
            name,
            max_size=max_size,
            ttl_seconds=ttl_seconds,
            codec=codec,
            redis=self._redis,
            namespace=self.namespace,
        )
        self._caches[name] = cache
        return cache

    def get(self, name: str) -> TieredCache:
        return self._caches[name]

    def names(self) -> list[str]:
        return list(self._caches)

    @property
    def embedding(self) -> TieredCache:
        return self._caches[EMBEDDING]

    @property
    def prompt(self) -> TieredCache:
        return self._caches[PROMPT]

    def attach_redis(self, redis: Redis | None) -> None:
        self._redis = redis
        for cache in self._caches.values():
            cache.attach_redis(redis)

    def set_observer(self, observer: CacheObserver | None) -> None:
        for cache in self._caches.values():
            cache.observer = observer

    def report(self) -> dict[str, Any]:
        caches = {name: cache.stats() for name, cache in self._caches.items()}
        if self._redis is None:
            shared = "disabled"
        elif any(cache.redis_state() == "unavailable" for cache in self._caches.values()):
            shared = "unavailable"
        else:
            shared = "ok"
        return {
            # Redis down is degraded (each worker caches alone), never unhealthy.
            "status": "degraded" if shared == "unavailable" else "healthy",
            "shared_tier": "redis" if self._redis is not None else "none (in-process only)",
            "redis": shared,
            "caches": caches,
        }
