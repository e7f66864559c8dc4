"""The metric catalogue: unique names, Prometheus names derived exactly as the exporter does, and
the hand-aggregated HTTP histogram equal to the SDK's."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.prometheus._mapping import map_unit, sanitize_full_name
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from prometheus_client.metrics_core import Metric

from copilot_api.observability.metrics import RequestDurations
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
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    )  # fmt: skip
    assert "http_route" in HTTP_SERVER_REQUEST_DURATION.label_names
    assert HTTP_SERVER_ACTIVE_REQUESTS.series == ("http_server_active_requests",)


def test_security_event_types_feed_counters() -> None:
    assert set(SECURITY_EVENT_COUNTERS) == {"auth_failure", "rate_limited", "auth_throttled"}
    assert {
        "copilot_security_auth_failures_total",
        "copilot_security_rate_limited_total",
        "copilot_security_auth_throttled_total",
    } <= all_series()


def test_request_durations_bucket_like_the_sdk_histogram() -> None:
    """The hand-aggregated HTTP histogram matches OpenTelemetry's explicit-bucket aggregation."""
    reader = InMemoryMetricReader()
    sdk_histogram = (
        MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
        .get_meter("t")
        .create_histogram(
            "h", explicit_bucket_boundaries_advisory=HTTP_SERVER_REQUEST_DURATION.buckets
        )
    )
    durations = RequestDurations(HTTP_SERVER_REQUEST_DURATION)
    values = [0.0, 0.001, 0.005, 0.0050001, 0.01, 0.3, 2.5, 9.99, 10.0, 10.01, 120.0]
    for value in values:
        sdk_histogram.record(value)
        durations.record(value, "GET", "http", 200, "/x", None)
    data = reader.get_metrics_data()
    assert data is not None
    [expected] = data.resource_metrics[0].scope_metrics[0].metrics[0].data.data_points
    assert isinstance(expected, HistogramDataPoint)
    [point] = durations.state()["points"].values()
    assert point["buckets"] == list(expected.bucket_counts)
    assert point["count"] == expected.count == len(values)
    assert point["sum"] == pytest.approx(expected.sum)
    assert point["attributes"] == {
        "http.request.method": "GET",
        "url.scheme": "http",
        "http.response.status_code": 200,
        "http.route": "/x",
    }
