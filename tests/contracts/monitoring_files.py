"""Reads the PromQL out of monitoring/ (rules and Grafana dashboards) and finds metric names in it.

PromQL has no parser in Python here; the name finder strips what cannot be a metric name (strings,
label matchers, durations, grouping labels, functions, keywords) and keeps the identifiers left.
Expressions are separately validated by promtool, so this only needs to handle valid PromQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.harness import REPO_ROOT

MONITORING = REPO_ROOT / "monitoring"
RULE_FILES = sorted((MONITORING / "rules").glob("*.yml"))
DASHBOARDS = sorted((MONITORING / "grafana" / "dashboards").glob("*.json"))

_GRAFANA_DURATIONS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}
_LABEL_VALUES = re.compile(r"^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(
    r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE
)
_NUMBERS_AND_DURATIONS = re.compile(
    r"(?<![a-zA-Z0-9_:.])\d[\d.]*(e[+-]?\d+)?[smhdwy]*", re.IGNORECASE
)
_IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "offset", "bool", "inf", "nan", "by", "without", "on", "ignoring"}
    | {"group_left", "group_right", "atan2"}
    # aggregation operators may be followed by a grouping clause rather than "("
    | {"sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "quantile"}
    | {"count_values", "group"}
)


@dataclass(frozen=True, slots=True)
class Expression:
    source: str  # "rules/copilot.rules.yml: HighErrorRate" or "copilot-api.json: Request rate"
    promql: str


def rule_groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for path in RULE_FILES:
        groups.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["groups"])
    return groups


def recording_rule_names() -> set[str]:
    return {
        rule["record"] for group in rule_groups() for rule in group["rules"] if "record" in rule
    }


def rule_expressions() -> Iterator[Expression]:
    for group in rule_groups():
        for rule in group["rules"]:
            name = rule.get("record") or rule["alert"]
            yield Expression(f"rules: {name}", rule["expr"])


def load_dashboard(path: Path) -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return dashboard


def dashboard_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # rows may nest panels


def dashboard_expressions() -> Iterator[Expression]:
    """Panel targets, as PromQL (Grafana's `$__rate_interval` & co. replaced by durations)."""
    for path in DASHBOARDS:
        for panel in dashboard_panels(load_dashboard(path)):
            for target in panel.get("targets", []):
                yield Expression(
                    f"{path.name}: {panel['title']}", grafana_to_promql(target["expr"])
                )


def dashboard_variable_metrics() -> Iterator[tuple[str, str]]:
    """(dashboard, metric) for every `label_values(metric, label)` variable query."""
    for path in DASHBOARDS:
        for variable in load_dashboard(path).get("templating", {}).get("list", []):
            query = variable.get("query")
            text = query.get("query", "") if isinstance(query, dict) else str(query or "")
            match = _LABEL_VALUES.match(text.strip())
            if match:
                yield path.name, match[1]


def grafana_to_promql(expr: str) -> str:
    for variable, duration in _GRAFANA_DURATIONS.items():
        expr = expr.replace(variable, duration)
    return re.sub(r"\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?", ".*", expr)  # template variables in matchers


def metric_names(promql: str) -> set[str]:
    text = _STRINGS.sub('""', promql)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _NUMBERS_AND_DURATIONS.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        following = text[match.end() :].lstrip()
        if following.startswith("("):  # a function call
            continue
        if match[0].lower() not in _KEYWORDS:
            names.add(match[0])
    return names
