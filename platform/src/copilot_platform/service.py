"""The API on ECS Fargate behind the ALB: cluster, roles, task definition, service, autoscaling."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from copilot_platform.config import StackConfig
from copilot_platform.container import (
    CONTAINER_NAME,
    DATABASE_PASSWORD_VARIABLE,
    TMP_VOLUME,
    ContainerEnvPlan,
    container_definitions,
)
from copilot_platform.iam import Account, ecs_tasks_assume_role, execution_role_policy
from copilot_platform.load_balancer import LoadBalancer, LoadBalancerArgs


@dataclass(frozen=True, slots=True)
class ServiceArgs:
    stack: StackConfig
    account: pulumi.Output[Account]
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    alb_security_group_id: pulumi.Output[str]
    task_security_group_id: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    image_ref: pulumi.Output[str]
    env_plan: ContainerEnvPlan
    secret_arns: Mapping[str, pulumi.Output[str]]
    database_secret_arn: pulumi.Output[str]
    """The RDS-managed master secret: its `password` key becomes PGPASSWORD."""
    ready: Sequence[pulumi.Resource]
    """Resources the tasks need before they start (secret values, data stores)."""
    secrets_fingerprint: pulumi.Output[str]
    """Changes with any secret value: redeploys the tasks, which read secrets only at start."""


class Service(pulumi.ComponentResource):
    cluster: aws.ecs.Cluster
    log_group: aws.cloudwatch.LogGroup
    task_definition: aws.ecs.TaskDefinition
    service: aws.ecs.Service
    load_balancer: LoadBalancer
    execution_role: aws.iam.Role
    task_role: aws.iam.Role

    def __init__(
        self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("copilot:platform:Service", name, None, opts)
        self._label = name
        self._child = pulumi.ResourceOptions(parent=self)
        stack = args.stack
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[{"name": "containerInsights", "value": "enabled"}],
            opts=self._child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/copilot/{stack.environment}/api",
            retention_in_days=stack.service.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=self._child,
        )
        self._roles(args)
        self.task_definition = self._task_definition(args)
        self.load_balancer = LoadBalancer(
            f"{name}-lb",
            LoadBalancerArgs(
                stack=stack,
                account=args.account,
                vpc_id=args.vpc_id,
                subnet_ids=args.public_subnet_ids,
                security_group_id=args.alb_security_group_id,
            ),
            opts=self._child,
        )
        self.service = self._service(args)
        self._autoscaling(stack)
        self.register_outputs(
            {
                "clusterName": self.cluster.name,
                "serviceName": self.service.name,
                "url": self.load_balancer.url,
            }
        )

    def _roles(self, args: ServiceArgs) -> None:
        trust = args.account.apply(lambda account: json.dumps(ecs_tasks_assume_role(account)))
        self.execution_role = aws.iam.Role(
            f"{self._label}-execution-role",
            description="ECS agent: pull the API image, write its logs, read its secrets",
            assume_role_policy=trust,
            opts=self._child,
        )
        secret_arns = [*args.secret_arns.values(), args.database_secret_arn]
        aws.iam.RolePolicy(
            f"{self._label}-execution-policy",
            role=self.execution_role.id,
            policy=pulumi.Output.all(
                args.repository_arn,
                self.log_group.arn,
                args.kms_key_arn,
                args.account,
                *secret_arns,
            ).apply(
                lambda parts: json.dumps(
                    execution_role_policy(
                        repository_arn=parts[0],
                        log_group_arn=parts[1],
                        kms_key_arn=parts[2],
                        account=parts[3],
                        secret_arns=parts[4:],
                    )
                )
            ),
            opts=self._child,
        )
        # The service itself calls no AWS API: its task role carries no permissions at all.
        self.task_role = aws.iam.Role(
            f"{self._label}-task-role",
            description="API containers at runtime: no AWS permissions needed",
            assume_role_policy=trust,
            opts=self._child,
        )

    def _task_definition(self, args: ServiceArgs) -> aws.ecs.TaskDefinition:
        stack = args.stack
        port = stack.service.container_port

        def render(values: dict[str, Any]) -> str:
            arns: dict[str, str] = values["secrets"]
            return json.dumps(
                container_definitions(
                    image=values["image"],
                    port=port,
                    region=stack.region,
                    log_group=values["log_group"],
                    plan=args.env_plan,
                    secret_arns=arns,
                    extra_secrets={
                        DATABASE_PASSWORD_VARIABLE: f"{values['database_secret']}:password::"
                    },
                )
            )

        definitions = pulumi.Output.all(
            image=args.image_ref,
            log_group=self.log_group.name,
            secrets=pulumi.Output.all(**args.secret_arns),
            database_secret=args.database_secret_arn,
        ).apply(render)
        return aws.ecs.TaskDefinition(
            f"{self._label}-task",
            family=f"{stack.prefix}-api",
            cpu=str(stack.service.cpu),
            memory=str(stack.service.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            volumes=[{"name": TMP_VOLUME}],
            container_definitions=definitions,
            # Keep old revisions registered: rollback (deploy.sh, `make rollback`) runs them again.
            skip_destroy=True,
            opts=self._child,
        )

    def _service(self, args: ServiceArgs) -> aws.ecs.Service:
        stack = args.stack
        return aws.ecs.Service(
            f"{self._label}-service",
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            launch_type="FARGATE",
            platform_version="LATEST",
            desired_count=stack.service.desired_count,
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            health_check_grace_period_seconds=stack.service.health_check_grace_seconds,
            network_configuration={
                "subnets": args.private_subnet_ids,
                "security_groups": [args.task_security_group_id],
                "assign_public_ip": False,
            },
            load_balancers=[
                {
                    "target_group_arn": self.load_balancer.target_group.arn,
                    "container_name": CONTAINER_NAME,
                    "container_port": stack.service.container_port,
                }
            ],
            availability_zone_rebalancing="ENABLED",
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            enable_execute_command=False,
            # `pulumi up` fails (after ECS has rolled back) when a deployment never stabilises.
            wait_for_steady_state=True,
            force_new_deployment=True,
            triggers={"secrets": args.secrets_fingerprint},
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*self.load_balancer.listeners, *args.ready],
                # Autoscaling owns the task count once the service exists.
                ignore_changes=["desiredCount"],
            ),
        )

    def _autoscaling(self, stack: StackConfig) -> None:
        target = aws.appautoscaling.Target(
            f"{self._label}-scaling-target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", self.cluster.name, "/", self.service.name),
            min_capacity=stack.service.min_capacity,
            max_capacity=stack.service.max_capacity,
            opts=self._child,
        )
        alb = self.load_balancer
        policies: list[tuple[str, str, int, pulumi.Input[str] | None]] = [
            ("cpu", "ECSServiceAverageCPUUtilization", stack.service.cpu_target_percent, None),
            (
                "requests",
                "ALBRequestCountPerTarget",
                stack.service.requests_per_target,
                pulumi.Output.concat(alb.alb.arn_suffix, "/", alb.target_group.arn_suffix),
            ),
        ]
        for label, metric, target_value, resource_label in policies:
            aws.appautoscaling.Policy(
                f"{self._label}-scale-{label}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": target_value,
                    "predefined_metric_specification": {
                        "predefined_metric_type": metric,
                        "resource_label": resource_label,
                    },
                    "scale_in_cooldown": 300,
                    "scale_out_cooldown": 60,
                },
                opts=self._child,
            )
