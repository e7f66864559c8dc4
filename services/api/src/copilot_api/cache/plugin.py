"""Wires the caches: built at app init (so other plugins can hold them), Redis attached at startup.

Register this plugin after `StoragePlugin` (whose lifespan opens Redis) and before the plugins
that use the caches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol

from copilot_api.cache.registry import CacheRegistry
from copilot_api.cache.tiered import CacheObserver
from copilot_api.health.registry import HealthRegistry
from copilot_api.observability.metrics import Telemetry
from copilot_api.state import CACHES, HEALTH, REDIS, TELEMETRY
from copilot_config import CacheSection


class CachePlugin(InitPluginProtocol):
    def __init__(self, config: CacheSection, *, namespace: str) -> None:
        """`namespace` prefixes the Redis keys (the service name: two services sharing a
        Redis never collide)."""
        self.config = config
        self.namespace = namespace

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        caches = CacheRegistry.from_config(self.config, namespace=self.namespace)
        telemetry: Telemetry | None = app_config.state.get(TELEMETRY)
        if telemetry is not None:
            caches.set_observer(TelemetryCacheObserver(telemetry))
            for name in caches.names():
                local = caches.get(name).local
                telemetry.observe_cache_size(name, local.__len__)
        app_config.state[CACHES] = caches
        app_config.lifespan.append(self._lifespan)
        return app_config

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        caches: CacheRegistry = app.state[CACHES]
        caches.attach_redis(app.state.get(REDIS))
        registry: HealthRegistry = app.state[HEALTH]

        async def report() -> dict[str, Any]:
            return caches.report()

        registry.add_detail("caches", report)
        try:
            yield
        finally:
            caches.attach_redis(None)  # the storage plugin closes the client after us


class TelemetryCacheObserver(CacheObserver):
    """Hits, misses and evictions into the service's OpenTelemetry counters."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry

    def cache_lookups(self, cache: str, *, hits: int, misses: int) -> None:
        for _ in range(hits):
            self._telemetry.record_cache_hit(cache)
        for _ in range(misses):
            self._telemetry.record_cache_miss(cache)

    def cache_evictions(self, cache: str, count: int) -> None:
        self._telemetry.record_cache_eviction(cache, count)
