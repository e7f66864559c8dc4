"""Wires storage into the app: embedded or external PostgreSQL, migrations, the pool and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.plugins import InitPluginProtocol
from psycopg import AsyncConnection
from redis.asyncio import Redis

from copilot_api.health.registry import HealthRegistry
from copilot_api.state import DATABASE, DATABASE_CONFIGURERS, HEALTH, REDIS
from copilot_api.storage.database import ConnectionConfigurer, Database
from copilot_api.storage.migrations import apply_migrations
from copilot_api.storage.probe import DatabaseProbe
from copilot_api.storage.redis import connect_redis, ping_redis
from copilot_api.storage.supervisor import EmbeddedSupervisor
from copilot_api.storage.target import database_target
from copilot_config import DatabaseSection, Environment, RedisSection

logger = logging.getLogger(__name__)


def _run_all(configurers: list[ConnectionConfigurer]) -> ConnectionConfigurer | None:
    """One pool hook running every capability's (`app.state[DATABASE_CONFIGURERS]`) in order."""
    if not configurers:
        return None

    async def configure(connection: AsyncConnection) -> None:
        for configurer in configurers:
            await configurer(connection)

    return configure


def provide_database(state: State) -> Database:
    database: Database = state[DATABASE]
    return database


def provide_redis(state: State) -> Redis | None:
    client: Redis | None = state.get(REDIS)
    return client


class StoragePlugin(InitPluginProtocol):
    def __init__(
        self,
        database: DatabaseSection,
        redis: RedisSection,
        *,
        environment: Environment,
        data_dir: Path,
    ) -> None:
        """Storage owns both connections, so it takes both sections; `data_dir` holds the
        embedded server when no DATABASE_URL is set."""
        self.database = database
        self.redis = redis
        self.environment = environment
        self.data_dir = data_dir

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.lifespan.append(self._lifespan)
        app_config.dependencies["database"] = Provide(provide_database, sync_to_thread=False)
        app_config.dependencies["redis"] = Provide(provide_redis, sync_to_thread=False)
        return app_config

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        target_cm = database_target(
            self.database, environment=self.environment, data_dir=self.data_dir
        )
        with ExitStack() as stack:
            target = await asyncio.to_thread(stack.enter_context, target_cm)
            database = Database(
                target.url,
                min_size=self.database.pool_min_size,
                max_size=self.database.pool_max_size,
                configure=_run_all(app.state.get(DATABASE_CONFIGURERS, [])),
                timeout=self.database.timeout,
            )
            redis_url = self.redis.url
            redis = connect_redis(redis_url.get_secret_value()) if redis_url else None
            supervisor = (
                EmbeddedSupervisor(
                    target.embedded,
                    max_restarts=self.database.restart_attempts,
                    on_restart=database.pool.check,  # drop connections to the dead server
                )
                if target.embedded is not None
                else None  # an external server's outages are readiness-only
            )
            if supervisor is not None:
                database.fail_fast_when_down(supervisor.check_available)
            registry: HealthRegistry = app.state[HEALTH]
            probe = DatabaseProbe(
                target.url,
                # Half the check's timeout: the probe answers well inside it, load or not.
                deadline=registry.check_timeout / 2,
                abandon_after=self.database.timeout,
                availability=supervisor.check_available if supervisor is not None else None,
                on_answer=database.pool.close_breaker,  # it answers again: stop refusing
            )
            supervising: asyncio.Task[None] | None = None
            try:
                if self.environment is not Environment.PRODUCTION:
                    # Production applies migrations as a deploy step (`copilot db migrate`).
                    await asyncio.to_thread(apply_migrations, target.url)
                await database.open()
                probe.connect_soon()
                app.state[DATABASE] = database
                app.state[REDIS] = redis
                self._register_health(registry, database, probe, redis, supervisor)
                if supervisor is not None:
                    supervising = asyncio.get_running_loop().create_task(supervisor.run())
                yield
            finally:
                if supervising is not None:
                    supervising.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await supervising
                await probe.close()
                await database.close()
                if redis is not None:
                    await redis.aclose()
                await asyncio.to_thread(stack.close)

    def _register_health(
        self,
        registry: HealthRegistry,
        database: Database,
        probe: DatabaseProbe,
        redis: Redis | None,
        supervisor: EmbeddedSupervisor | None,
    ) -> None:
        async def database_ready() -> None:
            await probe.ping()  # an embedded server known down fails at once
            if database.pool.failing:
                # The server answers, but requests got no connection last time (the pool may
                # still be backing off from a restart): ready once the pool serves again.
                await database.pool.try_connection(timeout=probe.deadline)

        if supervisor is not None:
            registry.add_liveness("database_supervisor", lambda: supervisor.alive)

        async def database_detail() -> dict[str, Any]:
            stats = database.stats()
            pool = {
                "size": stats.size,
                "in_use": stats.in_use,
                "idle": stats.idle,
                "max_size": stats.max_size,
                "waiting": stats.waiting,
            }
            report: dict[str, Any] = {"pool": pool}
            if supervisor is not None:
                report["embedded"] = {
                    "state": supervisor.state.value,
                    "restarts": supervisor.restarts,
                }
            try:
                latency = await probe.ping()
            except Exception as error:
                return {"status": "unhealthy", "error": type(error).__name__, **report}
            return {"status": "healthy", "latency_ms": round(latency, 2), **report}

        registry.add_readiness("database", database_ready)
        registry.add_detail("database", database_detail)

        if redis is None:
            return

        async def redis_ready() -> None:
            await ping_redis(redis)

        async def redis_detail() -> dict[str, Any]:
            try:
                latency = await ping_redis(redis)
            except Exception as error:
                return {
                    "status": "degraded",
                    "error": type(error).__name__,
                    "fallback": "in-process caches, sessions and rate limits",
                }
            return {"status": "healthy", "latency_ms": round(latency, 2)}

        # Redis down degrades the service (in-process fallbacks) but does not make it unready.
        registry.add_readiness("redis", redis_ready, critical=False)
        registry.add_detail("redis", redis_detail)
