"""The API container: its environment and secrets rendered from the shared env contract.

`copilot_config.env_contract()` lists every variable the service reads and which are secret. The
platform never hard-codes that list: secret variables reach the container only through ECS
`secrets` (valueFrom Secrets Manager), every other value through `environment`. The platform owns
the few values that describe where the container runs; operators tune the rest per stack with
`appEnvironment` (plain) and `appSecrets` (`pulumi config set --secret`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from copilot_config import EnvVar, Settings, env_contract
from copilot_config.health import HEALTH_PATH
from copilot_config.settings import describe_validation_error, is_placeholder
from copilot_platform.config import PROJECT, StackConfig, StackConfigError
from copilot_platform.database import database_url

CONTAINER_NAME = "api"
TMP_VOLUME = "tmp"
TMP_PATH = "/tmp"  # noqa: S108  # nosec B108 - the container's own scratch volume, not a host path
DEFAULT_WORKERS = 4

# Secrets the platform assembles from the infrastructure it creates.
INFRASTRUCTURE_SECRETS = ("DATABASE_URL", "REDIS_URL")
# libpq reads the database password from PGPASSWORD when DATABASE_URL carries none: it comes
# straight from the RDS-managed master secret, so RDS can rotate it without a redeploy.
DATABASE_PASSWORD_VARIABLE = "PGPASSWORD"  # noqa: S105 - a variable name, not a value


@dataclass(frozen=True, slots=True)
class ContainerEnvPlan:
    """What the container gets: plain values, and the names of contract secrets to inject."""

    environment: Mapping[str, str]
    secrets: tuple[str, ...]

    def environment_entries(self) -> list[dict[str, str]]:
        return [
            {"name": name, "value": self.environment[name]} for name in sorted(self.environment)
        ]


def platform_environment(stack: StackConfig) -> dict[str, str]:
    """Values fixed by where the container runs; `appEnvironment` cannot override them."""
    return {
        "ENVIRONMENT": stack.environment,
        "HOST": "0.0.0.0",  # noqa: S104  # nosec B104 - the task's own network namespace, behind the ALB
        "PORT": str(stack.service.container_port),
        "DEBUG": "false",
        "LOAD_SAMPLE_DATA": "false",
        # The root filesystem is read-only: anything the service writes goes to the tmp volume.
        "DATA_DIR": f"{TMP_PATH}/copilot",
        # Only the ALB (in the public subnets) reaches the tasks: believe its X-Forwarded-For.
        "TRUSTED_PROXIES": ",".join(stack.network.subnet_cidrs(0)),
    }


def platform_defaults() -> dict[str, str]:
    """Values the platform chooses but a stack may override with `appEnvironment`."""
    return {"WORKERS": str(DEFAULT_WORKERS)}


def plan_container_env(
    stack: StackConfig, contract: Sequence[EnvVar] | None = None
) -> ContainerEnvPlan:
    """Validate the stack's app settings against the contract and decide what goes where."""
    variables = {variable.name: variable for variable in (contract or env_contract())}
    owned = platform_environment(stack)
    for name in [*owned, *platform_defaults(), *INFRASTRUCTURE_SECRETS]:
        if name not in variables:
            raise StackConfigError(
                f"the env contract no longer defines {name}; update copilot_platform.container"
            )
    for name in owned:
        if variables[name].secret:
            raise StackConfigError(f"the env contract marks {name} secret; it cannot be plain")

    _check_app_environment(stack, variables, owned)
    _check_app_secrets(stack, variables)

    environment = {**platform_defaults(), **stack.app_environment, **owned}
    secrets = tuple(
        name
        for name, variable in variables.items()
        if variable.secret and (name in INFRASTRUCTURE_SECRETS or name in stack.app_secrets)
    )
    _check_required(stack, variables, environment, secrets)
    _validate_with_settings(stack, environment, secrets)
    return ContainerEnvPlan(environment=environment, secrets=secrets)


def _check_app_environment(
    stack: StackConfig, variables: Mapping[str, EnvVar], owned: Mapping[str, str]
) -> None:
    for name in stack.app_environment:
        key = f"{PROJECT}:appEnvironment.{name}"
        if name not in variables:
            raise StackConfigError(f"{key}: not a variable of the env contract")
        if variables[name].secret:
            raise StackConfigError(
                f"{key}: {name} is a secret; set it with "
                f"`pulumi config set --secret --path appSecrets.{name}`"
            )
        if name in owned:
            raise StackConfigError(f"{key}: set by the platform ({owned[name]}), not per stack")


