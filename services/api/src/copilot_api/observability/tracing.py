"""Traces: a tracer provider exporting over OTLP/HTTP, plus spans for PostgreSQL and Redis calls.

Tracing exists only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or a test passes an exporter):
otherwise no provider is built, nothing is patched, and the request path skips spans entirely.
The provider is the app's own, not OpenTelemetry's global one, so several apps (tests) coexist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Tracer
from psycopg import AsyncConnection, AsyncCursor, sql
from redis.asyncio import Redis

from copilot_config import ObservabilitySection

TRACER_NAME = "copilot_api"
_MAX_QUERY_TEXT = 2_000


def build_tracer_provider(
    config: ObservabilitySection, resource: Resource, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """None (tracing off) unless an OTLP endpoint is configured or an exporter is given."""
    processor: SpanProcessor
    if exporter is not None:
        processor = SimpleSpanProcessor(exporter)  # tests read spans right after the request
    elif config.otel_exporter_otlp_endpoint:
        endpoint = config.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint))
    else:
        return None
    provider = TracerProvider(
        resource=resource,
        sampler=ParentBased(TraceIdRatioBased(config.traces_sample_ratio)),
        shutdown_on_exit=False,  # the app's lifespan shuts it down (and flushes) itself
    )
    provider.add_span_processor(processor)
    return provider


def traced_cursor_class(tracer: Tracer) -> type[AsyncCursor[Any]]:
    """A cursor class that opens a CLIENT span per query (set as a connection's cursor_factory)."""

    class TracedAsyncCursor(AsyncCursor[Any]):
        async def execute(
            self,
            query: Any,
            params: Any = None,
            *,
            prepare: bool | None = None,
            binary: bool | None = None,
        ) -> TracedAsyncCursor:
            with _query_span(tracer, self._conn, query):
                await super().execute(query, params, prepare=prepare, binary=binary)
            return self

        async def executemany(
            self, query: Any, params_seq: Any, *, returning: bool = False
        ) -> None:
            with _query_span(tracer, self._conn, query):
                await super().executemany(query, params_seq, returning=returning)

    return TracedAsyncCursor


def _query_span(tracer: Tracer, connection: AsyncConnection[Any], query: Any) -> Any:
    text = _query_text(query, connection)
    operation = text.split(None, 1)[0].upper() if text.strip() else "QUERY"
    info = connection.info
    return tracer.start_as_current_span(
        operation if operation.isalpha() else "QUERY",
        kind=SpanKind.CLIENT,
        attributes={
            "db.system.name": "postgresql",
            "db.namespace": info.dbname,
            "db.operation.name": operation,
            "db.query.text": text[:_MAX_QUERY_TEXT],  # parameters are never included
            "server.address": info.host,
            "server.port": info.port,
        },
    )


def _query_text(query: Any, connection: AsyncConnection[Any]) -> str:
    if isinstance(query, str):
        return query
    if isinstance(query, bytes):
        return query.decode("utf-8", "replace")
    if isinstance(query, sql.Composable):
        return query.as_string(connection)
    return str(query)


def trace_redis(client: Redis, tracer: Tracer) -> None:
    """Wrap this client's commands in CLIENT spans (command name only: keys and values may be
    personal data). Pipelines (`client.pipeline()`) are not traced."""
    execute_command = cast(Callable[..., Awaitable[Any]], client.execute_command)  # untyped

    async def traced_execute_command(*args: Any, **options: Any) -> Any:
        command = args[0] if args else "COMMAND"
        name = command.decode() if isinstance(command, bytes) else str(command)
        with tracer.start_as_current_span(
            name,
            kind=SpanKind.CLIENT,
            attributes={"db.system.name": "redis", "db.operation.name": name},
        ):  # an exception is recorded on the span and sets its status to error
            return await execute_command(*args, **options)

    client.execute_command = traced_execute_command  # type: ignore[method-assign]
