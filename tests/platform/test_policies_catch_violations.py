"""Test the tests: break the real resource graph one way per policy; that policy must object.

Each breaker takes a deep copy of a stack's `(type, inputs)` graph and introduces exactly the
mistake its policy exists to catch (a public database, a secret in `environment`, port 5432
open to the world, ...). Every policy has a breaker, so none can pass vacuously.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from copilot_platform.policies import base as p
from tests.platform.harness import STACKS, StackRun, operator_config, stack_policies

Graph = list[tuple[str, dict[str, Any]]]
Breaker = Callable[[Graph], None]


def first(
    graph: Graph, type_: str, where: Callable[[dict[str, Any]], bool] = lambda _: True
) -> dict[str, Any]:
    for resource_type, inputs in graph:
        if resource_type == type_ and where(inputs):
            return inputs
    raise LookupError(f"no {type_} to break")


def set_value(
    type_: str, key: str, value: Any, where: Callable[[dict[str, Any]], bool] = lambda _: True
) -> Breaker:
    def breaker(graph: Graph) -> None:
        first(graph, type_, where)[key] = value

    return breaker


def edit_json(
    type_: str,
    key: str,
    edit: Callable[[Any], None],
    where: Callable[[dict[str, Any]], bool] = lambda _: True,
) -> Breaker:
    def breaker(graph: Graph) -> None:
        inputs = first(graph, type_, where)
        document = json.loads(inputs[key])
        edit(document)
        inputs[key] = json.dumps(document)

    return breaker


def edit_container(edit: Callable[[dict[str, Any]], None]) -> Breaker:
    return edit_json(p.TASK_DEFINITION, "containerDefinitions", lambda defs: edit(defs[0]))


def drop(type_: str, where: Callable[[dict[str, Any]], bool] = lambda _: True) -> Breaker:
    def breaker(graph: Graph) -> None:
        graph[:] = [(t, i) for t, i in graph if not (t == type_ and where(i))]

    return breaker


def add(type_: str, inputs: dict[str, Any]) -> Breaker:
    def breaker(graph: Graph) -> None:
        graph.append((type_, inputs))

    return breaker


def port(number: int) -> Callable[[dict[str, Any]], bool]:
    return lambda inputs: inputs.get("fromPort") == number


def metric(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda inputs: inputs.get("metricName") == name


def _secret_into_environment(definition: dict[str, Any]) -> None:
    definition["secrets"] = [s for s in definition["secrets"] if s["name"] != "DATABASE_URL"]
    definition["environment"].append({"name": "DATABASE_URL", "value": "postgresql://u:pw@db/x"})


def _world_on_postgres(graph: Graph) -> None:
    rule = first(graph, p.INGRESS, port(5432))
    rule.pop("referencedSecurityGroupId", None)
    rule["cidrIpv4"] = "0.0.0.0/0"


def _redis_from_a_range(graph: Graph) -> None:
    rule = first(graph, p.INGRESS, port(6379))
    rule.pop("referencedSecurityGroupId", None)
    rule["cidrIpv4"] = "10.0.0.0/8"


def _all_subnets_in_one_az(graph: Graph) -> None:
    for type_, inputs in graph:
        if type_ == p.SUBNET:
            inputs["availabilityZone"] = "us-east-1a"


def _remove_deny(document: dict[str, Any]) -> None:
    document["Statement"] = [s for s in document["Statement"] if s["Effect"] != "Deny"]


def _remove_required_secret(definition: dict[str, Any]) -> None:
    definition["secrets"] = [s for s in definition["secrets"] if s["name"] != "REDIS_URL"]


def _untagged_rule_removed(document: dict[str, Any]) -> None:
    document["rules"] = [r for r in document["rules"] if r["selection"]["tagStatus"] != "untagged"]


def _alarm_math_threshold(graph: Graph) -> None:
    first(graph, p.ALARM, lambda a: bool(a.get("metricQueries")))["threshold"] = 50


BREAKERS: dict[str, Breaker] = {
    "provider-default-tags": edit_json(
        p.PROVIDER, "defaultTags", lambda d: d["tags"].pop("Environment")
    ),
    "vpc-dns": set_value(p.VPC, "enableDnsHostnames", False),
    "subnets-two-azs": _all_subnets_in_one_az,
    "subnets-no-public-ip": set_value(p.SUBNET, "mapPublicIpOnLaunch", True),
    "nat-gateways": add(p.NAT, {"subnetId": "extra", "allocationId": "extra"}),
    "vpc-flow-logs": set_value(p.FLOW_LOG, "trafficType", "REJECT"),
    "default-sg-closed": set_value(p.DEFAULT_SG, "ingress", [{"protocol": "-1", "self": True}]),
    "sg-no-inline-rules": set_value(
        p.SECURITY_GROUP, "egress", [{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]
    ),
    "sg-world-only-web": _world_on_postgres,
    "sg-ingress-single-port": set_value(p.INGRESS, "ipProtocol", "-1"),
    "sg-egress-single-port": set_value(p.EGRESS, "toPort", 65535),
    "sg-private-ports-by-reference": _redis_from_a_range,
    "ecr-scan-on-push": set_value(
        p.ECR_REPOSITORY, "imageScanningConfiguration", {"scanOnPush": False}
    ),
    "ecr-immutable-tags": set_value(p.ECR_REPOSITORY, "imageTagMutability", "MUTABLE"),
    "ecr-kms": set_value(
        p.ECR_REPOSITORY, "encryptionConfigurations", [{"encryptionType": "AES256"}]
    ),
    "ecr-lifecycle": edit_json(p.ECR_LIFECYCLE, "policy", _untagged_rule_removed),
    "image-build": set_value(p.IMAGE, "build", {"context": ".", "dockerfile": "Dockerfile"}),
    "image-by-digest": edit_container(
        lambda d: d.update(image=d["image"].split("@")[0] + ":latest")
    ),
    "rds-postgres-16": set_value(p.RDS, "engineVersion", "15.7"),
    "rds-encrypted": set_value(p.RDS, "storageEncrypted", False),
    "rds-managed-password": set_value(p.RDS, "manageMasterUserPassword", False),
    "rds-private": set_value(p.RDS, "publiclyAccessible", True),
    "rds-backups": set_value(p.RDS, "backupRetentionPeriod", 0),
    "rds-force-ssl": set_value(
        p.RDS_PARAMETERS, "parameters", [{"name": "rds.force_ssl", "value": "0"}]
    ),
    "redis-tls": set_value(p.REDIS, "transitEncryptionEnabled", False),
    "redis-at-rest": set_value(p.REDIS, "atRestEncryptionEnabled", False),
    "redis-auth-token": set_value(p.REDIS, "authToken", None),
    "redis-private": set_value(p.REDIS, "securityGroupIds", []),
    "redis-token-generated": set_value(p.RANDOM_PASSWORD, "length", 8),
    "kms-rotation": set_value(p.KMS_KEY, "enableKeyRotation", False),
    "secrets-stored": drop(p.SECRET, lambda s: s["name"].endswith("/OPENAI_API_KEY")),
    "secrets-kms": set_value(p.SECRET, "kmsKeyId", None),
    "secrets-value-from": edit_container(lambda d: d["secrets"][0].update(valueFrom="plaintext")),
    "no-secret-in-environment": edit_container(_secret_into_environment),
    "env-contract-complete": edit_container(_remove_required_secret),
    "container-environment": edit_container(
        lambda d: d.update(environment=[e for e in d["environment"] if e["name"] != "WORKERS"])
    ),
    "ecs-container-insights": set_value(
        p.CLUSTER, "settings", [{"name": "containerInsights", "value": "disabled"}]
    ),
    "task-fargate": set_value(p.TASK_DEFINITION, "requiresCompatibilities", ["EC2"]),
    "task-awslogs": edit_container(lambda d: d["logConfiguration"].update(logDriver="json-file")),
    "log-retention": set_value(p.LOG_GROUP, "retentionInDays", 0),
    "task-read-only-root": edit_container(lambda d: d.update(readonlyRootFilesystem=False)),
    "task-health-check": edit_container(lambda d: d["healthCheck"].update(command=["CMD", "true"])),
    "task-separate-roles": lambda g: first(g, p.TASK_DEFINITION).update(
        taskRoleArn=first(g, p.TASK_DEFINITION)["executionRoleArn"]
    ),
    "iam-least-privilege": edit_json(
        p.ROLE_POLICY,
        "policy",
        lambda d: d["Statement"].append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
    ),
    "iam-trust-scoped": edit_json(
        p.ROLE, "assumeRolePolicy", lambda d: d["Statement"][0].pop("Condition")
    ),
    "iam-no-broad-managed-policies": add(
        p.ROLE_ATTACHMENT,
        {"role": "task", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    ),
    "service-private": lambda g: first(g, p.SERVICE)["networkConfiguration"].update(
        assignPublicIp=True
    ),
    "service-circuit-breaker": set_value(
        p.SERVICE, "deploymentCircuitBreaker", {"enable": True, "rollback": False}
    ),
    "service-grace-period": set_value(p.SERVICE, "healthCheckGracePeriodSeconds", 0),
    "service-autoscaling": drop(
        p.SCALING_POLICY,
        lambda i: (
            i["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"][
                "predefinedMetricType"
            ]
            == "ALBRequestCountPerTarget"
        ),
    ),
    "alb-access-logs": lambda g: first(g, p.LOAD_BALANCER)["accessLogs"].update(enabled=False),
    "alb-drop-invalid-headers": set_value(p.LOAD_BALANCER, "dropInvalidHeaderFields", False),
    "alb-target-health": lambda g: first(g, p.TARGET_GROUP)["healthCheck"].update(path="/health"),
    "alb-tls13": add(
        p.LISTENER,
        {
            "protocol": "HTTPS",
            "port": 8443,
            "sslPolicy": "ELBSecurityPolicy-2016-08",
            "certificateArn": "c",
        },
    ),
    "logs-bucket-public-access-block": set_value(
        p.BUCKET_PUBLIC_ACCESS, "blockPublicPolicy", False
    ),
    "logs-bucket-encryption": set_value(p.BUCKET_ENCRYPTION, "rules", []),
    "logs-bucket-policy": edit_json(p.BUCKET_POLICY, "policy", _remove_deny),
    "sns-encrypted": set_value(p.TOPIC, "kmsMasterKeyId", None),
    "sns-email": set_value(p.SUBSCRIPTION, "endpoint", "someone-else@example.org"),
    "alarms-have-actions": set_value(p.ALARM, "alarmActions", []),
    "alarms-aws-namespaces": set_value(
        p.ALARM, "namespace", "Custom/Copilot", metric("CPUUtilization")
    ),
    "alarm-5xx-rate": _alarm_math_threshold,
    "alarm-p95-latency": set_value(p.ALARM, "threshold", 5, metric("TargetResponseTime")),
    "alarm-ecs-cpu": drop(
        p.ALARM,
        lambda a: a.get("namespace") == "AWS/ECS" and a.get("metricName") == "CPUUtilization",
    ),
    "alarm-ecs-memory": set_value(p.ALARM, "threshold", 95, metric("MemoryUtilization")),
    "alarm-unhealthy-hosts": set_value(
        p.ALARM, "comparisonOperator", "GreaterThanOrEqualToThreshold", metric("UnHealthyHostCount")
    ),
    "alarm-rds-cpu": drop(
        p.ALARM,
        lambda a: a.get("namespace") == "AWS/RDS" and a.get("metricName") == "CPUUtilization",
    ),
    "alarm-rds-free-storage": set_value(p.ALARM, "alarmActions", [], metric("FreeStorageSpace")),
    "alarm-redis-memory": drop(p.ALARM, metric("DatabaseMemoryUsagePercentage")),
    "dashboard-json": set_value(p.DASHBOARD, "dashboardBody", '{"widgets": [}'),
    "rds-multi-az": set_value(p.RDS, "multiAz", False),
    "rds-deletion-protection": set_value(p.RDS, "deletionProtection", False),
    "rds-final-snapshot": set_value(p.RDS, "skipFinalSnapshot", True),
    "rds-performance-insights": set_value(p.RDS, "performanceInsightsEnabled", False),
    "redis-failover": set_value(p.REDIS, "automaticFailoverEnabled", False),
    "redis-two-nodes": set_value(p.REDIS, "numCacheClusters", 1),
    "redis-snapshots": set_value(p.REDIS, "snapshotRetentionLimit", 0),
    "alb-deletion-protection": set_value(p.LOAD_BALANCER, "enableDeletionProtection", False),
    "https-redirect": lambda g: first(g, p.LISTENER, lambda i: i["protocol"] == "HTTP").update(
        defaultActions=[{"type": "forward", "targetGroupArn": "tg"}]
    ),
    "plain-http-only-on-80": set_value(p.LISTENER, "port", 8080, lambda i: i["protocol"] == "HTTP"),
}

CASES = [
    (stack, policy.id) for stack in STACKS for policy in stack_policies(operator_config(stack))
]


def test_every_policy_has_a_breaker() -> None:
    assert {policy_id for _, policy_id in CASES} == set(BREAKERS)


@pytest.mark.parametrize(("stack", "policy_id"), CASES)
def test_breaking_the_graph_fails_the_policy(
    stack: str, policy_id: str, stack_run: Callable[[str], StackRun]
) -> None:
    run = stack_run(stack)
    policy = next(p for p in stack_policies(run.config) if p.id == policy_id)
    graph: Graph = [(type_, copy.deepcopy(dict(inputs))) for type_, inputs in run.graph]
    assert policy(graph) == []
    BREAKERS[policy_id](graph)
    assert policy(graph), f"{policy_id} did not notice the breakage"


def test_a_public_database_fails_only_the_privacy_policy(
    stack_run: Callable[[str], StackRun],
) -> None:
    """One mistake, one finding: the policies are precise, not just noisy."""
    run = stack_run("production")
    graph: Graph = [(type_, copy.deepcopy(dict(inputs))) for type_, inputs in run.graph]
    BREAKERS["rds-private"](graph)
    failing = {policy.id: policy(graph) for policy in stack_policies(run.config) if policy(graph)}
    assert failing == {"rds-private": ["database is publicly accessible"]}


def _tmp_mount_read_only(definition: dict[str, Any]) -> None:
    definition["mountPoints"][0]["readOnly"] = True


def _credentials_in_plain_url(definition: dict[str, Any]) -> None:
    definition["environment"].append({"name": "LOG_LEVEL", "value": "https://user:pw@logs.example"})


def _ipv6_world_on_postgres(graph: Graph) -> None:
    rule = first(graph, p.INGRESS, port(5432))
    rule.pop("referencedSecurityGroupId", None)
    rule["cidrIpv6"] = "::/0"


def _delivery_to_whole_bucket(document: dict[str, Any]) -> None:
    document["Statement"][0]["Resource"] = "arn:aws:s3:::logs/*"


# More ways to get one requirement wrong, each caught by the same policy.
VARIANTS: list[tuple[str, str, Breaker]] = [
    ("staging", "image-build", set_value(p.IMAGE, "imageName", "docker.io/someone/api:latest")),
    ("staging", "rds-managed-password", set_value(p.RDS, "password", "hunter2hunter2")),
    ("staging", "rds-managed-password", set_value(p.RDS, "masterUserSecretKmsKeyId", None)),
    ("production", "rds-backups", set_value(p.RDS, "backupRetentionPeriod", 3)),
    (
        "production",
        "alb-tls13",
        set_value(
            p.LISTENER,
            "sslPolicy",
            "ELBSecurityPolicy-TLS-1-2-2017-01",
            lambda i: i["protocol"] == "HTTPS",
        ),
    ),
    ("production", "https-redirect", drop(p.CERTIFICATE)),
    ("production", "https-redirect", drop(p.LISTENER, lambda i: i["protocol"] == "HTTPS")),
    ("staging", "no-secret-in-environment", edit_container(_credentials_in_plain_url)),
    ("staging", "sg-world-only-web", _ipv6_world_on_postgres),
    (
        "staging",
        "logs-bucket-policy",
        edit_json(p.BUCKET_POLICY, "policy", _delivery_to_whole_bucket),
    ),
    (
        "staging",
        "iam-least-privilege",
        edit_json(p.ROLE_POLICY, "policy", lambda d: d["Statement"][0].update(Action="*")),
    ),
    ("staging", "task-read-only-root", edit_container(_tmp_mount_read_only)),
    ("staging", "redis-tls", set_value(p.REDIS, "transitEncryptionMode", "preferred")),
    (
        "production",
        "nat-gateways",
        drop(p.NAT, lambda i: i["subnetId"].startswith("copilot-production-network-public-2")),
    ),
]


@pytest.mark.parametrize(("stack", "policy_id", "breaker"), VARIANTS)
def test_other_breakages_are_caught_too(
    stack: str, policy_id: str, breaker: Breaker, stack_run: Callable[[str], StackRun]
) -> None:
    run = stack_run(stack)
    policy = next(p for p in stack_policies(run.config) if p.id == policy_id)
    graph: Graph = [(type_, copy.deepcopy(dict(inputs))) for type_, inputs in run.graph]
    breaker(graph)
    assert policy(graph), f"{policy_id} missed a variant"
