"""Every metric the rules and dashboards use is in a live scrape of the service (or is a listed
exporter metric or a recording rule), and the catalogue in copilot_config names exactly what the
exporter exposes."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from copilot_api.app import create_app
from copilot_api.observability.metrics import Telemetry
from copilot_api.state import TELEMETRY
from copilot_config import Settings
from copilot_config.telemetry import all_series
from tests.contracts.monitoring_files import (
    dashboard_expressions,
    dashboard_variable_metrics,
    metric_names,
    recording_rule_names,
    rule_expressions,
)
from tests.contracts.test_monitoring import exporter_metrics
from tests.integration.observability.live import serve_in_thread
from tests.integration.observability.scrape import parse


def exercise_capabilities_api(telemetry: Telemetry) -> None:
    """What the workflow, LLM, cache, experiment and session capabilities record through the
    Telemetry API (histograms only have series once something was observed)."""
    telemetry.record_workflow_execution("market_analysis", "failed", 1.2, error_type="timeout")
    telemetry.record_workflow_step("market_analysis", "generate", 0.8, ok=False)
    telemetry.record_llm_call("local", "template", 0.3, input_tokens=10, output_tokens=5)
    telemetry.record_llm_fallback("openai", "local", "timeout")
    telemetry.record_experiment_assignment("listing-tone", "warm")
    telemetry.set_active_sessions(3)
    telemetry.observe_cache_size("embedding", lambda: 12)


def test_rules_and_dashboards_use_only_exported_metrics(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    app = create_app(make_settings(database_url=database_url))
    with serve_in_thread(app) as base:
        exercise_capabilities_api(app.state[TELEMETRY])
        assert httpx.get(f"{base}/health").status_code == 200
        assert httpx.get(f"{base}/api/admin/keys").status_code == 401
        scrape = httpx.get(f"{base}/metrics")
    assert scrape.status_code == 200
    exported = {name for name, _ in parse(scrape.text)}

    missing_from_catalogue = all_series() - exported
    assert not missing_from_catalogue, f"copilot_config names no series: {missing_from_catalogue}"

    allowed = exported | exporter_metrics() | recording_rule_names()
    used = {
        (name, expression.source)
        for expression in [*rule_expressions(), *dashboard_expressions()]
        for name in metric_names(expression.promql)
    } | {(name, dashboard) for dashboard, name in dashboard_variable_metrics()}
    unexported = sorted((name, source) for name, source in used if name not in allowed)
    assert not unexported, f"used but not exported: {unexported}"
