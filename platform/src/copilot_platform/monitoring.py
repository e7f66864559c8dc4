"""Alarms that page (SNS email) and the stack's CloudWatch dashboard.

Every alarm notifies the topic when it fires and when it recovers. Metric names and dimensions
are CloudWatch's own (AWS/ApplicationELB, AWS/ECS, AWS/RDS, AWS/ElastiCache): the service's
OpenTelemetry metrics live in Prometheus, not CloudWatch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from copilot_platform.config import StackConfig
from copilot_platform.dashboard import (
    ALB_NAMESPACE,
    CONTAINER_INSIGHTS_NAMESPACE,
    ECS_NAMESPACE,
    ELASTICACHE_NAMESPACE,
    RDS_NAMESPACE,
    DashboardTargets,
    dashboard_body,
)
from copilot_platform.iam import Account, sns_topic_policy

GIB = 1024**3
ERROR_RATE_PERCENT = 5
P95_SECONDS = 2
UTILISATION_PERCENT = 80
FREE_STORAGE_FRACTION = 0.1

# ALB 5xx (from targets and from the ALB itself) as a percentage of requests.
ERROR_RATE_EXPRESSION = (
    "IF(requests > 0, 100 * (FILL(target_5xx, 0) + FILL(elb_5xx, 0)) / requests, 0)"
)


@dataclass(frozen=True, slots=True)
class MonitoringArgs:
    stack: StackConfig
    account: pulumi.Output[Account]
    kms_key_arn: pulumi.Output[str]
    load_balancer: pulumi.Output[str]
    """ARN suffix of the ALB (its CloudWatch dimension)."""
    target_group: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    database_identifier: pulumi.Output[str]
    cache_node_ids: list[pulumi.Output[str]]


class Monitoring(pulumi.ComponentResource):
    topic: aws.sns.Topic
    alarms: list[aws.cloudwatch.MetricAlarm]
    dashboard: aws.cloudwatch.Dashboard

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("copilot:platform:Monitoring", name, None, opts)
        self._label = name
        self._child = pulumi.ResourceOptions(parent=self)
        stack = args.stack
        self.topic = aws.sns.Topic(
            f"{name}-alarms",
            display_name=f"Realtor AI Copilot {stack.environment} alarms",
            kms_master_key_id=args.kms_key_arn,
            opts=self._child,
        )
        aws.sns.TopicPolicy(
            f"{name}-alarms-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, args.account).apply(
                lambda parts: json.dumps(sns_topic_policy(parts[0], parts[1]))
            ),
            opts=self._child,
        )
        aws.sns.TopicSubscription(
            f"{name}-alarms-email",
            topic=self.topic.arn,
            protocol="email",
            endpoint=stack.alarm_email,
            opts=self._child,
        )
        self.alarms = [
            *self._load_balancer_alarms(args),
            *self._service_alarms(args),
            *self._data_alarms(args),
        ]
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=stack.prefix,
            dashboard_body=pulumi.Output.all(
                load_balancer=args.load_balancer,
                target_group=args.target_group,
                cluster=args.cluster_name,
                service=args.service_name,
                database=args.database_identifier,
                cache_nodes=pulumi.Output.all(*args.cache_node_ids),
                alarm_arns=pulumi.Output.all(*[alarm.arn for alarm in self.alarms]),
            ).apply(lambda names: dashboard_body(DashboardTargets(region=stack.region, **names))),
            opts=self._child,
        )
        self.register_outputs(
            {"topicArn": self.topic.arn, "dashboardName": self.dashboard.dashboard_name}
        )

    def _alarm(self, label: str, description: str, **settings: Any) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{self._label}-{label}",
            name=f"{self._label}-{label}",
            alarm_description=description,
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            actions_enabled=True,
            **{"treat_missing_data": "notBreaching", **settings},
            opts=self._child,
        )

    def _load_balancer_alarms(self, args: MonitoringArgs) -> list[aws.cloudwatch.MetricAlarm]:
        alb = {"LoadBalancer": args.load_balancer}

        def alb_metric(query_id: str, metric: str) -> dict[str, Any]:
            return {
                "id": query_id,
                "return_data": False,
                "metric": {
                    "namespace": ALB_NAMESPACE,
                    "metric_name": metric,
                    "dimensions": alb,
                    "period": 60,
                    "stat": "Sum",
                },
            }

        return [
            self._alarm(
                "alb-5xx-rate",
                f"More than {ERROR_RATE_PERCENT}% of requests answered 5xx (ALB and targets)",
                comparison_operator="GreaterThanThreshold",
                threshold=ERROR_RATE_PERCENT,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                metric_queries=[
                    alb_metric("target_5xx", "HTTPCode_Target_5XX_Count"),
                    alb_metric("elb_5xx", "HTTPCode_ELB_5XX_Count"),
                    alb_metric("requests", "RequestCount"),
                    {
                        "id": "error_rate",
                        "expression": ERROR_RATE_EXPRESSION,
                        "label": "5xx rate (%)",
                        "return_data": True,
                    },
                ],
            ),
            self._alarm(
                "alb-p95-latency",
                f"p95 target response time above {P95_SECONDS} s",
                namespace=ALB_NAMESPACE,
                metric_name="TargetResponseTime",
                dimensions=alb,
                extended_statistic="p95",
                period=60,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                comparison_operator="GreaterThanThreshold",
                threshold=P95_SECONDS,
            ),
            self._alarm(
                "alb-unhealthy-hosts",
                "At least one API task fails the ALB readiness check",
                namespace=ALB_NAMESPACE,
                metric_name="UnHealthyHostCount",
                dimensions={"TargetGroup": args.target_group, **alb},
                statistic="Maximum",
                period=60,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                comparison_operator="GreaterThanThreshold",
                threshold=0,
            ),
        ]

    def _service_alarms(self, args: MonitoringArgs) -> list[aws.cloudwatch.MetricAlarm]:
        service = {"ClusterName": args.cluster_name, "ServiceName": args.service_name}
        alarms = [
            self._alarm(
                f"ecs-{label.lower()}",
                f"API service {label} above {UTILISATION_PERCENT}%",
                namespace=ECS_NAMESPACE,
                metric_name=metric,
                dimensions=service,
                statistic="Average",
                period=60,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                comparison_operator="GreaterThanThreshold",
                threshold=UTILISATION_PERCENT,
            )
            for label, metric in (("CPU", "CPUUtilization"), ("Memory", "MemoryUtilization"))
        ]
        alarms.append(
            self._alarm(
                "ecs-running-tasks",
                "Fewer API tasks running than the autoscaling minimum",
                namespace=CONTAINER_INSIGHTS_NAMESPACE,
                metric_name="RunningTaskCount",
                dimensions=service,
                statistic="Minimum",
                period=60,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                comparison_operator="LessThanThreshold",
                threshold=args.stack.service.min_capacity,
                treat_missing_data="breaching",
            )
        )
        return alarms

    def _data_alarms(self, args: MonitoringArgs) -> list[aws.cloudwatch.MetricAlarm]:
        database = {"DBInstanceIdentifier": args.database_identifier}
        allocated = args.stack.database.allocated_storage_gb
        alarms = [
            self._alarm(
                "rds-cpu",
                f"PostgreSQL CPU above {UTILISATION_PERCENT}%",
                namespace=RDS_NAMESPACE,
                metric_name="CPUUtilization",
                dimensions=database,
                statistic="Average",
                period=300,
                evaluation_periods=3,
                comparison_operator="GreaterThanThreshold",
                threshold=UTILISATION_PERCENT,
            ),
            self._alarm(
                "rds-free-storage",
                f"PostgreSQL free storage below {FREE_STORAGE_FRACTION:.0%} of {allocated} GiB",
                namespace=RDS_NAMESPACE,
                metric_name="FreeStorageSpace",
                dimensions=database,
                statistic="Minimum",
                period=300,
                evaluation_periods=1,
                comparison_operator="LessThanThreshold",
                threshold=int(allocated * GIB * FREE_STORAGE_FRACTION),
                treat_missing_data="breaching",
            ),
        ]
        for number, node in enumerate(args.cache_node_ids, start=1):
            alarms.append(
                self._alarm(
                    f"redis-memory-{number}",
                    f"Redis node {number} memory above {UTILISATION_PERCENT}%",
                    namespace=ELASTICACHE_NAMESPACE,
                    metric_name="DatabaseMemoryUsagePercentage",
                    dimensions={"CacheClusterId": node},
                    statistic="Maximum",
                    period=300,
                    evaluation_periods=2,
                    comparison_operator="GreaterThanThreshold",
                    threshold=UTILISATION_PERCENT,
                )
            )
        return alarms
