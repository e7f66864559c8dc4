"""Shared vocabulary of the policy checks: resource types, the `Policy` type, helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Inputs = Mapping[str, Any]
Violations = list[str]

PROVIDER = "pulumi:providers:aws"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
ECR_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
IMAGE = "docker:index/image:Image"
RDS = "aws:rds/instance:Instance"
RDS_PARAMETERS = "aws:rds/parameterGroup:ParameterGroup"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
KMS_KEY = "aws:kms/key:Key"
SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 - a resource type, not a secret
CLUSTER = "aws:ecs/cluster:Cluster"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCALING_TARGET = "aws:appautoscaling/target:Target"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
CERTIFICATE = "aws:acm/certificate:Certificate"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"  # noqa: S105 - a type

TLS13_POLICIES = frozenset(
    {
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    }
)
WORLD = frozenset({"0.0.0.0/0", "::/0"})
PUBLIC_PORTS = frozenset({80, 443})
DATA_PORTS = frozenset({5432, 6379})
AWS_NAMESPACES = frozenset(
    {"AWS/ApplicationELB", "AWS/ECS", "ECS/ContainerInsights", "AWS/RDS", "AWS/ElastiCache"}
)
# libpq's password variable: fed from the RDS-managed secret, next to the contract's variables.
EXTRA_CONTAINER_SECRETS = frozenset({"PGPASSWORD"})


@dataclass(frozen=True)
class StackFacts:
    """What a stack's policy set depends on (from its configuration)."""

    environment: str
    https: bool
    """A domain is configured: the ALB must serve HTTPS."""
    alarm_email: str
    image_tag: str
    container_port: int = 8000

    @property
    def production(self) -> bool:
        return self.environment == "production"


@dataclass(frozen=True)
class Policy:
    id: str
    requirement: str
    check: Callable[[Sequence[tuple[str, Inputs]]], Violations]

    def __call__(self, resources: Sequence[tuple[str, Inputs]]) -> Violations:
        return self.check(resources)


def resource_policy(
    policy_id: str, requirement: str, resource_type: str, check: Callable[[Inputs], Iterable[str]]
) -> Policy:
    """A check of every resource of one type; the type must be present at least once."""

    def evaluate(resources: Sequence[tuple[str, Inputs]]) -> Violations:
        matching = [inputs for type_, inputs in resources if type_ == resource_type]
        if not matching:
            return [f"no {resource_type} in the stack"]
        return [problem for inputs in matching for problem in check(inputs)]

    return Policy(policy_id, requirement, evaluate)


def stack_policy(
    policy_id: str,
    requirement: str,
    check: Callable[[Sequence[tuple[str, Inputs]]], Iterable[str]],
) -> Policy:
    return Policy(policy_id, requirement, lambda resources: list(check(resources)))


def of_type(resources: Sequence[tuple[str, Inputs]], resource_type: str) -> list[Inputs]:
    return [inputs for type_, inputs in resources if type_ == resource_type]


def parse_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def container(task_definition: Inputs) -> dict[str, Any]:
    definitions = parse_json(task_definition["containerDefinitions"])
    assert isinstance(definitions, list)
    assert len(definitions) == 1
    result: dict[str, Any] = definitions[0]
    return result


def statements(policy: Any) -> list[dict[str, Any]]:
    document = parse_json(policy)
    found = document.get("Statement", [])
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def evaluate(
    policies: Sequence[Policy], resources: Sequence[tuple[str, Inputs]]
) -> dict[str, Violations]:
    """Violations per policy id (only the failing ones)."""
    results = {policy.id: policy(resources) for policy in policies}
    return {policy_id: found for policy_id, found in results.items() if found}