def _check_app_secrets(stack: StackConfig, variables: Mapping[str, EnvVar]) -> None:
    for name, value in stack.app_secrets.items():
        key = f"{PROJECT}:appSecrets.{name}"
        if name not in variables:
            raise StackConfigError(f"{key}: not a variable of the env contract")
        if not variables[name].secret:
            raise StackConfigError(f"{key}: {name} is not a secret; use appEnvironment")
        if name in INFRASTRUCTURE_SECRETS:
            raise StackConfigError(f"{key}: assembled by the platform from its own resources")
        if is_placeholder(value.get_secret_value()):
            raise StackConfigError(f"{key}: looks like a placeholder, not a real secret")


def _check_required(
    stack: StackConfig,
    variables: Mapping[str, EnvVar],
    environment: Mapping[str, str],
    secrets: Sequence[str],
) -> None:
    for name, variable in variables.items():
        required = any(env.value == stack.environment for env in variable.required_in)
        if required and name not in environment and name not in secrets:
            section = "appSecrets" if variable.secret else "appEnvironment"
            raise StackConfigError(
                f"{PROJECT}:{section}.{name}: required when ENVIRONMENT={stack.environment}"
            )


class _ContainerSettings(Settings):
    """`Settings` fed only by the values given: the operator's shell and `.env` stay out."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def _validate_with_settings(
    stack: StackConfig, environment: Mapping[str, str], secrets: Sequence[str]
) -> None:
    """Run the service's own validation on what the container will see, at preview time."""
    stand_ins = {
        "DATABASE_URL": database_url(stack.database, "database.internal"),
        "REDIS_URL": "rediss://:0123456789abcdef0123456789abcdef@cache.internal:6379/0",
    }
    values: dict[str, Any] = {name.lower(): value for name, value in environment.items()}
    for name in secrets:
        secret = stack.app_secrets.get(name)
        values[name.lower()] = secret.get_secret_value() if secret else stand_ins[name]
    try:
        _ContainerSettings(**values)
    except ValidationError as exc:
        raise StackConfigError(
            f"{PROJECT}:appEnvironment: the service would refuse this configuration: "
            f"{describe_validation_error(exc)}"
        ) from None


def health_check_command(port: int) -> list[str]:
    """Python is always in the image; curl may not be. urlopen raises on non-2xx, exiting 1."""
    url = f"http://127.0.0.1:{port}{HEALTH_PATH}"
    return [
        "CMD",
        "python",
        "-c",
        f"import urllib.request; urllib.request.urlopen({url!r}, timeout=4)",
    ]


def container_definitions(
    *,
    image: str,
    port: int,
    region: str,
    log_group: str,
    plan: ContainerEnvPlan,
    secret_arns: Mapping[str, str],
    extra_secrets: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The task's container definitions (ECS JSON). Every argument is a resolved value."""
    missing = set(plan.secrets) - set(secret_arns)
    if missing:
        raise ValueError(f"no Secrets Manager ARN for {sorted(missing)}")
    clashes = set(extra_secrets) & (set(plan.secrets) | set(plan.environment))
    if clashes:
        raise ValueError(f"extra secrets shadow contract variables: {sorted(clashes)}")
    secrets = [{"name": name, "valueFrom": secret_arns[name]} for name in sorted(plan.secrets)]
    secrets += [{"name": name, "valueFrom": extra_secrets[name]} for name in sorted(extra_secrets)]
    return [
        {
            "name": CONTAINER_NAME,
            "image": image,
            "essential": True,
            "portMappings": [
                {"name": "http", "containerPort": port, "hostPort": port, "protocol": "tcp"}
            ],
            "environment": plan.environment_entries(),
            "secrets": secrets,
            "readonlyRootFilesystem": True,
            "mountPoints": [
                {"sourceVolume": TMP_VOLUME, "containerPath": TMP_PATH, "readOnly": False}
            ],
            "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
            "healthCheck": {
                "command": health_check_command(port),
                "interval": 30,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 60,
            },
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": CONTAINER_NAME,
                    # A slow CloudWatch must not block the event loop writing logs.
                    "mode": "non-blocking",
                    "max-buffer-size": "25m",
                },
            },
            "stopTimeout": 30,
            "ulimits": [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}],
        }
    ]
