"""Stack configuration: the committed stack files parse, and bad values name their key."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from copilot_platform.config import (
    OBJECT_KEYS,
    PROJECT,
    STRING_KEYS,
    StackConfig,
    StackConfigError,
    load_stack_config,
    parse_stack_config,
)
from tests.harness import REPO_ROOT
from tests.platform.harness import STACKS, parsed_config, stack_file_config


def test_pulumi_project_points_at_the_platform_with_uv() -> None:
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == PROJECT
    assert project["main"] == "platform/"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["toolchain"] == "uv"
    assert (REPO_ROOT / "platform" / "__main__.py").is_file()


@pytest.mark.parametrize("stack", STACKS)
def test_stack_files_hold_known_per_stack_values_only(stack: str) -> None:
    config = stack_file_config(stack)
    keys = {key.removeprefix(f"{PROJECT}:") for key in config if key.startswith(f"{PROJECT}:")}
    assert keys <= set(STRING_KEYS) | set(OBJECT_KEYS)
    assert set(config) - {f"{PROJECT}:{key}" for key in keys} == {"aws:region"}
    # Secrets are set with `pulumi config set --secret`, never committed in clear.
    assert f"{PROJECT}:appSecrets" not in config
    assert f"{PROJECT}:imageTag" not in config  # the git SHA, resolved at deploy time
    parsed = parsed_config(config)
    assert parsed.environment == stack


def test_example_addresses_in_the_stack_files_are_flagged() -> None:
    staging, production = (parsed_config(stack_file_config(stack)) for stack in STACKS)
    assert staging.example_values() == ["alarmEmail"]
    assert production.example_values() == ["alarmEmail", "domain"]
    assert parse_stack_config(_valid(), "us-east-1").example_values() == []


def test_stack_files_differ_in_sizes_and_counts() -> None:
    staging, production = (parsed_config(stack_file_config(stack)) for stack in STACKS)
    assert staging.domain is None
    assert production.domain is not None
    assert (staging.nat_count, production.nat_count) == (1, 3)
    assert staging.cache.num_nodes == 1
    assert production.cache.num_nodes >= 2
    assert production.database.backup_retention_days >= 7
    assert production.service.cpu > staging.service.cpu
    assert staging.network.vpc_cidr != production.network.vpc_cidr


def _valid(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "environment": "production",
        "alarmEmail": "oncall@copilot.dev",
        "network": {"availabilityZones": ["us-east-1a", "us-east-1b"], "natGateways": "perAz"},
        "service": {"minCapacity": 2, "desiredCount": 2},
        "database": {"backupRetentionDays": 7},
        "cache": {"numNodes": 2, "snapshotRetentionDays": 1},
        "domain": {"name": "copilot.realtor.dev", "zone": "realtor.dev"},
    }
    values.update(overrides)
    return values


def test_a_minimal_production_config_is_valid() -> None:
    stack = parse_stack_config(_valid(), "us-east-1")
    assert isinstance(stack, StackConfig)
    assert stack.production
    assert stack.prefix == "copilot-production"
    assert stack.network.subnet_cidrs(0) == ["10.20.0.0/20", "10.20.16.0/20"]
    assert stack.network.subnet_cidrs(2) == ["10.20.160.0/20", "10.20.176.0/20"]


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        ({"environment": "prod"}, "environment", "Input should be 'staging' or 'production'"),
        ({"alarmEmail": "oncall"}, "alarmEmail", "must be an email address"),
        ({"imageTag": "has space"}, "imageTag", "valid Docker tag"),
        ({"service": {"cpu": 300}}, "service.cpu", "Fargate CPU size"),
        (
            {"service": {"cpu": 256, "memory": 4096, "minCapacity": 2, "desiredCount": 2}},
            "service.memory",
            "not valid with cpu 256",
        ),
        (
            {"service": {"minCapacity": 2, "desiredCount": 9, "maxCapacity": 4}},
            "service.desiredCount",
            "between minCapacity and maxCapacity",
        ),
        (
            {"service": {"logRetentionDays": 31, "minCapacity": 2, "desiredCount": 2}},
            "service.logRetentionDays",
            "CloudWatch retention",
        ),
        (
            {"service": {"contanerPort": 8000}},
            "service.contanerPort",
            "Extra inputs are not permitted",
        ),
        (
            {"database": {"engineVersion": "15.4", "backupRetentionDays": 7}},
            "database.engineVersion",
            "PostgreSQL 16 or later",
        ),
        (
            {"database": {"username": "postgres", "backupRetentionDays": 7}},
            "database.username",
            "reserved",
        ),
        (
            {
                "database": {
                    "allocatedStorageGb": 100,
                    "maxAllocatedStorageGb": 50,
                    "backupRetentionDays": 7,
                }
            },
            "database.maxAllocatedStorageGb",
            "at least allocatedStorageGb",
        ),
        (
            {"database": {"backupRetentionDays": 3}},
            "database.backupRetentionDays",
            "at least 7 days",
        ),
        (
            {"cache": {"numNodes": 1, "snapshotRetentionDays": 1}},
            "cache.numNodes",
            "at least 2 nodes",
        ),
        (
            {"cache": {"numNodes": 2, "snapshotRetentionDays": 0}},
            "cache.snapshotRetentionDays",
            "snapshots",
        ),
        (
            {"cache": {"engineVersion": "6.2", "numNodes": 2, "snapshotRetentionDays": 1}},
            "cache.engineVersion",
            "should match pattern",
        ),
        (
            {"network": {"availabilityZones": ["us-east-1a"], "natGateways": "perAz"}},
            "network.availabilityZones",
            "at least 2 items",
        ),
        (
            {
                "network": {
                    "availabilityZones": ["us-east-1a", "us-east-1a"],
                    "natGateways": "perAz",
                }
            },
            "network.availabilityZones",
            "distinct",
        ),
        (
            {
                "network": {
                    "availabilityZones": ["eu-west-1a", "eu-west-1b"],
                    "natGateways": "perAz",
                }
            },
            "network.availabilityZones",
            "not in region us-east-1",
        ),
        (
            {
                "network": {
                    "availabilityZones": ["us-east-1a", "us-east-1b"],
                    "natGateways": "single",
                }
            },
            "network.natGateways",
            "one NAT gateway per AZ",
        ),
        (
            {
                "network": {
                    "availabilityZones": ["us-east-1a", "us-east-1b"],
                    "vpcCidr": "8.8.0.0/16",
                    "natGateways": "perAz",
                }
            },
            "network.vpcCidr",
            "private IPv4 range",
        ),
        (
            {
                "network": {
                    "availabilityZones": ["us-east-1a", "us-east-1b"],
                    "vpcCidr": "10.0.0.0/24",
                    "natGateways": "perAz",
                }
            },
            "network.vpcCidr",
            "/20 or larger",
        ),
        ({"domain": None}, "domain", "production serves HTTPS only"),
        (
            {"domain": {"name": "copilot.other.dev", "zone": "realtor.dev"}},
            "domain.name",
            "subdomain of it",
        ),
        (
            {"domain": {"name": "Copilot.Realtor.dev", "zone": "realtor.dev"}},
            "domain.name",
            "lower-case DNS name",
        ),
        (
            {"service": {"minCapacity": 1, "desiredCount": 1}},
            "service.minCapacity",
            "at least 2 tasks",
        ),
    ],
)
def test_bad_values_name_their_key(overrides: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(_valid(**overrides), "us-east-1")
    assert str(caught.value).startswith(f"{PROJECT}:{key}: "), str(caught.value)
    assert message in str(caught.value)


def test_missing_required_keys_are_named() -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config({"environment": "staging"}, "us-east-1")
    assert f"{PROJECT}:network: Field required" in str(caught.value)
    assert f"{PROJECT}:alarmEmail: Field required" in str(caught.value)


@pytest.mark.parametrize(("region", "message"), [(None, "missing"), ("moon-1", "AWS region")])
def test_region_errors_name_the_aws_key(region: str | None, message: str) -> None:
    with pytest.raises(StackConfigError, match=rf"^aws:region: .*{message}"):
        parse_stack_config(_valid(), region)


def test_staging_may_be_single_az_nat_without_domain() -> None:
    stack = parse_stack_config(
        _valid(
            environment="staging",
            domain=None,
            network={"availabilityZones": ["us-east-1a", "us-east-1b"]},
            service={},
            database={"backupRetentionDays": 1},
            cache={},
        ),
        "us-east-1",
    )
    assert stack.nat_count == 1
    assert stack.domain is None


class _Reader:
    """Stands in for `pulumi.Config`: strings via `get`, YAML maps via `get_object` (JSON)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return value if value is None or isinstance(value, str) else str(value)

    def get_object(self, key: str) -> Any:
        value = self.values.get(key)
        if isinstance(value, str):
            raise ValueError(f"{key} is not JSON")  # what pulumi.ConfigTypeError is
        return value


def test_loader_reads_strings_and_maps() -> None:
    stack = load_stack_config(_Reader(_valid(imageTag="abc123")), "us-east-1")
    assert stack.image_tag == "abc123"
    assert stack.cache.num_nodes == 2


def test_loader_refuses_a_scalar_where_a_map_belongs() -> None:
    with pytest.raises(StackConfigError, match=rf"^{PROJECT}:network: must be a YAML map"):
        load_stack_config(_Reader(_valid(network="10.0.0.0/16")), "us-east-1")


def test_app_secrets_are_masked_in_the_model() -> None:
    stack = parse_stack_config(
        _valid(appSecrets={"OPENAI_API_KEY": "sk-real-value-123"}), "us-east-1"
    )
    assert "sk-real-value-123" not in repr(stack)
    assert stack.app_secrets["OPENAI_API_KEY"].get_secret_value() == "sk-real-value-123"
