"""ECS, IAM, autoscaling, ALB and its access-log bucket policies (requirement 7)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence

from copilot_config.health import HEALTH_PATH, READINESS_PATH
from copilot_platform.policies.base import (
    BUCKET_ENCRYPTION,
    BUCKET_POLICY,
    BUCKET_PUBLIC_ACCESS,
    CERTIFICATE,
    CLUSTER,
    LISTENER,
    LOAD_BALANCER,
    LOG_GROUP,
    ROLE,
    ROLE_ATTACHMENT,
    ROLE_POLICY,
    SCALING_POLICY,
    SCALING_TARGET,
    SERVICE,
    TARGET_GROUP,
    TASK_DEFINITION,
    TLS13_POLICIES,
    Inputs,
    Policy,
    StackFacts,
    as_list,
    container,
    of_type,
    resource_policy,
    stack_policy,
    statements,
)


def _container_insights(inputs: Inputs) -> Iterable[str]:
    settings = {s.get("name"): s.get("value") for s in inputs.get("settings", [])}
    if settings.get("containerInsights") not in {"enabled", "enhanced"}:
        yield "ECS cluster without Container Insights"


def _fargate_task(inputs: Inputs) -> Iterable[str]:
    if (
        inputs.get("requiresCompatibilities") != ["FARGATE"]
        or inputs.get("networkMode") != "awsvpc"
    ):
        yield "task definition is not Fargate/awsvpc"


def _awslogs(inputs: Inputs) -> Iterable[str]:
    logging = container(inputs).get("logConfiguration", {})
    options = logging.get("options", {})
    if logging.get("logDriver") != "awslogs" or not options.get("awslogs-group"):
        yield "container does not log through awslogs to a log group"


def _log_retention(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("retentionInDays"):
        yield f"log group {inputs.get('name')} keeps logs forever (no retention)"
    if not inputs.get("kmsKeyId"):
        yield f"log group {inputs.get('name')} not encrypted with the stack's KMS key"


def _read_only_root(inputs: Inputs) -> Iterable[str]:
    definition = container(inputs)
    if not definition.get("readonlyRootFilesystem"):
        yield "container root filesystem is writable"
    volumes = {volume.get("name") for volume in inputs.get("volumes", [])}
    mounts = [
        mount
        for mount in definition.get("mountPoints", [])
        if mount.get("sourceVolume") in volumes and not mount.get("readOnly")
    ]
    if not any(mount.get("containerPath") == "/tmp" for mount in mounts):  # noqa: S108
        yield "no writable tmp volume mounted at /tmp"


def _health_check(port: int) -> Callable[[Inputs], Iterable[str]]:
    def check(inputs: Inputs) -> Iterable[str]:
        command = " ".join(container(inputs).get("healthCheck", {}).get("command", []))
        probed = re.findall(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/[\w/.-]*)", command)
        if (str(port), HEALTH_PATH) not in probed:
            yield f"container health check does not probe {HEALTH_PATH} on port {port}"

    return check


def _separate_roles(inputs: Inputs) -> Iterable[str]:
    execution, task = inputs.get("executionRoleArn"), inputs.get("taskRoleArn")
    if not execution or not task or execution == task:
        yield "task needs separate execution and task roles"


def _least_privilege(inputs: Inputs) -> Iterable[str]:
    for statement in statements(inputs.get("policy")):
        if statement.get("Effect") != "Allow":
            continue
        actions = as_list(statement.get("Action"))
        resources = as_list(statement.get("Resource"))
        for action in actions:
            if action == "*" or action.endswith(":*"):
                yield f"wildcard action {action}"
        if "*" in resources and actions != ["ecr:GetAuthorizationToken"]:
            yield f"{actions} granted on every resource"


def _no_managed_admin(inputs: Inputs) -> Iterable[str]:
    arn = str(inputs.get("policyArn", ""))
    if arn.endswith(("AdministratorAccess", "PowerUserAccess", "FullAccess")):
        yield f"broad managed policy {arn} attached"


def _scoped_trust(inputs: Inputs) -> Iterable[str]:
    for statement in statements(inputs.get("assumeRolePolicy")):
        condition = statement.get("Condition", {})
        if "aws:SourceAccount" not in condition.get("StringEquals", {}):
            yield "role trust policy not scoped to this account (aws:SourceAccount)"


def _service_private(inputs: Inputs) -> Iterable[str]:
    network = inputs.get("networkConfiguration", {})
    if network.get("assignPublicIp"):
        yield "tasks get public IPs"
    if not network.get("subnets") or not network.get("securityGroups"):
        yield "service not placed in subnets with a security group"


def _circuit_breaker(inputs: Inputs) -> Iterable[str]:
    breaker = inputs.get("deploymentCircuitBreaker", {})
    if not (breaker.get("enable") and breaker.get("rollback")):
        yield "no deployment circuit breaker with rollback"


def _grace_period(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("healthCheckGracePeriodSeconds"):
        yield "no health-check grace period"
    if not inputs.get("loadBalancers"):
        yield "service not registered with the ALB target group"


def _autoscaling(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
    if not of_type(resources, SCALING_TARGET):
        yield "no autoscaling target for the service"
    metrics = {
        p.get("targetTrackingScalingPolicyConfiguration", {})
        .get("predefinedMetricSpecification", {})
        .get("predefinedMetricType")
        for p in of_type(resources, SCALING_POLICY)
    }
    for metric in ("ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"):
        if metric not in metrics:
            yield f"no target-tracking scaling on {metric}"


def _alb_access_logs(inputs: Inputs) -> Iterable[str]:
    logs = inputs.get("accessLogs", {})
    if not (logs.get("enabled") and logs.get("bucket")):
        yield "ALB access logs not delivered to S3"


def _alb_drop_invalid_headers(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("dropInvalidHeaderFields"):
        yield "ALB forwards invalid headers"


def _alb_deletion_protection(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("enableDeletionProtection"):
        yield "production ALB without deletion protection"


def _target_group_health(inputs: Inputs) -> Iterable[str]:
    health = inputs.get("healthCheck", {})
    if health.get("path") != READINESS_PATH or health.get("enabled") is False:
        yield f"target group health check on {health.get('path')}, not {READINESS_PATH}"
    if inputs.get("targetType") != "ip":
        yield "target group must target Fargate task IPs"


def _tls_policy(inputs: Inputs) -> Iterable[str]:
    if inputs.get("protocol") == "HTTPS":
        if inputs.get("sslPolicy") not in TLS13_POLICIES:
            yield f"HTTPS listener uses {inputs.get('sslPolicy')}, not a TLS 1.3 policy"
        if not inputs.get("certificateArn"):
            yield "HTTPS listener without an ACM certificate"


def _https_with_redirect(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
    listeners = of_type(resources, LISTENER)
    if not any(listener.get("protocol") == "HTTPS" for listener in listeners):
        yield "a domain is configured but there is no HTTPS listener"
    if not of_type(resources, CERTIFICATE):
        yield "no ACM certificate for the domain"
    for listener in listeners:
        if listener.get("protocol") == "HTTP":
            actions = listener.get("defaultActions", [])
            redirect = actions[0].get("redirect", {}) if len(actions) == 1 else {}
            if redirect.get("protocol") != "HTTPS" or redirect.get("statusCode") != "HTTP_301":
                yield "HTTP listener does not redirect to HTTPS (301)"


def _plain_http_only_without_domain(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
    for listener in of_type(resources, LISTENER):
        if listener.get("protocol") not in {"HTTP", "HTTPS"}:
            yield f"unexpected listener protocol {listener.get('protocol')}"
        if listener.get("port") != 80 and listener.get("protocol") == "HTTP":
            yield f"plain HTTP listener on port {listener.get('port')}"


def _bucket_public_access(inputs: Inputs) -> Iterable[str]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for flag in flags:
        if not inputs.get(flag):
            yield f"bucket public access block lacks {flag}"


def _bucket_encryption(inputs: Inputs) -> Iterable[str]:
    rules = as_list(inputs.get("rules"))
    algorithms = {
        rule.get("applyServerSideEncryptionByDefault", {}).get("sseAlgorithm") for rule in rules
    }
    if not algorithms & {"AES256", "aws:kms", "aws:kms:dsse"}:
        yield "bucket without default encryption"


def _bucket_policy_log_delivery(inputs: Inputs) -> Iterable[str]:
    found = statements(inputs.get("policy"))
    delivery = [
        s
        for s in found
        if s.get("Effect") == "Allow"
        and "s3:PutObject" in as_list(s.get("Action"))
        and (
            "logdelivery.elasticloadbalancing" in json.dumps(s.get("Principal"))
            or ":iam::" in json.dumps(s.get("Principal"))
        )
    ]
    if not delivery:
        yield "bucket policy does not let ELB deliver access logs"
    for statement in delivery:
        for resource in as_list(statement.get("Resource")):
            if "/AWSLogs/" not in resource:
                yield f"log delivery allowed outside AWSLogs/: {resource}"
    if not any(
        s.get("Effect") == "Deny" and "aws:SecureTransport" in json.dumps(s.get("Condition"))
        for s in found
    ):
        yield "bucket policy does not deny plain-HTTP access"


def _no_broad_managed_policies(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
    for attachment in of_type(resources, ROLE_ATTACHMENT):
        yield from _no_managed_admin(attachment)


def policies(facts: StackFacts) -> list[Policy]:
    r, s = resource_policy, stack_policy
    found = [
        r("ecs-container-insights", "7 service: Container Insights", CLUSTER, _container_insights),
        r("task-fargate", "7 task: Fargate", TASK_DEFINITION, _fargate_task),
        r("task-awslogs", "7 task: awslogs logging", TASK_DEFINITION, _awslogs),
        r("log-retention", "7 task: log retention", LOG_GROUP, _log_retention),
        r(
            "task-read-only-root",
            "7 task: read-only root, writable tmp",
            TASK_DEFINITION,
            _read_only_root,
        ),
        r(
            "task-health-check",
            "7 task: container health check on /health",
            TASK_DEFINITION,
            _health_check(facts.container_port),
        ),
        r(
            "task-separate-roles",
            "7 task: separate execution and task roles",
            TASK_DEFINITION,
            _separate_roles,
        ),
        r("iam-least-privilege", "7 task: least privilege", ROLE_POLICY, _least_privilege),
        r("iam-trust-scoped", "7 task: roles assumable by this account only", ROLE, _scoped_trust),
        s("iam-no-broad-managed-policies", "7 task: least privilege", _no_broad_managed_policies),
        r("service-private", "7 service: private subnets, no public IP", SERVICE, _service_private),
        r(
            "service-circuit-breaker",
            "7 service: circuit breaker with rollback",
            SERVICE,
            _circuit_breaker,
        ),
        r("service-grace-period", "7 service: health-check grace period", SERVICE, _grace_period),
        s("service-autoscaling", "7 service: autoscaling on CPU and requests", _autoscaling),
        r("alb-access-logs", "7 ALB: access logs to S3", LOAD_BALANCER, _alb_access_logs),
        r(
            "alb-drop-invalid-headers",
            "7 ALB: drop invalid headers",
            LOAD_BALANCER,
            _alb_drop_invalid_headers,
        ),
        r(
            "alb-target-health",
            "7 ALB: health check on /health/readiness",
            TARGET_GROUP,
            _target_group_health,
        ),
        r("alb-tls13", "7 ALB: TLS 1.3 policy", LISTENER, _tls_policy),
        r(
            "logs-bucket-public-access-block",
            "7 ALB: access-log bucket private",
            BUCKET_PUBLIC_ACCESS,
            _bucket_public_access,
        ),
        r(
            "logs-bucket-encryption",
            "7 ALB: access-log bucket encrypted",
            BUCKET_ENCRYPTION,
            _bucket_encryption,
        ),
        r(
            "logs-bucket-policy",
            "7 ALB: ELB log delivery, TLS only",
            BUCKET_POLICY,
            _bucket_policy_log_delivery,
        ),
    ]
    if facts.production:
        found.append(
            r(
                "alb-deletion-protection",
                "7 ALB (production): deletion protection",
                LOAD_BALANCER,
                _alb_deletion_protection,
            )
        )
    if facts.https:
        found.append(s("https-redirect", "7 ALB: HTTPS with ACM, 80 -> 443", _https_with_redirect))
    else:
        found.append(
            s(
                "plain-http-only-on-80",
                "7 ALB: plain HTTP only without a domain",
                _plain_http_only_without_domain,
            )
        )
    return found
