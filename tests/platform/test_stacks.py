"""The program run on both stacks: structure, wiring, outputs, secrets, stack differences."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pulumi
import pytest

from copilot_config import env_contract
from copilot_config.health import READINESS_PATH
from copilot_platform.config import PROJECT, StackConfigError
from copilot_platform.policies import base as p
from copilot_platform.program import OUTPUT_NAMES, Tiers
from tests.platform.harness import (
    IMAGE_TAG,
    OPENAI_KEY,
    StackRun,
    operator_config,
    run_program,
    stack_policies,
)
from tests.platform.mocks import walk_strings

COMPONENT_PREFIX = "copilot:platform:"


def _descendants(resource: pulumi.Resource) -> list[pulumi.Resource]:
    found: list[pulumi.Resource] = []
    for child in resource._childResources:
        found.append(child)
        found.extend(_descendants(child))
    return found


def test_every_resource_belongs_to_a_tier_component(run: StackRun) -> None:
    tiers = run.tiers
    assert isinstance(tiers, Tiers)
    components = [getattr(tiers, field.name) for field in fields(tiers)]
    assert {type(c).__name__ for c in components} == {
        "EncryptionKey",
        "Network",
        "Registry",
        "Database",
        "Cache",
        "AppSecrets",
        "Service",
        "Monitoring",
    }
    owned = {resource._name for component in components for resource in _descendants(component)}
    tier_names = {component._name for component in components}
    for resource in run.resources:
        if resource.type.startswith("pulumi:providers:") or resource.name in tier_names:
            continue
        assert resource.name in owned, f"{resource.type} {resource.name} has no tier parent"
    component_types = {r.type for r in run.resources if r.type.startswith(COMPONENT_PREFIX)}
    assert f"{COMPONENT_PREFIX}LoadBalancer" in component_types  # nested under Service


def test_outputs_are_what_deploys_need_and_never_secret(run: StackRun) -> None:
    assert tuple(run.outputs) == OUTPUT_NAMES
    assert run.secret_outputs == frozenset()
    outputs = run.outputs
    assert outputs["environment"] == run.stack
    assert outputs["clusterName"].startswith(f"copilot-{run.stack}-api-cluster-")
    assert outputs["serviceName"].startswith(f"copilot-{run.stack}-api-service-")
    assert outputs["ecrRepositoryName"] == f"copilot/{run.stack}/api"
    assert outputs["ecrRepositoryUrl"].endswith(f".amazonaws.com/copilot/{run.stack}/api")
    assert outputs["imageTag"] == IMAGE_TAG
    container = p.container(run.one(p.TASK_DEFINITION).inputs)
    assert outputs["image"] == container["image"]
    assert outputs["image"].startswith(outputs["ecrRepositoryUrl"] + "@sha256:")
    expected_scheme = "https://" if run.stack == "production" else "http://"
    assert outputs["url"].startswith(expected_scheme)


def _secret_values(run: StackRun) -> set[str]:
    """Values that must only ever appear in secret inputs."""
    values = {OPENAI_KEY}
    for resource in run.of_type("aws:secretsmanager/secretVersion:SecretVersion"):
        assert "secretString" in resource.secret_inputs, resource.name
        values.add(resource.inputs["secretString"])
    token = run.one(p.REDIS).inputs["authToken"]
    values.add(token)
    return values


def test_secret_values_never_appear_in_plain_inputs_or_outputs(run: StackRun) -> None:
    secrets = _secret_values(run)
    assert len(secrets) >= 4
    redis_token = run.one(p.REDIS).inputs["authToken"]
    for resource in run.resources:
        for key, value in resource.inputs.items():
            if key in resource.secret_inputs:
                continue
            for text in walk_strings(value):
                leaked = [s for s in secrets if s in text]
                # DATABASE_URL carries no password; it is secret, yet derived from plain values.
                leaked = [s for s in leaked if not s.startswith("postgresql://")]
                assert not leaked, f"{resource.type} {resource.name}.{key} leaks a secret"
                assert redis_token not in text
    for name, value in run.outputs.items():
        for text in walk_strings(value):
            assert not any(s in text for s in secrets), f"output {name} leaks a secret"
    assert "authToken" in run.one(p.REDIS).secret_inputs


def test_container_env_is_rendered_from_the_contract(run: StackRun) -> None:
    container = p.container(run.one(p.TASK_DEFINITION).inputs)
    plain = {entry["name"]: entry["value"] for entry in container["environment"]}
    injected = {entry["name"]: entry["valueFrom"] for entry in container["secrets"]}
    contract = {variable.name: variable for variable in env_contract()}
    for name, variable in contract.items():
        if variable.secret:
            assert name not in plain, f"secret {name} in environment"
        else:
            assert name not in injected, f"plain {name} injected as a secret"
        if any(env.value == run.stack for env in variable.required_in):
            assert name in plain or name in injected, f"required {name} missing"
    assert set(plain) <= set(contract)
    public = sorted(
        s.inputs["cidrBlock"] for s in run.of_type(p.SUBNET) if s.inputs["tags"]["Tier"] == "public"
    )
    assert sorted(plain["TRUSTED_PROXIES"].split(",")) == public
    assert set(injected) - set(contract) == {"PGPASSWORD"}
    # Each contract secret comes from its own Secrets Manager secret of this stack.
    secrets_by_name = {s.inputs["name"]: s for s in run.of_type(p.SECRET)}
    for name in set(injected) & set(contract):
        secret = secrets_by_name[f"copilot/{run.stack}/app/{name}"]
        assert injected[name].startswith("arn:aws:secretsmanager:")
        assert f"secret:{secret.inputs['name']}-" in injected[name]
    # PGPASSWORD is the `password` key of the RDS-managed master secret.
    assert injected["PGPASSWORD"].endswith(":password::")
    assert ":secret:rds!db-" in injected["PGPASSWORD"]
    database_url = next(
        r.inputs["secretString"]
        for r in run.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        if "database-url" in r.name
    )
    assert database_url.startswith("postgresql://copilot@")
    assert database_url.endswith(":5432/copilot?sslmode=require")
    redis_url = next(
        r.inputs["secretString"]
        for r in run.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        if "redis-url" in r.name
    )
    assert redis_url.startswith("rediss://:")
    assert redis_url.endswith(":6379/0")


def test_execution_role_reads_exactly_the_injected_secrets(run: StackRun) -> None:
    container = p.container(run.one(p.TASK_DEFINITION).inputs)
    injected = {entry["valueFrom"].removesuffix(":password::") for entry in container["secrets"]}
    policy = next(r for r in run.of_type(p.ROLE_POLICY) if "execution" in r.name)
    statement = next(
        s for s in p.statements(policy.inputs["policy"]) if s.get("Sid") == "ReadSecrets"
    )
    assert set(statement["Resource"]) == injected
    task_role = next(r for r in run.of_type(p.ROLE) if "task-role" in r.name)
    assert not [r for r in run.of_type(p.ROLE_POLICY) if r.inputs["role"] == task_role.id]


def _rule_from(run: StackRun, port: int) -> tuple[str, str]:
    """(target group, source group) names of the single ingress rule on `port`."""
    (rule,) = [r for r in run.of_type(p.INGRESS) if r.inputs["fromPort"] == port]
    target = run.by_id(rule.inputs["securityGroupId"]).name
    source = run.by_id(rule.inputs["referencedSecurityGroupId"]).name
    return target, source


def test_security_groups_chain_internet_alb_tasks_data(run: StackRun) -> None:
    prefix = f"copilot-{run.stack}-network"
    assert _rule_from(run, 8000) == (f"{prefix}-tasks-sg", f"{prefix}-alb-sg")
    assert _rule_from(run, 5432) == (f"{prefix}-database-sg", f"{prefix}-tasks-sg")
    assert _rule_from(run, 6379) == (f"{prefix}-cache-sg", f"{prefix}-tasks-sg")
    world = [r for r in run.of_type(p.INGRESS) if r.inputs.get("cidrIpv4") == "0.0.0.0/0"]
    assert {run.by_id(r.inputs["securityGroupId"]).name for r in world} == {f"{prefix}-alb-sg"}
    expected_ports = {80, 443} if run.stack == "production" else {80}
    assert {r.inputs["fromPort"] for r in world} == expected_ports
    database_groups = run.one(p.RDS).inputs["vpcSecurityGroupIds"]
    assert [run.by_id(group).name for group in database_groups] == [f"{prefix}-database-sg"]
    assert run.by_id(run.one(p.REDIS).inputs["securityGroupIds"][0]).name == f"{prefix}-cache-sg"


def _tiers_of(run: StackRun, subnet_ids: list[str]) -> set[str]:
    return {run.by_id(subnet_id).inputs["tags"]["Tier"] for subnet_id in subnet_ids}


def test_placement_public_alb_private_tasks_isolated_data(run: StackRun) -> None:
    service = run.one(p.SERVICE).inputs
    assert _tiers_of(run, service["networkConfiguration"]["subnets"]) == {"private"}
    assert _tiers_of(run, run.one(p.LOAD_BALANCER).inputs["subnets"]) == {"public"}
    for group in ("aws:rds/subnetGroup:SubnetGroup", "aws:elasticache/subnetGroup:SubnetGroup"):
        assert _tiers_of(run, run.one(group).inputs["subnetIds"]) == {"data"}
    # Routes: public -> internet gateway, private -> NAT, data -> nowhere.
    routes = {
        run.by_id(r.inputs["routeTableId"]).name: r.inputs
        for r in run.of_type("aws:ec2/route:Route")
    }
    for table, route in routes.items():
        if "-public-" in table:
            assert run.by_id(route["gatewayId"]).type == "aws:ec2/internetGateway:InternetGateway"
        else:
            assert "-private-" in table
            assert run.by_id(route["natGatewayId"]).type == p.NAT
    assert not [t for t in routes if "-data-" in t]


def test_service_registers_with_the_readiness_checked_target_group(run: StackRun) -> None:
    service = run.one(p.SERVICE).inputs
    target_group = run.one(p.TARGET_GROUP)
    (registration,) = service["loadBalancers"]
    assert registration["containerName"] == "api"
    assert registration["containerPort"] == 8000
    assert target_group.inputs["healthCheck"]["path"] == READINESS_PATH
    assert target_group.inputs["port"] == 8000
    requests_policy = next(r for r in run.of_type(p.SCALING_POLICY) if "requests" in r.name).inputs[
        "targetTrackingScalingPolicyConfiguration"
    ]
    label = requests_policy["predefinedMetricSpecification"]["resourceLabel"]
    assert label.startswith("app/")
    assert "/targetgroup/" in label


def test_dashboard_watches_this_stacks_resources(run: StackRun) -> None:
    body = json.loads(run.one(p.DASHBOARD).inputs["dashboardBody"])
    alarm_widget = body["widgets"][0]
    assert alarm_widget["type"] == "alarm"
    alarm_names = {r.inputs["name"] for r in run.of_type(p.ALARM)}
    assert {arn.rsplit(":", 1)[1] for arn in alarm_widget["properties"]["alarms"]} == alarm_names
    dimensions = {
        value
        for widget in body["widgets"][1:]
        for metric in widget["properties"]["metrics"]
        for value in metric[2:]
        if isinstance(value, str)
    }
    alb_dimension = next(
        r.inputs["dimensions"]["LoadBalancer"]
        for r in run.of_type(p.ALARM)
        if r.inputs.get("metricName") == "TargetResponseTime"
    )
    assert alb_dimension in dimensions
    redis_nodes = [
        r
        for r in run.of_type(p.ALARM)
        if r.inputs.get("metricName") == "DatabaseMemoryUsagePercentage"
    ]
    assert len(redis_nodes) == run.one(p.REDIS).inputs["numCacheClusters"]
    for alarm in redis_nodes:
        assert alarm.inputs["dimensions"]["CacheClusterId"] in dimensions


def test_every_aws_resource_and_lookup_uses_the_tagged_stack_provider(run: StackRun) -> None:
    """The explicit provider carries the region and default tags; nothing falls back to default."""
    provider = f"pulumi:providers:aws::copilot-{run.stack}-aws::"
    aws_resources = [r for r in run.resources if r.type.startswith("aws:")]
    assert aws_resources
    for resource in aws_resources:
        assert provider in resource.provider, f"{resource.type} {resource.name}"
    assert run.call_providers
    assert all(provider in used for used in run.call_providers)


def test_invokes_are_the_expected_lookups(run: StackRun) -> None:
    tokens = {token for token, _ in run.calls}
    expected = {
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getPartition:getPartition",
        "aws:ecr/getAuthorizationToken:getAuthorizationToken",
    }
    if run.stack == "production":
        expected.add("aws:route53/getZone:getZone")
    assert tokens == expected


def test_staging_is_cheap_and_production_resilient(staging: StackRun, production: StackRun) -> None:
    def rds(run: StackRun, key: str) -> Any:
        return run.one(p.RDS).inputs.get(key)

    def redis(run: StackRun, key: str) -> Any:
        return run.one(p.REDIS).inputs.get(key)

    zones = {
        run.stack: {s.inputs["availabilityZone"] for s in run.of_type(p.SUBNET)}
        for run in (staging, production)
    }
    assert len(zones["staging"]) == 2
    assert len(zones["production"]) == 3
    assert len(staging.of_type(p.NAT)) == 1
    assert len(production.of_type(p.NAT)) == len(zones["production"])

    assert (rds(staging, "multiAz"), rds(production, "multiAz")) == (False, True)
    assert (rds(staging, "deletionProtection"), rds(production, "deletionProtection")) == (
        False,
        True,
    )
    assert (rds(staging, "skipFinalSnapshot"), rds(production, "skipFinalSnapshot")) == (
        True,
        False,
    )
    assert rds(staging, "finalSnapshotIdentifier") is None
    assert rds(production, "finalSnapshotIdentifier") == "copilot-production-final"
    assert (
        rds(staging, "performanceInsightsEnabled"),
        rds(production, "performanceInsightsEnabled"),
    ) == (False, True)
    assert rds(staging, "backupRetentionPeriod") < 7 <= rds(production, "backupRetentionPeriod")

    assert (redis(staging, "numCacheClusters"), redis(production, "numCacheClusters")) == (1, 2)
    for key in ("automaticFailoverEnabled", "multiAzEnabled"):
        assert (redis(staging, key), redis(production, key)) == (False, True)
    assert redis(staging, "snapshotRetentionLimit") == 0
    assert redis(production, "snapshotRetentionLimit") >= 1

    def alb(run: StackRun, key: str) -> Any:
        return run.one(p.LOAD_BALANCER).inputs.get(key)

    assert (
        alb(staging, "enableDeletionProtection"),
        alb(production, "enableDeletionProtection"),
    ) == (False, True)
    assert {listener.inputs["protocol"] for listener in staging.of_type(p.LISTENER)} == {"HTTP"}
    assert {listener.inputs["protocol"] for listener in production.of_type(p.LISTENER)} == {
        "HTTP",
        "HTTPS",
    }
    assert staging.one(p.ECR_REPOSITORY).inputs["forceDelete"] is True
    assert production.one(p.ECR_REPOSITORY).inputs["forceDelete"] is False
    assert (
        staging.one(p.KMS_KEY).inputs["deletionWindowInDays"],
        production.one(p.KMS_KEY).inputs["deletionWindowInDays"],
    ) == (7, 30)
    scaling = {run.stack: run.one(p.SCALING_TARGET).inputs for run in (staging, production)}
    assert scaling["staging"]["minCapacity"] == 1
    assert scaling["production"]["minCapacity"] >= 2

    # Same code, same shape: production only adds what its domain needs.
    staging_types = {r.type for r in staging.resources}
    production_types = {r.type for r in production.resources}
    assert staging_types <= production_types
    assert production_types - staging_types == {
        p.CERTIFICATE,
        "aws:acm/certificateValidation:CertificateValidation",
        "aws:route53/record:Record",
    }


def test_staging_with_a_domain_serves_https() -> None:
    config = operator_config(
        "staging", domain={"name": "staging.copilot.example.com", "zone": "example.com"}
    )
    run = run_program("staging", config)
    policies = stack_policies(config)
    assert "https-redirect" in {policy.id for policy in policies}
    assert {policy.id: policy(run.graph) for policy in policies if policy(run.graph)} == {}
    assert run.outputs["url"] == "https://staging.copilot.example.com"
    alias = next(r for r in run.of_type("aws:route53/record:Record") if r.inputs["type"] == "A")
    assert alias.inputs["name"] == "staging.copilot.example.com"
    world = {r.inputs["fromPort"] for r in run.of_type(p.INGRESS) if r.inputs.get("cidrIpv4")}
    assert world == {80, 443}


def test_config_errors_stop_the_program_before_any_resource() -> None:
    config = operator_config(
        "production",
        network={"availabilityZones": ["us-east-1a", "us-east-1b"], "natGateways": "single"},
    )
    with pytest.raises(StackConfigError, match=rf"{PROJECT}:network\.natGateways"):
        run_program("production", config)


def test_a_secret_app_setting_in_plain_config_is_refused() -> None:
    config = operator_config("staging", appEnvironment={"OPENAI_API_KEY": "sk-live-abc"})
    with pytest.raises(
        StackConfigError, match=r"appEnvironment\.OPENAI_API_KEY: OPENAI_API_KEY is a secret"
    ):
        run_program("staging", config)


def test_without_an_openai_key_the_container_uses_the_local_provider() -> None:
    config = operator_config("staging", appSecrets=None)
    run = run_program("staging", config)
    container = p.container(run.one(p.TASK_DEFINITION).inputs)
    assert "OPENAI_API_KEY" not in {entry["name"] for entry in container["secrets"]}
    assert "OPENAI_API_KEY" not in {entry["name"] for entry in container["environment"]}
    assert not [s for s in run.of_type(p.SECRET) if s.inputs["name"].endswith("OPENAI_API_KEY")]


def test_each_run_starts_from_a_clean_runtime(stack_run: Callable[[str], StackRun]) -> None:
    """Runs after other stacks record exactly the same resources: nothing carried over."""
    first = stack_run("production")
    again = run_program("production", operator_config("production"))
    assert sorted((r.type, r.name) for r in again.resources) == sorted(
        (r.type, r.name) for r in first.resources
    )
    assert again.outputs == first.outputs


def test_a_changed_secret_value_redeploys_the_tasks(stack_run: Callable[[str], StackRun]) -> None:
    """Tasks read secrets only when they start: a new value must roll the service."""
    before = stack_run("staging").one(p.SERVICE).inputs
    rotated = run_program(
        "staging",
        operator_config("staging", appSecrets={"OPENAI_API_KEY": "sk-proj-Rotated9Key8Value7"}),
    )
    after = rotated.one(p.SERVICE).inputs
    assert before["forceNewDeployment"] is True
    assert before["triggers"]["secrets"] != after["triggers"]["secrets"]
    assert before["taskDefinition"] == after["taskDefinition"]  # same ARNs, new values


def test_the_pulumi_entry_point_runs_the_same_program(
    stack_run: Callable[[str], StackRun],
) -> None:
    """`Pulumi.yaml` says `main: platform/`: run its `__main__.py` the way the language host does."""
    via_entry_point = run_program("staging", operator_config("staging"), entry_point=True)
    expected = stack_run("staging")
    assert sorted((r.type, r.name) for r in via_entry_point.resources) == sorted(
        (r.type, r.name) for r in expected.resources
    )
    assert via_entry_point.outputs == expected.outputs
