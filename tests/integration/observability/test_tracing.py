"""Traces: a request's server span, its database queries, Redis commands and log lines share one
trace."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.testing import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from psycopg import AsyncCursor
from redis.asyncio import Redis

from copilot_api.app import create_app
from copilot_api.health.registry import HealthRegistry
from copilot_api.observability.logging import configure_logging
from copilot_api.observability.logging_service import logging_service
from copilot_api.observability.plugin import ObservabilityPlugin
from copilot_api.state import DATABASE, ENVIRONMENT, HEALTH, TELEMETRY
from copilot_api.storage.database import Database
from copilot_api.storage.plugin import StoragePlugin
from copilot_config import Settings

SHARED_REDIS = "redis://127.0.0.1:6379/15"  # the shared test Redis (.ci/run starts it)
CALLER_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{CALLER_TRACE_ID}-b7ad6b7169203331-01"


@get("/test/traced/{number:int}")
async def traced(
    number: FromPath[int], database: NamedDependency[Database], redis: NamedDependency[Redis]
) -> dict[str, int]:
    async with database.pool.connection() as connection:
        await connection.execute("SELECT %s::int AS traced_number", (number,))
    await redis.get("copilot-tests:traced")
    logging_service.info("inside the handler", number=number)
    return {"number": number}


def test_request_query_and_log_lines_share_the_callers_trace(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url=database_url, redis_url=SHARED_REDIS, log_file=tmp_path / "app.log"
    )
    configure_logging(settings)
    exporter = InMemorySpanExporter()
    app = Litestar(
        route_handlers=[traced],
        plugins=[
            StoragePlugin(
                settings.database,
                settings.redis,
                environment=settings.app.environment,
                data_dir=settings.app.data_dir,
            ),
            ObservabilityPlugin(
                settings.observability,
                service_name=settings.app.name,
                environment=settings.app.environment,
                span_exporter=exporter,
            ),
        ],
        state=State({ENVIRONMENT: settings.app.environment, HEALTH: HealthRegistry()}),
        logging_config=None,
    )
    with TestClient(app) as client:
        response = client.get(
            "/test/traced/7", headers={"traceparent": TRACEPARENT, "X-Request-ID": "corr-1"}
        )
        assert response.status_code == 200

    spans = exporter.get_finished_spans()
    [server] = [s for s in spans if s.kind is SpanKind.SERVER]
    assert server.name == "GET /test/traced/{number}"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/test/traced/{number}"
    assert server.attributes["http.response.status_code"] == 200
    assert format(server.context.trace_id, "032x") == CALLER_TRACE_ID  # the caller's trace goes on

    [query] = [
        s for s in spans if "traced_number" in str((s.attributes or {}).get("db.query.text", ""))
    ]
    assert query.kind is SpanKind.CLIENT
    assert query.name == "SELECT"
    assert query.parent is not None
    assert query.parent.span_id == server.context.span_id
    assert (query.attributes or {})["db.system.name"] == "postgresql"
    assert "7" not in str((query.attributes or {})["db.query.text"])  # parameters stay out

    [redis_get] = [s for s in spans if s.name == "GET"]
    assert redis_get.kind is SpanKind.CLIENT
    assert redis_get.parent is not None
    assert redis_get.parent.span_id == server.context.span_id
    assert (redis_get.attributes or {})["db.system.name"] == "redis"

    entries = [json.loads(line) for line in (tmp_path / "app.log").read_text().splitlines()]
    request_lines = [e for e in entries if e["request_id"] == "corr-1"]
    assert {e["message"] for e in request_lines} == {"inside the handler", "GET /test/traced/7 200"}
    for entry in request_lines:
        assert entry["trace_id"] == CALLER_TRACE_ID
        assert entry["span_id"] == format(server.context.span_id, "016x")


def test_without_an_otlp_endpoint_nothing_is_traced(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    app = create_app(make_settings(database_url=database_url))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert app.state[TELEMETRY].tracer is None
        database: Database = app.state[DATABASE]

        async def cursor_class() -> type:
            async with database.pool.connection() as connection:
                return connection.cursor_factory

        assert client.blocking_portal.call(cursor_class) is AsyncCursor
