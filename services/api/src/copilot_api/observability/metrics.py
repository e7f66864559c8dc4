"""`Telemetry`: the typed API every capability uses to record metrics and open spans.

Stored at `app.state[TELEMETRY]`; capabilities only call methods, e.g.

    telemetry.record_cache_hit("embedding")
    with telemetry.llm_span("openai", "gpt-4o-mini"):
        ...
    telemetry.record_llm_call("openai", "gpt-4o-mini", duration_s, input_tokens=12)

Instruments are created from the specs in `copilot_config.telemetry`. With METRICS_ENABLED=false
the meter is OpenTelemetry's no-op meter and every method costs a function call; without an OTLP
endpoint there is no tracer and spans are `nullcontext`.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from opentelemetry.metrics import (
    CallbackOptions,
    Counter,
    Histogram,
    Meter,
    Observation,
)
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.util.types import AttributeValue

from copilot_config import telemetry as names
from copilot_config.telemetry import InstrumentKind, MetricSpec

Attributes = Mapping[str, AttributeValue]
SizeProvider = Callable[[], int]


class _Levels:
    """Last values of gauges set from code (read by the observable gauge's callback)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[tuple[str, AttributeValue], ...], float] = {}

    def set(self, value: float, attributes: Attributes) -> None:
        with self._lock:
            self._values[tuple(sorted(attributes.items()))] = value

    def observe(self, _: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            items = list(self._values.items())
        return [Observation(value, dict(key)) for key, value in items]


class RequestDurations:
    """The cumulative `http.server.request.duration` histogram, aggregated here.

    The SDK's `Histogram.record` costs 10-20 us a call (opentelemetry-sdk 1.45: attribute
    validation and hashing), 10-20% of a small request; this costs about 1 us. Its state goes
    into the worker's snapshot next to the SDK's metrics and from there through the same merge
    and the same Prometheus exporter, so names, buckets and labels are unchanged. Buckets follow
    OpenTelemetry's explicit-bucket rule: bucket i holds (bounds[i-1], bounds[i]].
    """

    def __init__(self, spec: MetricSpec) -> None:
        assert spec.kind is InstrumentKind.HISTOGRAM
        assert spec.buckets is not None
        self._spec = spec
        self._bounds = list(spec.buckets)
        self._lock = threading.Lock()  # recorded on the event loop, read by the flush thread
        self._points: dict[tuple[str, str, int, str | None, str | None], _HistogramPoint] = {}

    def record(
        self,
        seconds: float,
        method: str,
        scheme: str,
        status: int,
        route: str | None,
        error_type: str | None,
    ) -> None:
        key = (method, scheme, status, route, error_type)
        bucket = bisect_left(self._bounds, seconds)
        with self._lock:
            point = self._points.get(key)
            if point is None:
                point = self._points[key] = _HistogramPoint(len(self._bounds) + 1)
            point.buckets[bucket] += 1
            point.count += 1
            point.sum += seconds

    def state(self) -> dict[str, Any]:
        """In the snapshot format of `observability.multiprocess`."""
        points: dict[str, Any] = {}
        with self._lock:
            for (method, scheme, status, route, error_type), point in self._points.items():
                attributes: dict[str, Any] = {
                    "http.request.method": method,
                    "url.scheme": scheme,
                    "http.response.status_code": status,
                }
                if route is not None:
                    attributes["http.route"] = route
                if error_type is not None:
                    attributes["error.type"] = error_type
                points[json.dumps(attributes, sort_keys=True)] = {
                    "attributes": attributes,
                    "count": point.count,
                    "sum": point.sum,
                    "bounds": self._bounds,
                    "buckets": list(point.buckets),
                }
        return {
            "kind": "histogram",
            "monotonic": True,
            "description": self._spec.description,
            "unit": self._spec.unit,
            "points": points,
        }


class _HistogramPoint:
    __slots__ = ("buckets", "count", "sum")

    def __init__(self, size: int) -> None:
        self.buckets = [0] * size
        self.count = 0
        self.sum = 0.0


class Telemetry:
    def __init__(
        self,
        meter: Meter,
        tracer: Tracer | None = None,
        *,
        version: str = "",
        environment: str = "",
    ) -> None:
        self.tracer = tracer
        self._meter = meter
        self._cache_sizes: dict[str, SizeProvider] = {}
        self._database_stats: Callable[[], Any] | None = None
        self._sessions = _Levels()
        self._ready = _Levels()
        self._checks = _Levels()
        build = {"version": version, "environment": environment}

        self.http_request_durations = RequestDurations(names.HTTP_SERVER_REQUEST_DURATION)
        # In-flight requests by (method, scheme): plain integers on the event loop's thread, read
        # at collection time. An UpDownCounter.add() per request start and end would cost ~20 us
        # each in the SDK, more than the rest of the request's instrumentation together.
        self._in_flight: dict[tuple[str, str], int] = {}
        self._observable_up_down(names.HTTP_SERVER_ACTIVE_REQUESTS, self._observe_in_flight)
        self._workflow_executions = self._counter(names.WORKFLOW_EXECUTIONS)
        self._workflow_duration = self._histogram(names.WORKFLOW_DURATION)
        self._workflow_failures = self._counter(names.WORKFLOW_FAILURES)
        self._workflow_step_duration = self._histogram(names.WORKFLOW_STEP_DURATION)
        self._cache_hits = self._counter(names.CACHE_HITS)
        self._cache_misses = self._counter(names.CACHE_MISSES)
        self._cache_evictions = self._counter(names.CACHE_EVICTIONS)
        self._llm_calls = self._counter(names.LLM_CALLS)
        self._llm_duration = self._histogram(names.LLM_DURATION)
        self._llm_tokens = self._counter(names.LLM_TOKENS)
        self._llm_fallbacks = self._counter(names.LLM_FALLBACKS)
        self._experiment_assignments = self._counter(names.EXPERIMENT_ASSIGNMENTS)
        self._security_counters = {
            event_type: self._counter(spec)
            for event_type, spec in names.SECURITY_EVENT_COUNTERS.items()
        }
        self._gauge(names.CACHE_SIZE, self._observe_cache_sizes)
        self._gauge(names.ACTIVE_SESSIONS, self._sessions.observe)
        self._gauge(names.READY, self._ready.observe)
        self._gauge(names.CHECK_UP, self._checks.observe)
        self._gauge(names.BUILD_INFO, lambda _: [Observation(1, build)])
        self._gauge(names.DB_CONNECTION_COUNT, self._observe_pool_connections)
        self._gauge(names.DB_CONNECTION_MAX, self._observe_pool_max)
        self._gauge(names.DB_CONNECTION_PENDING_REQUESTS, self._observe_pool_pending)
        self._start_known_series_at_zero()

    # --- HTTP (the observability middleware) ---

    def request_started(self, method: str, scheme: str) -> None:
        key = (method, scheme)
        self._in_flight[key] = self._in_flight.get(key, 0) + 1

    def request_finished(
        self,
        method: str,
        scheme: str,
        status: int,
        route: str | None,
        error_type: str | None,
        seconds: float,
    ) -> None:
        self._in_flight[(method, scheme)] -= 1
        self.http_request_durations.record(seconds, method, scheme, status, route, error_type)

    def native_metrics(self) -> dict[str, Any]:
        """Metrics aggregated outside the SDK, in snapshot format (see `RequestDurations`)."""
        return {names.HTTP_SERVER_REQUEST_DURATION.name: self.http_request_durations.state()}

    # --- workflows ---

    def record_workflow_execution(
        self, workflow: str, status: str, duration_s: float, *, error_type: str | None = None
    ) -> None:
        """One finished execution; `error_type` (e.g. "step_timeout") marks it as a failure."""
        attributes = {"workflow": workflow, "status": status}
        self._workflow_executions.add(1, attributes)
        self._workflow_duration.record(duration_s, attributes)
        if error_type is not None:
            self._workflow_failures.add(1, {"workflow": workflow, "error_type": error_type})

    def record_workflow_step(self, workflow: str, step: str, duration_s: float, ok: bool) -> None:
        self._workflow_step_duration.record(
            duration_s, {"workflow": workflow, "step": step, "status": "ok" if ok else "error"}
        )

    def workflow_step_span(self, workflow: str, step: str) -> AbstractContextManager[Span | None]:
        return self.span(
            f"workflow.step {step}", {"copilot.workflow": workflow, "copilot.workflow.step": step}
        )

    # --- caches ---

    def record_cache_hit(self, cache: str) -> None:
        self._cache_hits.add(1, {"cache": cache})

    def record_cache_miss(self, cache: str) -> None:
        self._cache_misses.add(1, {"cache": cache})

    def record_cache_eviction(self, cache: str, count: int = 1) -> None:
        self._cache_evictions.add(count, {"cache": cache})

    def observe_cache_size(self, cache: str, size: SizeProvider) -> None:
        """`size()` (e.g. `lambda: len(entries)`) is read at each collection, off the event loop."""
        self._cache_sizes[cache] = size
        self._start_cache_at_zero(cache)

    # --- LLM providers ---

    def record_llm_call(
        self,
        provider: str,
        model: str,
        duration_s: float,
        *,
        status: str = "ok",
        input_tokens: int = 0,
        output_tokens: int = 0,
    ) -> None:
        self._llm_calls.add(1, {"provider": provider, "model": model, "status": status})
        self._llm_duration.record(duration_s, {"provider": provider, "model": model})
        for token_type, count in (("input", input_tokens), ("output", output_tokens)):
            if count:
                self._llm_tokens.add(
                    count, {"provider": provider, "model": model, "token_type": token_type}
                )

    def record_llm_fallback(self, provider: str, fallback_provider: str, reason: str) -> None:
        """`reason` must come from a short fixed list (timeout, rate_limited, circuit_open...)."""
        self._llm_fallbacks.add(
            1, {"provider": provider, "fallback_provider": fallback_provider, "reason": reason}
        )

    def llm_span(
        self, provider: str, model: str, operation: str = "chat"
    ) -> AbstractContextManager[Span | None]:
        # Attribute names from the GenAI semantic conventions.
        return self.span(
            f"{operation} {model}",
            {
                "gen_ai.operation.name": operation,
                "gen_ai.provider.name": provider,
                "gen_ai.request.model": model,
            },
            kind=SpanKind.CLIENT,
        )

    # --- experiments, sessions, security ---

    def record_experiment_assignment(self, experiment: str, variant: str) -> None:
        self._experiment_assignments.add(1, {"experiment": experiment, "variant": variant})

    def set_active_sessions(self, count: int) -> None:
        self._sessions.set(count, {})

    def record_security_event(self, event_type: str) -> None:
        counter = self._security_counters.get(event_type)
        if counter is not None:
            counter.add(1)

    # --- wired by the observability plugin ---

    def observe_database(self, stats: Callable[[], Any]) -> None:
        """`stats()` returns `storage.database.PoolStats`."""
        self._database_stats = stats

    def set_readiness(self, ready: bool, checks: Mapping[str, bool]) -> None:
        self._ready.set(1 if ready else 0, {})
        for check, ok in checks.items():
            self._checks.set(1 if ok else 0, {"check": check})

    # --- spans ---

    def span(
        self,
        name: str,
        attributes: Attributes | None = None,
        *,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> AbstractContextManager[Span | None]:
        """A child span of the current one, or nothing at all when tracing is off."""
        if self.tracer is None:
            return nullcontext()
        return self._span(self.tracer, name, attributes, kind)

    @staticmethod
    @contextmanager
    def _span(
        tracer: Tracer, name: str, attributes: Attributes | None, kind: SpanKind
    ) -> Iterator[Span]:
        with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as span:
            yield span

    # --- internals ---

    def _counter(self, spec: MetricSpec) -> Counter:
        assert spec.kind is InstrumentKind.COUNTER
        return self._meter.create_counter(spec.name, unit=spec.unit, description=spec.description)

    def _observable_up_down(
        self, spec: MetricSpec, callback: Callable[[CallbackOptions], Iterable[Observation]]
    ) -> None:
        assert spec.kind is InstrumentKind.UP_DOWN_COUNTER
        self._meter.create_observable_up_down_counter(
            spec.name, callbacks=[callback], unit=spec.unit, description=spec.description
        )

    def _histogram(self, spec: MetricSpec) -> Histogram:
        assert spec.kind is InstrumentKind.HISTOGRAM
        return self._meter.create_histogram(
            spec.name,
            unit=spec.unit,
            description=spec.description,
            explicit_bucket_boundaries_advisory=spec.buckets,
        )

    def _gauge(
        self, spec: MetricSpec, callback: Callable[[CallbackOptions], Iterable[Observation]]
    ) -> None:
        assert spec.kind is InstrumentKind.GAUGE
        self._meter.create_observable_gauge(
            spec.name, callbacks=[callback], unit=spec.unit, description=spec.description
        )

    def _start_known_series_at_zero(self) -> None:
        """Series that dashboards and alerts divide by exist from the first scrape."""
        for cache in names.KNOWN_CACHES:
            self._start_cache_at_zero(cache)
        for counter in self._security_counters.values():
            counter.add(0)

    def _start_cache_at_zero(self, cache: str) -> None:
        for counter in (self._cache_hits, self._cache_misses, self._cache_evictions):
            counter.add(0, {"cache": cache})

    def _observe_in_flight(self, _: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(count, {"http.request.method": method, "url.scheme": scheme})
            for (method, scheme), count in list(self._in_flight.items())
        ]

    def _observe_cache_sizes(self, _: CallbackOptions) -> Iterable[Observation]:
        return [Observation(size(), {"cache": cache}) for cache, size in self._cache_sizes.items()]

    def _pool(self) -> Any:
        return self._database_stats() if self._database_stats is not None else None

    def _observe_pool_connections(self, _: CallbackOptions) -> Iterable[Observation]:
        stats = self._pool()
        if stats is None:
            return []
        return [
            Observation(stats.idle, {**_POOL, "db.client.connection.state": "idle"}),
            Observation(stats.in_use, {**_POOL, "db.client.connection.state": "used"}),
        ]

    def _observe_pool_max(self, _: CallbackOptions) -> Iterable[Observation]:
        stats = self._pool()
        return [] if stats is None else [Observation(stats.max_size, _POOL)]

    def _observe_pool_pending(self, _: CallbackOptions) -> Iterable[Observation]:
        stats = self._pool()
        return [] if stats is None else [Observation(stats.waiting, _POOL)]


_POOL = {"db.client.connection.pool.name": "copilot"}
