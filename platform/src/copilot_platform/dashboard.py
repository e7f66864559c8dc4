"""The CloudWatch dashboard body, a pure function of resolved resource names."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ALB_NAMESPACE = "AWS/ApplicationELB"
ECS_NAMESPACE = "AWS/ECS"
CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights"
RDS_NAMESPACE = "AWS/RDS"
ELASTICACHE_NAMESPACE = "AWS/ElastiCache"

WIDTH = 24
HALF = WIDTH // 2
HEIGHT = 6


@dataclass(frozen=True, slots=True)
class DashboardTargets:
    region: str
    load_balancer: str
    """The ALB's ARN suffix (`app/<name>/<id>`), CloudWatch's LoadBalancer dimension."""
    target_group: str
    cluster: str
    service: str
    database: str
    cache_nodes: Sequence[str]
    alarm_arns: Sequence[str]


def _metric_widget(
    title: str, metrics: list[list[Any]], region: str, *, x: int, y: int, stat: str = "Average"
) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": HALF,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "period": 60,
            "stat": stat,
            "metrics": metrics,
        },
    }


def dashboard_body(targets: DashboardTargets) -> str:
    region = targets.region
    alb = ["LoadBalancer", targets.load_balancer]
    target_group = ["TargetGroup", targets.target_group, *alb]
    service = ["ClusterName", targets.cluster, "ServiceName", targets.service]
    database = ["DBInstanceIdentifier", targets.database]
    panels: list[tuple[str, list[list[Any]], str]] = [
        (
            "ALB requests and 5xx",
            [
                [ALB_NAMESPACE, "RequestCount", *alb],
                [ALB_NAMESPACE, "HTTPCode_Target_5XX_Count", *alb],
                [ALB_NAMESPACE, "HTTPCode_ELB_5XX_Count", *alb],
            ],
            "Sum",
        ),
        (
            "ALB target response time (s)",
            [
                [ALB_NAMESPACE, "TargetResponseTime", *alb, {"stat": "p50"}],
                [ALB_NAMESPACE, "TargetResponseTime", *alb, {"stat": "p95"}],
                [ALB_NAMESPACE, "TargetResponseTime", *alb, {"stat": "p99"}],
            ],
            "p95",
        ),
        (
            "Targets healthy / unhealthy",
            [
                [ALB_NAMESPACE, "HealthyHostCount", *target_group],
                [ALB_NAMESPACE, "UnHealthyHostCount", *target_group],
            ],
            "Maximum",
        ),
        (
            "ECS service CPU and memory (%)",
            [
                [ECS_NAMESPACE, "CPUUtilization", *service],
                [ECS_NAMESPACE, "MemoryUtilization", *service],
            ],
            "Average",
        ),
        (
            "ECS running tasks",
            [[CONTAINER_INSIGHTS_NAMESPACE, "RunningTaskCount", *service]],
            "Average",
        ),
        (
            "RDS CPU (%) and connections",
            [
                [RDS_NAMESPACE, "CPUUtilization", *database],
                [RDS_NAMESPACE, "DatabaseConnections", *database, {"yAxis": "right"}],
            ],
            "Average",
        ),
        (
            "RDS free storage (bytes)",
            [[RDS_NAMESPACE, "FreeStorageSpace", *database]],
            "Minimum",
        ),
        (
            "RDS read / write latency (s)",
            [
                [RDS_NAMESPACE, "ReadLatency", *database],
                [RDS_NAMESPACE, "WriteLatency", *database],
            ],
            "Average",
        ),
        (
            "Redis memory used (%)",
            [
                [ELASTICACHE_NAMESPACE, "DatabaseMemoryUsagePercentage", "CacheClusterId", node]
                for node in targets.cache_nodes
            ],
            "Maximum",
        ),
        (
            "Redis engine CPU (%) and connections",
            [
                metric
                for node in targets.cache_nodes
                for metric in (
                    [ELASTICACHE_NAMESPACE, "EngineCPUUtilization", "CacheClusterId", node],
                    [
                        ELASTICACHE_NAMESPACE,
                        "CurrConnections",
                        "CacheClusterId",
                        node,
                        {"yAxis": "right"},
                    ],
                )
            ],
            "Average",
        ),
    ]
    widgets: list[dict[str, Any]] = [
        {
            "type": "alarm",
            "x": 0,
            "y": 0,
            "width": WIDTH,
            "height": 4,
            "properties": {"title": "Alarms", "alarms": sorted(targets.alarm_arns)},
        }
    ]
    for index, (title, metrics, stat) in enumerate(panels):
        widgets.append(
            _metric_widget(
                title,
                metrics,
                region,
                x=(index % 2) * HALF,
                y=4 + (index // 2) * HEIGHT,
                stat=stat,
            )
        )
    return json.dumps({"widgets": widgets})
