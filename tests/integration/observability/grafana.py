"""Turn a Grafana dashboard's panel queries into the PromQL Grafana would send to Prometheus.

Grafana resolves, before querying: its interval variables (`$__interval` from the time range
and the panel's data points, floored at the datasource's scrape interval; `$__rate_interval` =
max(`$__interval` + scrape interval, 4 x scrape interval); `$__range` = the time range) and the
dashboard's template variables (`label_values(metric, label)` asked of Prometheus; a multi-value
variable on "All" becomes its `allValue`, else a regex alternation of every value).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tests.contracts.monitoring_files import DASHBOARDS, dashboard_panels, load_dashboard

# Grafana sizes $__interval for about this many points across the time range (a wide panel).
MAX_DATA_POINTS = 1000
_DURATION = re.compile(r"^now-(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_LABEL_VALUES = re.compile(
    r"^label_values\(\s*(?:(?P<metric>[^,()]+?)\s*,\s*)?(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*\)$"
)
_VARIABLE = re.compile(r"\$\{(?P<braced>[a-zA-Z_]\w*)(?::\w+)?\}|\$(?P<plain>[a-zA-Z_]\w*)")

LabelValues = Callable[[str, str | None], list[str]]
"""(label, metric or None) -> the label's values, as Prometheus' label-values API answers."""


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    promql: str

    @property
    def source(self) -> str:
        return f"{self.dashboard}: {self.panel}"


def range_seconds(dashboard: dict[str, Any]) -> int:
    start = dashboard.get("time", {}).get("from", "now-6h")
    match = _DURATION.match(start)
    assert match, f"{dashboard.get('title')}: time.from {start!r} is not 'now-<duration>'"
    return int(match[1]) * _UNIT_SECONDS[match[2]]


def interval_variables(range_s: int, scrape_interval_s: int) -> dict[str, str]:
    interval = max(scrape_interval_s, range_s // MAX_DATA_POINTS)
    rate_interval = max(interval + scrape_interval_s, 4 * scrape_interval_s)
    return {
        "__rate_interval": f"{rate_interval}s",
        "__interval": f"{interval}s",
        "__interval_ms": str(interval * 1000),
        "__range": f"{range_s}s",
        "__range_s": str(range_s),
    }


def _query_text(variable: dict[str, Any]) -> str:
    query = variable.get("query")
    return str(query.get("query", "") if isinstance(query, dict) else query or "").strip()


def variable_value(variable: dict[str, Any], label_values: LabelValues) -> str:
    """The text Grafana puts in place of `$name` for the variable's current selection."""
    name = variable["name"]
    if variable.get("type") == "custom":
        values = [option["value"] for option in variable.get("options", [])]
    else:
        match = _LABEL_VALUES.match(_query_text(variable))
        assert match, f"variable {name}: unsupported query {_query_text(variable)!r}"
        values = label_values(match["label"], match["metric"])
    assert values, f"variable {name}: its query returns no values (an empty dropdown)"
    current = variable.get("current", {}).get("value", "$__all")
    selected = current if isinstance(current, list) else [current]
    if "$__all" in selected:
        if variable.get("allValue"):
            return str(variable["allValue"])
        selected = values
    if len(selected) == 1:
        return re.escape(str(selected[0]))
    return "(" + "|".join(re.escape(str(value)) for value in selected) + ")"


def resolve(expr: str, values: dict[str, str], where: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match["braced"] or match["plain"]
        assert name in values, f"{where}: unknown variable ${name}"
        return values[name]

    return _VARIABLE.sub(substitute, expr)


def panel_queries(scrape_interval_s: int, label_values: LabelValues) -> Iterator[PanelQuery]:
    """Every target of every panel of every dashboard, as Grafana would query Prometheus."""
    for path in DASHBOARDS:
        dashboard = load_dashboard(path)
        values = interval_variables(range_seconds(dashboard), scrape_interval_s)
        for variable in dashboard.get("templating", {}).get("list", []):
            values[variable["name"]] = variable_value(variable, label_values)
        for panel in dashboard_panels(dashboard):
            for target in panel.get("targets", []):
                where = f"{path.name}: {panel['title']}"
                yield PanelQuery(path.name, panel["title"], resolve(target["expr"], values, where))
