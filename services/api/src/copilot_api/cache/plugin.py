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
from copilot_api.health.registry import HealthRegistry
from copilot_api.state import CACHES, HEALTH, REDIS
from copilot_config import Settings


class CachePlugin(InitPluginProtocol):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        # Keys are namespaced by service name: two services sharing a Redis never collide.
        app_config.state[CACHES] = CacheRegistry.from_settings(
            self.settings, namespace=f"{self.settings.app_name}:cache"
        )
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
