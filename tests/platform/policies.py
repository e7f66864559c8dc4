"""Policy checks: pure functions over `(type, inputs)` of the recorded resource graph.

Each policy names the requirement it enforces (issue 7) and returns its violations; an empty
list means compliant. Resource policies look at one resource at a time; stack policies look at
the whole list of `(type, inputs)` (counts, presence, cross-resource facts). `policies_for`
selects the set that applies to a stack: production adds its resilience rules, and a stack with a
domain must serve HTTPS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from copilot_config import env_contract
from copilot_config.health import HEALTH_PATH, READINESS_PATH

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
SECRET = "aws:secretsmanager/secret:Secret"
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
    """What a policy set depends on: the environment, and whether a domain serves HTTPS."""

    environment: str
    https: bool
    container_port: int = 8000


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


# --- project and stacks --------------------------------------------------------------------


def _provider_tags(inputs: Inputs) -> Iterable[str]:
    tags = parse_json(inputs.get("defaultTags") or "{}").get("tags", {})
    for key in ("Project", "Environment", "ManagedBy"):
        if not tags.get(key):
            yield f"provider default tags lack {key}"
    if not inputs.get("region"):
        yield "provider has no explicit region"


# --- network -------------------------------------------------------------------------------


def _vpc_dns(inputs: Inputs) -> Iterable[str]:
    if not (inputs.get("enableDnsHostnames") and inputs.get("enableDnsSupport")):
        yield "VPC without DNS support and hostnames (needed for private endpoints)"


def _two_azs_per_tier(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
    tiers: dict[str, set[str]] = {}
    for subnet in of_type(resources, SUBNET):
        tier = subnet.get("tags", {}).get("Tier", "?")
        tiers.setdefault(tier, set()).add(subnet.get("availabilityZone", ""))
    for tier in ("public", "private", "data"):
        if len(tiers.get(tier, set())) < 2:
            yield f"{tier} subnets span {len(tiers.get(tier, set()))} AZ(s), need 2+"


def _no_public_ip_on_launch(inputs: Inputs) -> Iterable[str]:
    if inputs.get("mapPublicIpOnLaunch"):
        yield f"subnet {inputs.get('cidrBlock')} assigns public IPs on launch"


def _nat_count(expected: str) -> Callable[[Sequence[tuple[str, Inputs]]], Iterable[str]]:
    def check(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
        nats = len(of_type(resources, NAT))
        zones = {s.get("availabilityZone") for s in of_type(resources, SUBNET)}
        want = 1 if expected == "single" else len(zones)
        if nats != want:
            yield f"{nats} NAT gateway(s), expected {want} ({expected})"

    return check


def _flow_logs(inputs: Inputs) -> Iterable[str]:
    if inputs.get("trafficType") != "ALL" or not inputs.get("logDestination"):
        yield "VPC flow logs must capture ALL traffic to a destination"


def _default_sg_closed(inputs: Inputs) -> Iterable[str]:
    if inputs.get("ingress") or inputs.get("egress"):
        yield "the VPC's default security group must have no rules"


def _no_inline_sg_rules(inputs: Inputs) -> Iterable[str]:
    if inputs.get("ingress") or inputs.get("egress"):
        yield f"security group '{inputs.get('description')}' has inline rules"


def _world_only_on_web_ports(inputs: Inputs) -> Iterable[str]:
    source = inputs.get("cidrIpv4") or inputs.get("cidrIpv6")
    if source in WORLD:
        ports = {inputs.get("fromPort"), inputs.get("toPort")}
        if inputs.get("ipProtocol") != "tcp" or not ports <= PUBLIC_PORTS or len(ports) != 1:
            yield f"open to {source} on {sorted(map(str, ports))} (only tcp 80/443 may be)"


def _rule_protocol(inputs: Inputs) -> Iterable[str]:
    if inputs.get("ipProtocol") in {"-1", "all"}:
        yield "rule allows all protocols and ports"
    elif inputs.get("fromPort") != inputs.get("toPort"):
        yield f"rule opens a port range {inputs.get('fromPort')}-{inputs.get('toPort')}"


def _private_ports_by_reference(
    container_port: int,
) -> Callable[[Inputs], Iterable[str]]:
    def check(inputs: Inputs) -> Iterable[str]:
        port = inputs.get("fromPort")
        if port in DATA_PORTS | {container_port}:
            if inputs.get("cidrIpv4") or inputs.get("cidrIpv6") or inputs.get("prefixListId"):
                yield f"port {port} opened to an address range instead of a security group"
            if not inputs.get("referencedSecurityGroupId"):
                yield f"port {port} not restricted to a source security group"

    return check


# --- registry and image ----------------------------------------------------------------------


def _ecr_scan(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("imageScanningConfiguration", {}).get("scanOnPush"):
        yield "ECR repository does not scan on push"


def _ecr_immutable(inputs: Inputs) -> Iterable[str]:
    if inputs.get("imageTagMutability") != "IMMUTABLE":
        yield f"ECR tags are {inputs.get('imageTagMutability', 'MUTABLE')}, not IMMUTABLE"


def _ecr_kms(inputs: Inputs) -> Iterable[str]:
    configs = as_list(inputs.get("encryptionConfigurations"))
    if not any(c.get("encryptionType") == "KMS" and c.get("kmsKey") for c in configs):
        yield "ECR repository not encrypted with the stack's KMS key"


def _ecr_lifecycle(inputs: Inputs) -> Iterable[str]:
    rules = parse_json(inputs.get("policy") or "{}").get("rules", [])
    selections = [rule.get("selection", {}) for rule in rules]
    if not any(s.get("tagStatus") == "untagged" for s in selections):
        yield "lifecycle policy does not expire untagged images"
    if not any(s.get("countType") == "imageCountMoreThan" for s in selections):
        yield "lifecycle policy does not bound the number of images"


def _image_build(tag: str) -> Callable[[Inputs], Iterable[str]]:
    def check(inputs: Inputs) -> Iterable[str]:
        build = inputs.get("build", {})
        if build.get("dockerfile") != "services/api/Dockerfile":
            yield f"image built from {build.get('dockerfile')}, not services/api/Dockerfile"
        if build.get("context") != ".":
            yield f"build context {build.get('context')!r} is not the repository root"
        if not str(inputs.get("imageName", "")).endswith(f":{tag}"):
            yield f"image not tagged with the git SHA {tag}"
        if inputs.get("skipPush"):
            yield "image is not pushed"

    return check


def _image_by_digest(inputs: Inputs) -> Iterable[str]:
    image = container(inputs).get("image", "")
    if "@sha256:" not in image:
        yield f"task runs {image}, not an image digest"


# --- database ------------------------------------------------------------------------------


def _rds_engine(inputs: Inputs) -> Iterable[str]:
    version = str(inputs.get("engineVersion", "0"))
    if inputs.get("engine") != "postgres" or int(version.split(".", maxsplit=1)[0]) < 16:
        yield f"engine {inputs.get('engine')} {version}: PostgreSQL 16+ required"


def _rds_encrypted(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("storageEncrypted") or not inputs.get("kmsKeyId"):
        yield "database storage not encrypted with the stack's KMS key"


def _rds_managed_password(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("manageMasterUserPassword"):
        yield "master password not managed by RDS in Secrets Manager"
    if inputs.get("password") or inputs.get("passwordWo"):
        yield "a master password is set in the program"


def _rds_private(inputs: Inputs) -> Iterable[str]:
    if inputs.get("publiclyAccessible"):
        yield "database is publicly accessible"
    if not inputs.get("vpcSecurityGroupIds") or not inputs.get("dbSubnetGroupName"):
        yield "database not placed in the VPC's data subnets and security group"


def _rds_backups(minimum_days: int) -> Callable[[Inputs], Iterable[str]]:
    def check(inputs: Inputs) -> Iterable[str]:
        days = inputs.get("backupRetentionPeriod", 0)
        if days < minimum_days:
            yield f"backups kept {days} day(s), need {minimum_days}+"

    return check


def _rds_multi_az(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("multiAz"):
        yield "production database is not multi-AZ"


def _rds_deletion_protection(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("deletionProtection"):
        yield "production database without deletion protection"


def _rds_final_snapshot(inputs: Inputs) -> Iterable[str]:
    if inputs.get("skipFinalSnapshot", False) or not inputs.get("finalSnapshotIdentifier"):
        yield "production database skips its final snapshot"


def _rds_performance_insights(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("performanceInsightsEnabled"):
        yield "production database without Performance Insights"


def _rds_force_ssl(inputs: Inputs) -> Iterable[str]:
    parameters = {p.get("name"): p.get("value") for p in inputs.get("parameters", [])}
    if parameters.get("rds.force_ssl") != "1":
        yield "parameter group does not force TLS (rds.force_ssl=1)"


# --- cache ---------------------------------------------------------------------------------


def _redis_transit(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("transitEncryptionEnabled"):
        yield "Redis without TLS in transit"
    if inputs.get("transitEncryptionMode", "required") != "required":
        yield "Redis accepts plaintext connections (transitEncryptionMode)"


def _redis_at_rest(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("atRestEncryptionEnabled"):
        yield "Redis without encryption at rest"


def _redis_auth(inputs: Inputs) -> Iterable[str]:
    if len(str(inputs.get("authToken") or "")) < 32:
        yield "Redis without a generated auth token (32+ characters)"


def _redis_private(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("securityGroupIds") or not inputs.get("subnetGroupName"):
        yield "Redis not placed in the data subnets and its security group"


def _redis_failover(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("automaticFailoverEnabled"):
        yield "production Redis without automatic failover"
    if not inputs.get("multiAzEnabled"):
        yield "production Redis is not multi-AZ"


def _redis_nodes(inputs: Inputs) -> Iterable[str]:
    if inputs.get("numCacheClusters", 1) < 2:
        yield f"production Redis has {inputs.get('numCacheClusters', 1)} node(s), need 2+"


def _redis_snapshots(inputs: Inputs) -> Iterable[str]:
    if inputs.get("snapshotRetentionLimit", 0) < 1:
        yield "production Redis keeps no snapshots"


# --- secrets -------------------------------------------------------------------------------


def _kms_rotation(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("enableKeyRotation"):
        yield "KMS key without automatic rotation"


def _secret_kms(inputs: Inputs) -> Iterable[str]:
    if not str(inputs.get("kmsKeyId", "")).startswith("arn:aws:kms:"):
        yield f"secret {inputs.get('name')} not encrypted with the stack's KMS key"


def _secrets_from_secrets_manager(inputs: Inputs) -> Iterable[str]:
    for secret in container(inputs).get("secrets", []):
        if not str(secret.get("valueFrom", "")).startswith("arn:aws:secretsmanager:"):
            yield f"{secret.get('name')} does not come from Secrets Manager"


def _no_secret_in_environment(inputs: Inputs) -> Iterable[str]:
    secret_names = {v.name for v in env_contract() if v.secret} | EXTRA_CONTAINER_SECRETS
    for entry in container(inputs).get("environment", []):
        name, value = entry.get("name"), str(entry.get("value", ""))
        if name in secret_names:
            yield f"secret {name} is in the plain environment"
        elif "://" in value and "@" in value.split("://", 1)[1]:
            yield f"{name} carries credentials in a URL"


def _contract_complete(environment: str) -> Callable[[Inputs], Iterable[str]]:
    def check(inputs: Inputs) -> Iterable[str]:
        definition = container(inputs)
        plain = {entry["name"] for entry in definition.get("environment", [])}
        secret = {entry["name"] for entry in definition.get("secrets", [])}
        contract = {v.name: v for v in env_contract()}
        for name, variable in contract.items():
            required = any(env.value == environment for env in variable.required_in)
            if required and name not in plain | secret:
                yield f"required variable {name} is missing"
        for name in (plain | secret) - set(contract) - EXTRA_CONTAINER_SECRETS:
            yield f"{name} is not in the env contract"
        for name in ("DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY"):
            if name not in secret:
                yield f"{name} is not injected as a secret"

    return check


def _container_values(environment: str, port: int) -> Callable[[Inputs], Iterable[str]]:
    expected = {
        "ENVIRONMENT": environment,
        "WORKERS": "4",
        "HOST": "0.0.0.0",
        "PORT": str(port),
        "LOAD_SAMPLE_DATA": "false",
        "DEBUG": "false",
    }

    def check(inputs: Inputs) -> Iterable[str]:
        plain = {e["name"]: e["value"] for e in container(inputs).get("environment", [])}
        for name, value in expected.items():
            if plain.get(name) != value:
                yield f"{name}={plain.get(name)!r}, expected {value!r}"

    return check


# --- service -------------------------------------------------------------------------------


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
    if not any(mount.get("containerPath") == "/tmp" for mount in mounts):
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


# --- load balancer -------------------------------------------------------------------------


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


# --- monitoring ----------------------------------------------------------------------------


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


# --- selection -----------------------------------------------------------------------------


def policies_for(facts: StackFacts, alarm_email: str, image_tag: str) -> list[Policy]:
    production = facts.environment == "production"
    r, s = resource_policy, stack_policy
    policies = [
        r("provider-default-tags", "1 stacks: tagged per stack", PROVIDER, _provider_tags),
        r("vpc-dns", "2 network: VPC", VPC, _vpc_dns),
        s("subnets-two-azs", "2 network: 2+ AZs, public/private tiers", _two_azs_per_tier),
        r(
            "subnets-no-public-ip",
            "2 network: nothing public by default",
            SUBNET,
            _no_public_ip_on_launch,
        ),
        s(
            "nat-gateways",
            "2 network: one NAT in staging, one per AZ in production",
            _nat_count("perAz" if production else "single"),
        ),
        r("vpc-flow-logs", "2 network: traffic is auditable", FLOW_LOG, _flow_logs),
        r("default-sg-closed", "2 network: security groups", DEFAULT_SG, _default_sg_closed),
        r("sg-no-inline-rules", "2 network: security groups", SECURITY_GROUP, _no_inline_sg_rules),
        r(
            "sg-world-only-web",
            "2 network: ALB open on 80/443 only",
            INGRESS,
            _world_only_on_web_ports,
        ),
        r("sg-ingress-single-port", "2 network: one port per rule", INGRESS, _rule_protocol),
        r("sg-egress-single-port", "2 network: one port per rule", EGRESS, _rule_protocol),
        r(
            "sg-private-ports-by-reference",
            "2 network: tasks from ALB only; 5432/6379 from tasks only",
            INGRESS,
            _private_ports_by_reference(facts.container_port),
        ),
        r("ecr-scan-on-push", "3 registry: scan on push", ECR_REPOSITORY, _ecr_scan),
        r("ecr-immutable-tags", "3 registry: immutable tags", ECR_REPOSITORY, _ecr_immutable),
        r("ecr-kms", "3 registry: encrypted", ECR_REPOSITORY, _ecr_kms),
        r("ecr-lifecycle", "3 registry: lifecycle policy", ECR_LIFECYCLE, _ecr_lifecycle),
        r("image-build", "3 image: repo Dockerfile, git SHA tag", IMAGE, _image_build(image_tag)),
        r("image-by-digest", "3 image: referenced by digest", TASK_DEFINITION, _image_by_digest),
        r("rds-postgres-16", "4 database: PostgreSQL 16+", RDS, _rds_engine),
        r("rds-encrypted", "4 database: storage encryption", RDS, _rds_encrypted),
        r(
            "rds-managed-password",
            "4 database: managed master password",
            RDS,
            _rds_managed_password,
        ),
        r("rds-private", "4 database: no public access", RDS, _rds_private),
        r(
            "rds-backups",
            "4 database: backups (7 days in production)",
            RDS,
            _rds_backups(7 if production else 1),
        ),
        r("rds-force-ssl", "4 database: TLS only", RDS_PARAMETERS, _rds_force_ssl),
        r("redis-tls", "5 cache: TLS", REDIS, _redis_transit),
        r("redis-at-rest", "5 cache: at-rest encryption", REDIS, _redis_at_rest),
        r("redis-auth-token", "5 cache: auth token from a generated secret", REDIS, _redis_auth),
        r("redis-private", "5 cache: private", REDIS, _redis_private),
        r("kms-rotation", "6 secrets: KMS key with rotation", KMS_KEY, _kms_rotation),
        r("secrets-kms", "6 secrets: under the KMS key", SECRET, _secret_kms),
        r(
            "secrets-value-from",
            "6 secrets: reach the container through valueFrom",
            TASK_DEFINITION,
            _secrets_from_secrets_manager,
        ),
        r(
            "no-secret-in-environment",
            "6/7 secrets never in environment",
            TASK_DEFINITION,
            _no_secret_in_environment,
        ),
        r(
            "env-contract-complete",
            "7 task: rendered from the env contract",
            TASK_DEFINITION,
            _contract_complete(facts.environment),
        ),
        r(
            "container-environment",
            "7 task: ENVIRONMENT, WORKERS=4, HOST, PORT, LOAD_SAMPLE_DATA",
            TASK_DEFINITION,
            _container_values(facts.environment, facts.container_port),
        ),
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
        s(
            "iam-no-broad-managed-policies",
            "7 task: least privilege",
            lambda res: [p for i in of_type(res, ROLE_ATTACHMENT) for p in _no_managed_admin(i)],
        ),
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
        r("sns-encrypted", "8 monitoring: SNS topic", TOPIC, _topic_encrypted),
        r(
            "sns-email",
            "8 monitoring: email subscription",
            SUBSCRIPTION,
            _email_subscription(alarm_email),
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
    if production:
        policies += [
            r("rds-multi-az", "4 database (production): multi-AZ", RDS, _rds_multi_az),
            r(
                "rds-deletion-protection",
                "4 database (production): deletion protection",
                RDS,
                _rds_deletion_protection,
            ),
            r(
                "rds-final-snapshot",
                "4 database (production): final snapshot",
                RDS,
                _rds_final_snapshot,
            ),
            r(
                "rds-performance-insights",
                "4 database (production): Performance Insights",
                RDS,
                _rds_performance_insights,
            ),
            r("redis-failover", "5 cache (production): failover, multi-AZ", REDIS, _redis_failover),
            r("redis-two-nodes", "5 cache (production): 2+ nodes", REDIS, _redis_nodes),
            r("redis-snapshots", "5 cache (production): snapshots", REDIS, _redis_snapshots),
            r(
                "alb-deletion-protection",
                "7 ALB (production): deletion protection",
                LOAD_BALANCER,
                _alb_deletion_protection,
            ),
        ]
    if facts.https:
        policies.append(
            s("https-redirect", "7 ALB: HTTPS with ACM, 80 -> 443", _https_with_redirect)
        )
    else:
        policies.append(
            s(
                "plain-http-only-on-80",
                "7 ALB: plain HTTP only without a domain",
                _plain_http_only_without_domain,
            )
        )
    return policies


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


def evaluate(
    policies: Sequence[Policy], resources: Sequence[tuple[str, Inputs]]
) -> dict[str, Violations]:
    """Violations per policy id (only the failing ones)."""
    results = {policy.id: policy(resources) for policy in policies}
    return {policy_id: found for policy_id, found in results.items() if found}
