"""Wires observability into the app: `/metrics`, the request middleware, traces, readiness gauges.

`app.state[TELEMETRY]` holds the `Telemetry` API from app creation on. Two lifespans:
the first one (placed before every other plugin's) starts tracing and the metrics flush, so the
database connections opened by StoragePlugin are already traced, and stops them last; the second
one (after StoragePlugin) hooks onto what storage built: the pool, Redis, the readiness checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.config.app import AppConfig
from litestar.handlers import HTTPRouteHandler
from litestar.plugins import InitPluginProtocol
from opentelemetry.metrics import Meter, NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from psycopg import AsyncConnection, AsyncCursor

from copilot_api import __version__
from copilot_api.errors import ApiError
from copilot_api.health.registry import HealthRegistry
from copilot_api.observability.exposition import (
    CONTENT_TYPE,
    Flusher,
    WorkerMetricReader,
    worker_metrics,
)
from copilot_api.observability.metrics import Telemetry
from copilot_api.observability.middleware import ObservabilityMiddleware
from copilot_api.observability.multiprocess import SnapshotStore
from copilot_api.observability.tracing import (
    TRACER_NAME,
    build_tracer_provider,
    trace_redis,
    traced_cursor_class,
)
from copilot_api.state import DATABASE, DATABASE_CONFIGURERS, HEALTH, REDIS, TELEMETRY
from copilot_config import Environment, ObservabilitySection
from copilot_config.health import METRICS_PATH

logger = logging.getLogger(__name__)

INSTRUMENTATION_SCOPE = InstrumentationScope(TRACER_NAME, __version__)
READINESS_INTERVAL_SECONDS = 15.0
"""How often each worker re-runs the readiness checks for the copilot_health_* gauges."""


class ObservabilityPlugin(InitPluginProtocol):
    def __init__(
        self,
        config: ObservabilitySection,
        *,
        service_name: str,
        environment: Environment,
        span_exporter: SpanExporter | None = None,
    ) -> None:
        """`span_exporter` replaces OTLP (tests pass an in-memory exporter)."""
        self.config = config
        # Production serves /metrics only to a holder of the token, and not at all without one.
        self._serves_metrics = config.metrics_bearer_token is not None or (
            environment is not Environment.PRODUCTION
        )
        self._span_exporter = span_exporter
        self._resource = Resource.create(
            {
                "service.name": service_name,
                "service.version": __version__,
                "deployment.environment.name": environment.value,
                "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
            }
        )
        self._tracer_provider: TracerProvider | None = None
        self._traced_cursor: type[AsyncCursor[Any]] | None = None
        meter, self._reader = self._build_meter()
        self.telemetry = Telemetry(meter, version=__version__, environment=environment.value)
        if self._reader is not None:
            self._reader.add_native_source(self.telemetry.native_metrics)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.state[TELEMETRY] = self.telemetry
        app_config.state.setdefault(DATABASE_CONFIGURERS, []).append(self._configure_connection)
        app_config.lifespan.insert(0, self._telemetry_lifespan)
        app_config.lifespan.append(self._dependencies_lifespan)
        if self._reader is not None and self._serves_metrics:
            token = self.config.metrics_bearer_token
            app_config.route_handlers.append(
                _metrics_route(self._reader, token.get_secret_value() if token else None)
            )
        return app_config

    def _build_meter(self) -> tuple[Meter, WorkerMetricReader | None]:
        if not self.config.metrics_enabled:
            return NoOpMeterProvider().get_meter(TRACER_NAME), None
        directory = self.config.metrics_multiprocess_dir
        store = SnapshotStore(directory) if directory is not None else None
        return worker_metrics(store, self._resource, INSTRUMENTATION_SCOPE)

    @asynccontextmanager
    async def _telemetry_lifespan(self, app: Litestar) -> AsyncIterator[None]:
        provider = build_tracer_provider(self.config, self._resource, self._span_exporter)
        self._tracer_provider = provider
        if provider is not None:
            tracer = provider.get_tracer(TRACER_NAME, __version__)
            self.telemetry.tracer = tracer
            self._traced_cursor = traced_cursor_class(tracer)
        if self._reader is not None:
            self._reader.open()
        flusher = None
        if self._reader is not None and self.config.metrics_multiprocess_dir is not None:
            flusher = Flusher(self._reader, self.config.metrics_flush_interval_seconds)
            flusher.start()
        try:
            yield
        finally:
            if flusher is not None:
                await asyncio.to_thread(flusher.stop)
            if self._reader is not None:
                await asyncio.to_thread(self._reader.close)
            self.telemetry.tracer = None
            self._traced_cursor = None
            if provider is not None:
                await asyncio.to_thread(provider.shutdown)  # flushes pending spans

    @asynccontextmanager
    async def _dependencies_lifespan(self, app: Litestar) -> AsyncIterator[None]:
        if not isinstance(app.asgi_handler, ObservabilityMiddleware):
            # Around routing itself, so unknown paths and routing errors are measured too.
            app.asgi_handler = ObservabilityMiddleware(
                app.asgi_handler, self.telemetry, metrics_enabled=self._reader is not None
            )
        database = app.state.get(DATABASE)
        if database is not None:
            self.telemetry.observe_database(database.stats)
        redis = app.state.get(REDIS)
        if redis is not None and self.telemetry.tracer is not None:
            trace_redis(redis, self.telemetry.tracer)
        readiness = None
        if self._reader is not None:
            readiness = asyncio.create_task(self._watch_readiness(app.state[HEALTH]))
        try:
            yield
        finally:
            if readiness is not None:
                readiness.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await readiness

    async def _watch_readiness(self, registry: HealthRegistry) -> None:
        while True:
            try:
                ready, checks = await registry.readiness()
                self.telemetry.set_readiness(ready, {k: v == "ok" for k, v in checks.items()})
            except Exception:
                logger.exception("readiness evaluation for metrics failed")
            await asyncio.sleep(READINESS_INTERVAL_SECONDS)

    async def _configure_connection(self, connection: AsyncConnection[Any]) -> None:
        if self._traced_cursor is not None:
            connection.cursor_factory = self._traced_cursor


def _metrics_route(reader: WorkerMetricReader, token: str | None) -> HTTPRouteHandler:
    """`/metrics`; with a token, only for requests that carry it (Prometheus' `authorization`)."""
    expected = f"Bearer {token}".encode() if token is not None else None

    @get(METRICS_PATH, include_in_schema=False, sync_to_thread=True)  # reads files: off the loop
    def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
        if expected is not None:
            presented = request.headers.get("authorization", "").encode("latin-1")
            if not hmac.compare_digest(presented, expected):
                raise ApiError(
                    401,
                    "metrics_token_required",
                    "/metrics needs the METRICS_BEARER_TOKEN as an Authorization: Bearer header.",
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        return Response(reader.render(), media_type=CONTENT_TYPE)

    return metrics
