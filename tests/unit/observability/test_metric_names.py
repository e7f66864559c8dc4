"""The metric catalogue: unique names, and Prometheus names derived exactly as the exporter does."""

from __future__ import annotations

from opentelemetry.exporter.prometheus._mapping import map_unit, sanitize_full_name
from prometheus_client.metrics_core import Metric

from copilot_config.telemetry import (
    HTTP_SERVER_ACTIVE_REQUESTS,
    HTTP_SERVER_REQUEST_DURATION,
    METRICS,
    SECURITY_EVENT_COUNTERS,
    all_series,
)


def test_names_are_unique() -> None:
    assert len({spec.name for spec in METRICS}) == len(METRICS)
    assert len({spec.prometheus_name for spec in METRICS}) == len(METRICS)


def test_prometheus_names_follow_the_exporter() -> None:
    for spec in METRICS:
        # What opentelemetry-exporter-prometheus hands prometheus_client, which adds the unit.
        family = Metric(sanitize_full_name(spec.name), "", "gauge", map_unit(spec.unit))
        assert spec.prometheus_name == family.name, spec.name


def test_http_server_metrics_follow_the_semantic_conventions() -> None:
    assert HTTP_SERVER_REQUEST_DURATION.series == (
        "http_server_request_duration_seconds_bucket",
        "http_server_request_duration_seconds_sum",
        "http_server_request_duration_seconds_count",
    )
    assert HTTP_SERVER_REQUEST_DURATION.buckets == (
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    )  # fmt: skip
    assert "http_route" in HTTP_SERVER_REQUEST_DURATION.label_names
    assert HTTP_SERVER_ACTIVE_REQUESTS.series == ("http_server_active_requests",)


def test_security_event_types_feed_counters() -> None:
    assert set(SECURITY_EVENT_COUNTERS) == {"auth_failure", "rate_limited"}
    assert {"copilot_security_auth_failures_total", "copilot_security_rate_limited_total"} <= (
        all_series()
    )
