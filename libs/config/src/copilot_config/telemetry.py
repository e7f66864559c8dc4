"""Every metric the service exports: its OpenTelemetry name and the name Prometheus sees.

The service creates its instruments from these specs; the Prometheus rules, the Grafana dashboards
and the platform's CloudWatch alarms use `prometheus_name` / `series`, so names cannot drift.
OpenTelemetry names use dots (`http.server.request.duration`); the Prometheus exporter turns them
into `http_server_request_duration_seconds` (dots to underscores, unit suffix, `_total` on
counters). `prometheus_name` reproduces that rule and a test checks it against a live scrape.

Security events: `log_security_event(event_type, ...)` counts the event types below. The security
capability must use exactly these `event_type` values for auth failures and rate limiting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class InstrumentKind(StrEnum):
    COUNTER = "counter"
    UP_DOWN_COUNTER = "up_down_counter"
    HISTOGRAM = "histogram"
    GAUGE = "gauge"


class WorkerAggregation(StrEnum):
    """How `/metrics` combines the values reported by several worker processes."""

    SUM = "sum"
    """Counters and histograms: every worker that ever ran, so totals never go backwards."""
    LIVE_SUM = "live_sum"
    """Per-worker levels (in-flight requests, pool connections): running workers only."""
    LIVE_MAX = "live_max"
    """One shared value that every worker reports (active sessions, build info)."""
    LIVE_MIN = "live_min"
    """Health: the task is unready as soon as one running worker is."""


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    kind: InstrumentKind
    unit: str
    description: str
    attributes: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None
    aggregation: WorkerAggregation = WorkerAggregation.SUM

    @property
    def prometheus_name(self) -> str:
        """The family name in the Prometheus exposition (without `_total`/`_bucket`/...)."""
        name = _sanitize(self.name)
        unit = _prometheus_unit(self.unit)
        if unit and not name.endswith(f"_{unit}"):
            name = f"{name}_{unit}"
        return name

    @property
    def series(self) -> tuple[str, ...]:
        """Every sample name this metric produces in a scrape."""
        base = self.prometheus_name
        if self.kind is InstrumentKind.COUNTER:
            return (f"{base}_total",)
        if self.kind is InstrumentKind.HISTOGRAM:
            return (f"{base}_bucket", f"{base}_sum", f"{base}_count")
        return (base,)

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(_INVALID_LABEL_CHARACTERS.sub("_", key) for key in self.attributes)


# Semantic-conventions advice for http.server.request.duration.
HTTP_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
                         7.5, 10.0)  # fmt: skip
WORKFLOW_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
LLM_DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0)

# --- HTTP server (OpenTelemetry semantic conventions) ---
HTTP_SERVER_REQUEST_DURATION = MetricSpec(
    "http.server.request.duration",
    InstrumentKind.HISTOGRAM,
    "s",
    "Duration of HTTP server requests",
    ("http.request.method", "http.route", "http.response.status_code", "url.scheme", "error.type"),
    buckets=HTTP_DURATION_BUCKETS,
)
HTTP_SERVER_ACTIVE_REQUESTS = MetricSpec(
    "http.server.active_requests",
    InstrumentKind.UP_DOWN_COUNTER,
    "{request}",
    "Number of HTTP server requests in flight",
    ("http.request.method", "url.scheme"),
    aggregation=WorkerAggregation.LIVE_SUM,
)

# --- Workflows ---
WORKFLOW_EXECUTIONS = MetricSpec(
    "copilot.workflow.executions",
    InstrumentKind.COUNTER,
    "{execution}",
    "Workflow executions by workflow and final status",
    ("workflow", "status"),
)
WORKFLOW_DURATION = MetricSpec(
    "copilot.workflow.duration",
    InstrumentKind.HISTOGRAM,
    "s",
    "Duration of workflow executions",
    ("workflow", "status"),
    buckets=WORKFLOW_DURATION_BUCKETS,
)
WORKFLOW_FAILURES = MetricSpec(
    "copilot.workflow.failures",
    InstrumentKind.COUNTER,
    "{execution}",
    "Failed workflow executions by workflow and error type",
    ("workflow", "error_type"),
)
WORKFLOW_STEP_DURATION = MetricSpec(
    "copilot.workflow.step.duration",
    InstrumentKind.HISTOGRAM,
    "s",
    "Duration of workflow steps",
    ("workflow", "step", "status"),
    buckets=WORKFLOW_DURATION_BUCKETS,
)

# --- Caches ---
CACHE_HITS = MetricSpec(
    "copilot.cache.hits", InstrumentKind.COUNTER, "{lookup}", "Cache hits", ("cache",)
)
CACHE_MISSES = MetricSpec(
    "copilot.cache.misses", InstrumentKind.COUNTER, "{lookup}", "Cache misses", ("cache",)
)
CACHE_EVICTIONS = MetricSpec(
    "copilot.cache.evictions",
    InstrumentKind.COUNTER,
    "{entry}",
    "Entries evicted from a cache to make room",
    ("cache",),
)
CACHE_SIZE = MetricSpec(
    "copilot.cache.size",
    InstrumentKind.GAUGE,
    "{entry}",
    "Entries held in in-process caches, summed over workers",
    ("cache",),
    aggregation=WorkerAggregation.LIVE_SUM,
)

# --- LLM providers ---
LLM_CALLS = MetricSpec(
    "copilot.llm.calls",
    InstrumentKind.COUNTER,
    "{call}",
    "LLM calls by provider, model and outcome",
    ("provider", "model", "status"),
)
LLM_DURATION = MetricSpec(
    "copilot.llm.duration",
    InstrumentKind.HISTOGRAM,
    "s",
    "Latency of LLM calls",
    ("provider", "model"),
    buckets=LLM_DURATION_BUCKETS,
)
LLM_TOKENS = MetricSpec(
    "copilot.llm.tokens",
    InstrumentKind.COUNTER,
    "{token}",
    "Tokens used by LLM calls; token_type is input or output",
    ("provider", "model", "token_type"),
)
LLM_FALLBACKS = MetricSpec(
    "copilot.llm.fallbacks",
    InstrumentKind.COUNTER,
    "{call}",
    "Calls answered by a fallback provider after the preferred one failed",
    ("provider", "fallback_provider", "reason"),
)

# --- A/B tests and sessions ---
EXPERIMENT_ASSIGNMENTS = MetricSpec(
    "copilot.experiment.assignments",
    InstrumentKind.COUNTER,
    "{assignment}",
    "A/B test assignments by experiment and variant",
    ("experiment", "variant"),
)
ACTIVE_SESSIONS = MetricSpec(
    "copilot.sessions.active",
    InstrumentKind.GAUGE,
    "{session}",
    "Conversation sessions currently alive",
    aggregation=WorkerAggregation.LIVE_MAX,
)

# --- Security ---
RATE_LIMITED_REQUESTS = MetricSpec(
    "copilot.security.rate_limited",
    InstrumentKind.COUNTER,
    "{request}",
    "Requests refused by the rate limiter",
)
AUTH_FAILURES = MetricSpec(
    "copilot.security.auth_failures",
    InstrumentKind.COUNTER,
    "{request}",
    "Requests refused for a missing, unknown, revoked or under-scoped API key",
)
AUTH_THROTTLED = MetricSpec(
    "copilot.security.auth_throttled",
    InstrumentKind.COUNTER,
    "{request}",
    "Requests refused (429) because their client IP failed authentication too often",
)

# --- Database pool (OpenTelemetry semantic conventions) ---
DB_CONNECTION_COUNT = MetricSpec(
    "db.client.connection.count",
    InstrumentKind.GAUGE,
    "{connection}",
    "Pool connections by state (idle or used), summed over workers",
    ("db.client.connection.pool.name", "db.client.connection.state"),
    aggregation=WorkerAggregation.LIVE_SUM,
)
DB_CONNECTION_MAX = MetricSpec(
    "db.client.connection.max",
    InstrumentKind.GAUGE,
    "{connection}",
    "Most connections the pools may open, summed over workers",
    ("db.client.connection.pool.name",),
    aggregation=WorkerAggregation.LIVE_SUM,
)
DB_CONNECTION_PENDING_REQUESTS = MetricSpec(
    "db.client.connection.pending_requests",
    InstrumentKind.GAUGE,
    "{request}",
    "Requests waiting for a pool connection, summed over workers",
    ("db.client.connection.pool.name",),
    aggregation=WorkerAggregation.LIVE_SUM,
)

# --- Service ---
BUILD_INFO = MetricSpec(
    "copilot.build.info",
    InstrumentKind.GAUGE,
    "1",
    "Always 1; the labels carry the running version and environment",
    ("version", "environment"),
    aggregation=WorkerAggregation.LIVE_MAX,
)
READY = MetricSpec(
    "copilot.health.ready",
    InstrumentKind.GAUGE,
    "1",
    "1 when every critical readiness check passes (as /health/readiness), else 0",
    aggregation=WorkerAggregation.LIVE_MIN,
)
CHECK_UP = MetricSpec(
    "copilot.health.check.up",
    InstrumentKind.GAUGE,
    "1",
    "1 when the readiness check passes, else 0",
    ("check",),
    aggregation=WorkerAggregation.LIVE_MIN,
)

METRICS: tuple[MetricSpec, ...] = (
    HTTP_SERVER_REQUEST_DURATION,
    HTTP_SERVER_ACTIVE_REQUESTS,
    WORKFLOW_EXECUTIONS,
    WORKFLOW_DURATION,
    WORKFLOW_FAILURES,
    WORKFLOW_STEP_DURATION,
    CACHE_HITS,
    CACHE_MISSES,
    CACHE_EVICTIONS,
    CACHE_SIZE,
    LLM_CALLS,
    LLM_DURATION,
    LLM_TOKENS,
    LLM_FALLBACKS,
    EXPERIMENT_ASSIGNMENTS,
    ACTIVE_SESSIONS,
    RATE_LIMITED_REQUESTS,
    AUTH_FAILURES,
    AUTH_THROTTLED,
    DB_CONNECTION_COUNT,
    DB_CONNECTION_MAX,
    DB_CONNECTION_PENDING_REQUESTS,
    BUILD_INFO,
    READY,
    CHECK_UP,
)

METRICS_BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in METRICS}

# Cache names known today (their counters start at zero so rates and ratios exist from boot).
KNOWN_CACHES = ("embedding", "prompt")

# `event_type` values of `log_security_event` that are counted, and the counter each feeds.
AUTH_FAILURE_EVENT = "auth_failure"
RATE_LIMITED_EVENT = "rate_limited"
AUTH_THROTTLED_EVENT = "auth_throttled"
SECURITY_EVENT_COUNTERS: dict[str, MetricSpec] = {
    AUTH_FAILURE_EVENT: AUTH_FAILURES,
    RATE_LIMITED_EVENT: RATE_LIMITED_REQUESTS,
    AUTH_THROTTLED_EVENT: AUTH_THROTTLED,
}


def all_series() -> frozenset[str]:
    """Every sample name the service can export (plus the exporter's `target_info`)."""
    return frozenset({"target_info"}).union(*(spec.series for spec in METRICS))


# The OpenTelemetry -> Prometheus naming rule (OTel spec "Prometheus and OpenMetrics
# compatibility"), as implemented by opentelemetry-exporter-prometheus.
_INVALID_NAME_CHARACTERS = re.compile(r"[^a-zA-Z0-9:]+")
_INVALID_LABEL_CHARACTERS = re.compile(r"[^a-zA-Z0-9]+")
_UNIT_ANNOTATION = re.compile(r"{.*}")
_UNITS = {"s": "seconds", "ms": "milliseconds", "By": "bytes", "1": "", "%": "percent"}


def _sanitize(name: str) -> str:
    return _INVALID_NAME_CHARACTERS.sub("_", name)


def _prometheus_unit(unit: str) -> str:
    unit = _UNIT_ANNOTATION.sub("", unit)
    return _UNITS.get(unit, _sanitize(unit).strip("_"))
