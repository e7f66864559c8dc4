"""The ASGI layer around the whole app (routing included, so unknown paths are seen too).

Per request: a request id (the caller's valid `X-Request-ID`, else a new one) in the context,
`scope["state"]["request_id"]` and the response; the HTTP server metrics with the route
*template* (`/api/listings/{listing_key}`; no route for unmatched paths, so scanners cannot
create series); a SERVER span continuing the caller's W3C `traceparent` when tracing is on; and
one request log line, written inside the span so it carries the trace id.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from time import perf_counter
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from copilot_api.observability.context import (
    accepted_request_id,
    new_request_id,
    request_id_var,
    telemetry_var,
    user_id_var,
)
from copilot_api.observability.logging_service import logging_service

if TYPE_CHECKING:
    from copilot_api.observability.metrics import Telemetry

_REQUEST_ID_HEADER = b"x-request-id"
_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
_PROPAGATOR = TraceContextTextMapPropagator()


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, telemetry: Telemetry, *, metrics_enabled: bool) -> None:
        self.app = app
        self.telemetry = telemetry
        self.metrics_enabled = metrics_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        observation = _Observation(scope, self.telemetry, self.metrics_enabled)
        try:
            await self.app(scope, receive, observation.wrap(send))
        except Exception as error:
            observation.error_type = type(error).__qualname__
            raise
        finally:
            observation.finish()


class _Observation:
    """One request's measurements, from the first byte in to the last byte out."""

    __slots__ = (
        "_contexts",
        "_metrics_enabled",
        "_scheme",
        "_scope",
        "_span",
        "_span_token",
        "_started",
        "_telemetry",
        "error_type",
        "method",
        "request_id",
        "status",
    )

    def __init__(self, scope: HTTPScope, telemetry: Telemetry, metrics_enabled: bool) -> None:
        self._started = perf_counter()
        self._scope = scope
        self._telemetry = telemetry
        self._metrics_enabled = metrics_enabled
        self.status = 0
        self.error_type: str | None = None
        self.request_id = (
            accepted_request_id(_header(scope, _REQUEST_ID_HEADER)) or new_request_id()
        )
        scope.setdefault("state", {})["request_id"] = self.request_id
        self._contexts: list[tuple[ContextVar[Any], Token[Any]]] = [
            (request_id_var, request_id_var.set(self.request_id)),
            (user_id_var, user_id_var.set(None)),
            (telemetry_var, telemetry_var.set(telemetry)),
        ]
        self.method = scope["method"] if scope["method"] in _KNOWN_METHODS else "_OTHER"
        self._scheme = scope["scheme"]
        if metrics_enabled:
            telemetry.request_started(self.method, self._scheme)
        self._span: Span | None = None
        self._span_token: Token[otel_context.Context] | None = None
        if telemetry.tracer is not None:
            self._span = _start_span(telemetry.tracer, scope, self.method)
            # Current for the whole request: its log lines, queries and child spans attach to it.
            self._span_token = otel_context.attach(trace.set_span_in_context(self._span))

    def wrap(self, send: Send) -> Send:
        request_id_header = (_REQUEST_ID_HEADER, self.request_id.encode("ascii"))

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                message["headers"] = [*message.get("headers", ()), request_id_header]
            await send(message)

        return send_with_request_id

    def finish(self) -> None:
        duration = perf_counter() - self._started
        route: str | None = self._scope.get("path_template") or None
        status = self.status or 500  # the server answers 500 when the app sent nothing
        if self.error_type is None and status >= 500:
            self.error_type = str(status)
        if self._metrics_enabled:
            self._telemetry.request_finished(
                self.method, self._scheme, status, route, self.error_type, duration
            )
        logging_service.log_request(
            self._scope["method"], self._scope["path"], status, duration * 1000, route=route
        )
        if self._span is not None:
            _finish_span(self._span, self.method, route, status, self.error_type)
        if self._span_token is not None:
            otel_context.detach(self._span_token)
        for variable, token in reversed(self._contexts):
            variable.reset(token)


def _start_span(tracer: Tracer, scope: HTTPScope, method: str) -> Span:
    carrier = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in scope["headers"]
        if name in (b"traceparent", b"tracestate")
    }
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "url.path": scope["path"],
        "url.scheme": scope["scheme"],
    }
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    return tracer.start_span(
        method,
        context=_PROPAGATOR.extract(carrier) if carrier else None,
        kind=SpanKind.SERVER,
        attributes=attributes,
    )


def _finish_span(
    span: Span, method: str, route: str | None, status: int, error_type: str | None
) -> None:
    span.set_attribute("http.response.status_code", status)
    if route is not None:
        span.set_attribute("http.route", route)
        span.update_name(f"{method} {route}")
    if error_type is not None:
        span.set_attribute("error.type", error_type)
        span.set_status(Status(StatusCode.ERROR))
    span.end()


def _header(scope: HTTPScope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None
