"""SNS, alarms and dashboard policies (requirement 8)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence

from copilot_platform.policies.base import (
    ALARM,
    AWS_NAMESPACES,
    DASHBOARD,
    SUBSCRIPTION,
    TOPIC,
    Inputs,
    Policy,
    StackFacts,
    of_type,
    resource_policy,
    stack_policy,
)


def _topic_encrypted(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("kmsMasterKeyId"):
        yield "alarm topic not encrypted"


def _email_subscription(email: str) -> Callable[[Inputs], Iterable[str]]:
    def check(inputs: Inputs) -> Iterable[str]:
        if inputs.get("protocol") != "email" or inputs.get("endpoint") != email:
            yield f"alarm topic not subscribed by email to {email}"

    return check


def _alarm_actions(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("alarmActions") or inputs.get("actionsEnabled") is False:
        yield f"alarm {inputs.get('name')} has no alarm actions"


def _alarm_namespaces(inputs: Inputs) -> Iterable[str]:
    namespaces = {inputs.get("namespace")} if inputs.get("namespace") else set()
    for query in inputs.get("metricQueries", []):
        if "metric" in query:
            namespaces.add(query["metric"].get("namespace"))
    for namespace in namespaces - AWS_NAMESPACES:
        yield f"alarm {inputs.get('name')} watches unknown namespace {namespace}"


def _alarm(
    namespace: str,
    metric: str,
    comparison: str,
    threshold: float,
    *,
    extended_statistic: str | None = None,
) -> Callable[[Sequence[tuple[str, Inputs]]], Iterable[str]]:
    def check(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
        for alarm in of_type(resources, ALARM):
            if (
                alarm.get("namespace") == namespace
                and alarm.get("metricName") == metric
                and alarm.get("comparisonOperator") == comparison
                and alarm.get("threshold") == threshold
                and alarm.get("extendedStatistic") == extended_statistic
                and alarm.get("alarmActions")
            ):
                return
        yield f"no alarm on {namespace} {metric} {comparison} {threshold}"

    return check


def _error_rate_alarm(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
    for alarm in of_type(resources, ALARM):
        queries = alarm.get("metricQueries", [])
        metrics = {q["metric"].get("metricName") for q in queries if "metric" in q}
        expressions = [q for q in queries if q.get("expression") and q.get("returnData")]
        if (
            {"HTTPCode_Target_5XX_Count", "RequestCount"} <= metrics
            and expressions
            and alarm.get("threshold") == 5
            and alarm.get("comparisonOperator") == "GreaterThanThreshold"
            and alarm.get("alarmActions")
        ):
            return
    yield "no ALB 5xx-rate alarm (metric math over 5xx and RequestCount, > 5%)"


def _dashboard_json(inputs: Inputs) -> Iterable[str]:
    try:
        body = json.loads(inputs.get("dashboardBody", ""))
    except ValueError as exc:
        yield f"dashboard body is not JSON: {exc}"
        return
    namespaces = {
        metric[0]
        for widget in body.get("widgets", [])
        for metric in widget.get("properties", {}).get("metrics", [])
    }
    for namespace in ("AWS/ApplicationELB", "AWS/ECS", "AWS/RDS", "AWS/ElastiCache"):
        if namespace not in namespaces:
            yield f"dashboard has no {namespace} widget"


def _free_storage_alarm(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
    for alarm in of_type(resources, ALARM):
        if (
            alarm.get("namespace") == "AWS/RDS"
            and alarm.get("metricName") == "FreeStorageSpace"
            and alarm.get("comparisonOperator") == "LessThanThreshold"
            and alarm.get("threshold", 0) > 0
            and alarm.get("alarmActions")
        ):
            return
    yield "no alarm on RDS FreeStorageSpace"


def policies(facts: StackFacts) -> list[Policy]:
    r, s = resource_policy, stack_policy
    return [
        r("sns-encrypted", "8 monitoring: SNS topic", TOPIC, _topic_encrypted),
        r(
            "sns-email",
            "8 monitoring: email subscription",
            SUBSCRIPTION,
            _email_subscription(facts.alarm_email),
        ),
        r("alarms-have-actions", "8 monitoring: alarms with actions", ALARM, _alarm_actions),
        r("alarms-aws-namespaces", "8 monitoring: AWS namespaces", ALARM, _alarm_namespaces),
        s("alarm-5xx-rate", "8 monitoring: 5xx rate > 5% (metric math)", _error_rate_alarm),
        s(
            "alarm-p95-latency",
            "8 monitoring: p95 TargetResponseTime > 2 s",
            _alarm(
                "AWS/ApplicationELB",
                "TargetResponseTime",
                "GreaterThanThreshold",
                2,
                extended_statistic="p95",
            ),
        ),
        s(
            "alarm-ecs-cpu",
            "8 monitoring: ECS CPU > 80%",
            _alarm("AWS/ECS", "CPUUtilization", "GreaterThanThreshold", 80),
        ),
        s(
            "alarm-ecs-memory",
            "8 monitoring: memory > 80%",
            _alarm("AWS/ECS", "MemoryUtilization", "GreaterThanThreshold", 80),
        ),
        s(
            "alarm-unhealthy-hosts",
            "8 monitoring: UnHealthyHostCount > 0",
            _alarm("AWS/ApplicationELB", "UnHealthyHostCount", "GreaterThanThreshold", 0),
        ),
        s(
            "alarm-rds-cpu",
            "8 monitoring: RDS CPU",
            _alarm("AWS/RDS", "CPUUtilization", "GreaterThanThreshold", 80),
        ),
        s("alarm-rds-free-storage", "8 monitoring: RDS free storage", _free_storage_alarm),
        s(
            "alarm-redis-memory",
            "8 monitoring: Redis memory",
            _alarm("AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "GreaterThanThreshold", 80),
        ),
        r("dashboard-json", "8 monitoring: dashboard with valid JSON", DASHBOARD, _dashboard_json),
    ]
