"""Stack configuration: `Pulumi.<stack>.yaml` parsed into one typed, validated model.

Stack files hold per-stack values only (sizes, counts, domain, alarm email). Everything that makes
production resilient (multi-AZ, deletion protection, final snapshots, failover) is derived from
`environment` in code, so a stack file cannot switch it off; the validators below additionally
refuse production values that would undercut it (a single NAT, one cache node, short backups).
Errors name the offending key as it is written in the stack file.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Literal, Protocol, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

PROJECT = "realtor-ai-copilot"
"""The Pulumi project name (`Pulumi.yaml`), which is also the stack-config namespace."""

Environment = Literal["staging", "production"]

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922}
    | {3288, 3653}
)

# Fargate's valid task sizes: CPU units -> allowed memory (MiB).
FARGATE_MEMORY: Mapping[int, range] = {
    256: range(512, 2048 + 1, 512),
    512: range(1024, 4096 + 1, 1024),
    1024: range(2048, 8192 + 1, 1024),
    2048: range(4096, 16384 + 1, 1024),
    4096: range(8192, 30720 + 1, 1024),
    8192: range(16384, 61440 + 1, 4096),
    16384: range(32768, 122880 + 1, 8192),
}

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_DOCKER_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EXAMPLE_DOMAIN = re.compile(r"(^|\.)example\.(com|org|net)$")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Subnet tiers per AZ carved out of the VPC: public, private (tasks), data (database, cache).
SUBNET_TIERS = 3
MAX_AZS = 5
_NESTED_KEY_ERROR = "stack_key"


class StackConfigError(ValueError):
    """A stack-config value is missing or invalid; the message names the key."""


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class NetworkConfig(_Model):
    vpc_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.20.0.0/16")
    availability_zones: tuple[str, ...] = Field(min_length=2, max_length=MAX_AZS)
    nat_gateways: Literal["single", "perAz"] = "single"

    @field_validator("vpc_cidr")
    @classmethod
    def _room_for_subnets(cls, value: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if value.prefixlen > 20 or not value.is_private:
            raise ValueError("must be a private IPv4 range of /20 or larger (e.g. 10.20.0.0/16)")
        return value

    @field_validator("availability_zones")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("availability zones must be distinct")
        return value

    def subnet_cidrs(self, tier: int) -> list[str]:
        """CIDRs of one tier (0 public, 1 private, 2 data), one per AZ; stable as AZs are added."""
        blocks = list(self.vpc_cidr.subnets(prefixlen_diff=4))
        start = tier * MAX_AZS
        return [str(block) for block in blocks[start : start + len(self.availability_zones)]]


class ServiceConfig(_Model):
    container_port: int = Field(8000, ge=1024, le=65535)
    cpu: int = 1024
    memory: int = 2048
    desired_count: int = Field(1, ge=1)
    min_capacity: int = Field(1, ge=1)
    max_capacity: int = Field(4, ge=1, le=100)
    cpu_target_percent: int = Field(60, ge=10, le=90)
    requests_per_target: int = Field(1000, ge=10)
    health_check_grace_seconds: int = Field(60, ge=0, le=600)
    log_retention_days: int = 30

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        if value not in FARGATE_MEMORY:
            raise ValueError(f"must be a Fargate CPU size: {sorted(FARGATE_MEMORY)}")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"must be a CloudWatch retention: {sorted(LOG_RETENTION_DAYS)}")
        return value

    @model_validator(mode="after")
    def _sizes(self) -> Self:
        allowed = FARGATE_MEMORY[self.cpu]
        if self.memory not in allowed:
            raise _field_error(
                "memory",
                f"{self.memory} MiB is not valid with cpu {self.cpu}; "
                f"use {allowed.start}-{allowed.stop - 1} in steps of {allowed.step}",
            )
        if not self.min_capacity <= self.desired_count <= self.max_capacity:
            raise _field_error("desiredCount", "must be between minCapacity and maxCapacity")
        return self


class DatabaseConfig(_Model):
    instance_class: str = Field("db.t4g.medium", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    engine_version: str = Field("16", pattern=r"^\d+(\.\d+)?$")
    allocated_storage_gb: int = Field(20, ge=20, le=65536)
    max_allocated_storage_gb: int = Field(100, ge=20, le=65536)
    backup_retention_days: int = Field(3, ge=1, le=35)
    name: str = "copilot"
    username: str = "copilot"

    @field_validator("engine_version")
    @classmethod
    def _pgvector_capable(cls, value: str) -> str:
        if int(value.split(".", maxsplit=1)[0]) < 16:
            raise ValueError("PostgreSQL 16 or later is required")
        return value

    @field_validator("name", "username")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value) or value in {"postgres", "rdsadmin", "admin"}:
            raise ValueError("must be a lower-case PostgreSQL identifier, not a reserved name")
        return value

    @model_validator(mode="after")
    def _autoscaling_storage(self) -> Self:
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise _field_error("maxAllocatedStorageGb", "must be at least allocatedStorageGb")
        return self

    @property
    def major_version(self) -> int:
        return int(self.engine_version.split(".")[0])


class CacheConfig(_Model):
    node_type: str = Field("cache.t4g.small", pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$")
    engine_version: str = Field("7.1", pattern=r"^7\.\d+$")
    num_nodes: int = Field(1, ge=1, le=6)
    snapshot_retention_days: int = Field(0, ge=0, le=35)


class DomainConfig(_Model):
    name: str
    zone: str

    @field_validator("name", "zone")
    @classmethod
    def _hostname(cls, value: str) -> str:
        if not _HOSTNAME.match(value):
            raise ValueError("must be a lower-case DNS name such as copilot.example.com")
        return value

    @model_validator(mode="after")
    def _inside_zone(self) -> Self:
        if self.name != self.zone and not self.name.endswith("." + self.zone):
            raise _field_error("name", f"must be {self.zone} or a subdomain of it")
        return self


class StackConfig(_Model):
    environment: Environment
    region: str
    network: NetworkConfig
    service: ServiceConfig = ServiceConfig()
    database: DatabaseConfig = DatabaseConfig()
    cache: CacheConfig = CacheConfig()
    domain: DomainConfig | None = None
    alarm_email: str
    image_tag: str | None = None
    app_environment: dict[str, str] = Field(default_factory=dict)
    app_secrets: dict[str, SecretStr] = Field(default_factory=dict)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError("must be an AWS region such as us-east-1")
        return value

    @field_validator("alarm_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError("must be an email address")
        return value

    @field_validator("image_tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        if value is not None and not _DOCKER_TAG.match(value):
            raise ValueError("must be a valid Docker tag (letters, digits, _ . -; max 128)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for zone in self.network.availability_zones:
            if not zone.startswith(self.region):
                raise _field_error(
                    "network.availabilityZones", f"{zone} is not in region {self.region}"
                )
        if self.production:
            self._check_production_floors()
        return self

    def _check_production_floors(self) -> None:
        floors: list[tuple[str, bool, str]] = [
            ("domain", self.domain is not None, "production serves HTTPS only: set a domain"),
            (
                "network.natGateways",
                self.network.nat_gateways == "perAz",
                "production needs one NAT gateway per AZ (perAz)",
            ),
            ("cache.numNodes", self.cache.num_nodes >= 2, "production needs at least 2 nodes"),
            (
                "cache.snapshotRetentionDays",
                self.cache.snapshot_retention_days >= 1,
                "production keeps Redis snapshots (at least 1 day)",
            ),
            (
                "database.backupRetentionDays",
                self.database.backup_retention_days >= 7,
                "production keeps at least 7 days of backups",
            ),
            (
                "service.minCapacity",
                self.service.min_capacity >= 2,
                "production runs at least 2 tasks (one per AZ)",
            ),
        ]
        for key, ok, message in floors:
            if not ok:
                raise _field_error(key, message)

    def example_values(self) -> list[str]:
        """Keys still holding RFC 2606 example domains: alarms would page nobody."""
        values = {"alarmEmail": self.alarm_email.rsplit("@", 1)[1]}
        if self.domain is not None:
            values["domain"] = self.domain.zone
        return [key for key, host in values.items() if _EXAMPLE_DOMAIN.search(host)]

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def prefix(self) -> str:
        """Logical-name prefix of every resource; physical names get Pulumi's random suffix."""
        return f"copilot-{self.environment}"

    @property
    def az_count(self) -> int:
        return len(self.network.availability_zones)

    @property
    def nat_count(self) -> int:
        return self.az_count if self.network.nat_gateways == "perAz" else 1


