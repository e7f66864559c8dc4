"""monitoring/ validates: promtool accepts the config and rules, every alert's tests pass, every
dashboard is well-formed and its PromQL parses, and every metric name used anywhere is one the
service (copilot_config.telemetry) or a listed exporter exports. The live check of the service's
names is tests/integration/observability/test_monitoring_metrics.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from copilot_config.telemetry import all_series
from tests.contracts.monitoring_files import (
    DASHBOARDS,
    MONITORING,
    RULE_FILES,
    dashboard_expressions,
    dashboard_panels,
    dashboard_variable_metrics,
    load_dashboard,
    metric_names,
    recording_rule_names,
    rule_expressions,
    rule_groups,
)

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None and not os.environ.get("CI"),
    reason="promtool missing (Debian package `prometheus`; .ci/run installs it)",
)


def exporter_metrics() -> set[str]:
    listed = yaml.safe_load((MONITORING / "exporter-metrics.yml").read_text(encoding="utf-8"))
    return {name for names in listed.values() for name in names}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None, "promtool is required in CI"
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=60, cwd=MONITORING, check=False
    )


@needs_promtool
def test_prometheus_config_and_rules_are_valid() -> None:
    config = promtool("check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr
    rules = promtool("check", "rules", *map(str, RULE_FILES))
    assert rules.returncode == 0, rules.stdout + rules.stderr


@needs_promtool
def test_alert_rule_unit_tests_pass() -> None:
    result = promtool("test", "rules", "tests/copilot.rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    alerts = {
        rule["alert"] for group in rule_groups() for rule in group["rules"] if "alert" in rule
    }
    assert {
        "HighErrorRate",
        "HighLatencyP95",
        "ErrorBudgetBurnFast",
        "ErrorBudgetBurnSlow",
    } <= alerts
    assert {"ReadinessFailing", "CacheHitRateCollapse"} <= alerts
    tests = yaml.safe_load((MONITORING / "tests/copilot.rules.test.yml").read_text("utf-8"))
    firing: set[str] = set()
    silent: set[str] = set()
    for case in tests["tests"]:
        for check in case["alert_rule_test"]:
            (firing if check["exp_alerts"] else silent).add(check["alertname"])
    assert firing == alerts, f"no firing case for {sorted(alerts - firing)}"
    assert silent == alerts, f"no silent case for {sorted(alerts - silent)}"


def test_dashboards_are_provisioned_and_well_formed() -> None:
    titles = {load_dashboard(path)["title"] for path in DASHBOARDS}
    for topic in (
        "API performance",
        "Caches",
        "Database",
        "Workflows & LLM",
        "A/B tests",
        "System",
    ):
        assert any(topic in title for title in titles), f"no {topic} dashboard"
    uids = [load_dashboard(path)["uid"] for path in DASHBOARDS]
    assert len(uids) == len(set(uids))
    datasource_uids = {
        source["uid"]
        for source in yaml.safe_load(
            (MONITORING / "grafana/provisioning/datasources/prometheus.yml").read_text("utf-8")
        )["datasources"]
    }
    provider = yaml.safe_load(
        (MONITORING / "grafana/provisioning/dashboards/dashboards.yml").read_text("utf-8")
    )["providers"][0]
    assert provider["folder"]
    assert provider["options"]["path"]
    for path in DASHBOARDS:
        panels = [p for p in dashboard_panels(load_dashboard(path)) if p["type"] != "row"]
        assert panels, f"{path.name} has no panels"
        ids = [panel["id"] for panel in dashboard_panels(load_dashboard(path))]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        for panel in panels:
            assert panel["datasource"]["uid"] in datasource_uids, (path.name, panel["title"])
            assert panel["targets"], (path.name, panel["title"])


@needs_promtool
def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    # promtool parses rule expressions, so each dashboard query becomes a throwaway recording rule.
    expressions = list(dashboard_expressions())
    rules = [
        {"record": f"dashboard:query_{index}:check", "expr": expression.promql}
        for index, expression in enumerate(expressions)
    ]
    check = tmp_path / "dashboards.rules.yml"
    check.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = promtool("check", "rules", str(check))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_used_is_exported_by_the_service_or_a_listed_exporter() -> None:
    known = all_series() | exporter_metrics() | recording_rule_names()
    used: dict[str, set[str]] = {}
    for expression in [*rule_expressions(), *dashboard_expressions()]:
        for name in metric_names(expression.promql):
            used.setdefault(name, set()).add(expression.source)
    for dashboard, name in dashboard_variable_metrics():
        used.setdefault(name, set()).add(dashboard)
    unknown = {name: sorted(sources) for name, sources in used.items() if name not in known}
    assert not unknown, f"metrics nobody exports: {unknown}"
    listed_but_unused = exporter_metrics() - set(used)
    assert not listed_but_unused, f"exporter-metrics.yml lists unused {sorted(listed_but_unused)}"


def test_metric_name_finder() -> None:
    promql = (
        'sum by (le) (rate(a_bucket{x="{y}",z=~"5.."}[5m] offset 1h)) / on (job) group_left '
        "max(b:c:rate5m) > bool 14.4 * 1e3 and topk(3, d_total) unless histogram_quantile(0.5, e)"
    )
    assert metric_names(promql) == {"a_bucket", "b:c:rate5m", "d_total", "e"}