def _field_error(key: str, message: str) -> PydanticCustomError:
    """Raised inside a model validator to blame one key rather than the whole section."""
    return PydanticCustomError(_NESTED_KEY_ERROR, "{message}", {"key": key, "message": message})


# The top-level keys of a stack file, in the `realtor-ai-copilot:` namespace: plain strings, and
# structured values (YAML maps, which Pulumi hands over as JSON).
STRING_KEYS = ("environment", "alarmEmail", "imageTag")
OBJECT_KEYS = ("network", "service", "database", "cache", "domain", "appEnvironment", "appSecrets")


class ConfigReader(Protocol):
    """The part of `pulumi.Config` the loader uses."""

    def get(self, key: str) -> str | None: ...

    def get_object(self, key: str) -> Any: ...


def parse_stack_config(values: Mapping[str, Any], region: str | None) -> StackConfig:
    """Validate raw config values (keys as in the stack file); raise `StackConfigError`."""
    data = {key: value for key, value in values.items() if value is not None}
    if region is None:
        raise StackConfigError("aws:region: missing; set it with `pulumi config set aws:region`")
    try:
        return StackConfig.model_validate({**data, "region": region})
    except ValidationError as exc:
        raise StackConfigError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """Problems joined by "; ", each led by its full key (`realtor-ai-copilot:cache.numNodes`)."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        location = [str(part) for part in error["loc"]]
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == _NESTED_KEY_ERROR:
            location.append(str(error.get("ctx", {})["key"]))
        key = ".".join(location)
        namespace = "aws" if key == "region" else PROJECT
        problems.append(f"{namespace}:{key}: {message}")
    return "; ".join(problems)


def load_stack_config(config: ConfigReader, region: str | None) -> StackConfig:
    """Read every known key of the project namespace (`pulumi.Config(PROJECT)`) and validate."""
    values: dict[str, Any] = {key: config.get(key) for key in STRING_KEYS}
    for key in OBJECT_KEYS:
        try:
            values[key] = config.get_object(key)
        except ValueError:  # pulumi.ConfigTypeError: not JSON, so not a YAML map either
            raise StackConfigError(f"{PROJECT}:{key}: must be a YAML map") from None
    return parse_stack_config(values, region)
