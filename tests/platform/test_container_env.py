"""The container's environment and secrets, rendered from the env contract (not a copy of it)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from copilot_config import Environment, EnvVar, env_contract
from copilot_platform.config import PROJECT, StackConfig, StackConfigError, parse_stack_config
from copilot_platform.container import (
    INFRASTRUCTURE_SECRETS,
    ContainerEnvPlan,
    container_definitions,
    plan_container_env,
)
from copilot_platform.database import database_url


def _stack(environment: str = "staging", **overrides: Any) -> StackConfig:
    values: dict[str, Any] = {
        "environment": environment,
        "alarmEmail": "oncall@copilot.dev",
        "network": {"availabilityZones": ["us-east-1a", "us-east-1b"]},
    }
    if environment == "production":
        values |= {
            "network": {"availabilityZones": ["us-east-1a", "us-east-1b"], "natGateways": "perAz"},
            "service": {"minCapacity": 2, "desiredCount": 2},
            "database": {"backupRetentionDays": 7},
            "cache": {"numNodes": 2, "snapshotRetentionDays": 1},
            "domain": {"name": "copilot.realtor.dev", "zone": "realtor.dev"},
        }
    values |= overrides
    return parse_stack_config(values, "us-east-1")


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_every_contract_variable_lands_on_the_right_side(environment: str) -> None:
    plan = plan_container_env(
        _stack(environment, appSecrets={"OPENAI_API_KEY": "sk-proj-A1b2C3d4"})
    )
    for variable in env_contract():
        if variable.secret:
            assert variable.name not in plan.environment, variable.name
        else:
            assert variable.name not in plan.secrets, variable.name
        if any(env.value == environment for env in variable.required_in):
            assert variable.name in plan.environment or variable.name in plan.secrets
    assert set(plan.secrets) == {*INFRASTRUCTURE_SECRETS, "OPENAI_API_KEY"}
    assert plan.environment["ENVIRONMENT"] == environment
    assert plan.environment["WORKERS"] == "4"
    assert plan.environment["HOST"] == "0.0.0.0"
    assert plan.environment["PORT"] == "8000"
    assert plan.environment["LOAD_SAMPLE_DATA"] == "false"


def test_port_follows_the_stack_and_workers_can_be_tuned() -> None:
    plan = plan_container_env(
        _stack(
            service={"containerPort": 9000}, appEnvironment={"WORKERS": "8", "LOG_LEVEL": "WARNING"}
        )
    )
    assert plan.environment["PORT"] == "9000"
    assert plan.environment["WORKERS"] == "8"
    assert plan.environment["LOG_LEVEL"] == "WARNING"


def _contract_with(*extra: EnvVar) -> list[EnvVar]:
    return [*env_contract(), *extra]


SIGNING_KEY = EnvVar(
    name="SIGNING_KEY",
    type="secret",
    default=None,
    secret=True,
    required_in=(Environment.PRODUCTION,),
    description="added by another capability",
    section="security",
    attribute="security.signing_key",
)


def test_a_new_secret_in_the_contract_is_rendered_without_platform_changes() -> None:
    contract = _contract_with(replace(SIGNING_KEY, required_in=()))
    plan = plan_container_env(_stack(appSecrets={"SIGNING_KEY": "Zk8q1LmN4pR7sT0v"}), contract)
    assert "SIGNING_KEY" in plan.secrets
    assert "SIGNING_KEY" not in plan.environment
    # Unset and optional: simply not injected; the service falls back to its default.
    assert "SIGNING_KEY" not in plan_container_env(_stack(), contract).secrets


def test_a_new_required_secret_must_be_provided() -> None:
    with pytest.raises(StackConfigError, match=rf"{PROJECT}:appSecrets\.SIGNING_KEY: required"):
        plan_container_env(_stack("production"), _contract_with(SIGNING_KEY))


def test_a_new_plain_variable_can_be_set_per_stack() -> None:
    flag = EnvVar("FEATURE_X", "bool", "false", False, (), "a flag", "features", "features.x")
    plan = plan_container_env(_stack(appEnvironment={"FEATURE_X": "true"}), _contract_with(flag))
    assert plan.environment["FEATURE_X"] == "true"


def test_contract_drift_is_reported() -> None:
    contract = [variable for variable in env_contract() if variable.name != "PORT"]
    with pytest.raises(StackConfigError, match="no longer defines PORT"):
        plan_container_env(_stack(), contract)


@pytest.mark.parametrize(
    ("settings", "key", "message"),
    [
        (
            {"appEnvironment": {"NOT_A_SETTING": "1"}},
            "appEnvironment.NOT_A_SETTING",
            "not a variable",
        ),
        ({"appEnvironment": {"REDIS_URL": "redis://x"}}, "appEnvironment.REDIS_URL", "is a secret"),
        (
            {"appEnvironment": {"ENVIRONMENT": "production"}},
            "appEnvironment.ENVIRONMENT",
            "set by the platform",
        ),
        ({"appEnvironment": {"HOST": "127.0.0.1"}}, "appEnvironment.HOST", "set by the platform"),
        ({"appSecrets": {"NOPE": "x"}}, "appSecrets.NOPE", "not a variable"),
        ({"appSecrets": {"LOG_LEVEL": "DEBUG"}}, "appSecrets.LOG_LEVEL", "not a secret"),
        (
            {"appSecrets": {"DATABASE_URL": "postgresql://a:b@c/d"}},
            "appSecrets.DATABASE_URL",
            "assembled by the platform",
        ),
        (
            {"appSecrets": {"OPENAI_API_KEY": "changeme"}},
            "appSecrets.OPENAI_API_KEY",
            "placeholder",
        ),
    ],
)
def test_bad_app_settings_name_their_key(settings: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(StackConfigError) as caught:
        plan_container_env(_stack(**settings))
    assert str(caught.value).startswith(f"{PROJECT}:{key}: "), str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("LOG_LEVEL", "LOUD"), ("WORKERS", "0"), ("RATE_LIMIT_REQUESTS_PER_MINUTE", "many")],
)
def test_values_the_service_would_refuse_fail_at_preview(variable: str, value: str) -> None:
    with pytest.raises(StackConfigError) as caught:
        plan_container_env(_stack(appEnvironment={variable: value}))
    assert str(caught.value).startswith(f"{PROJECT}:appEnvironment: ")
    assert f"{variable}: " in str(caught.value)


def _definition(plan: ContainerEnvPlan, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "image": "repo@sha256:abc",
        "port": 8000,
        "region": "us-east-1",
        "log_group": "/copilot/staging/api",
        "plan": plan,
        "secret_arns": {
            name: f"arn:aws:secretsmanager:us-east-1:1:secret:{name}" for name in plan.secrets
        },
        "extra_secrets": {"PGPASSWORD": "arn:aws:secretsmanager:us-east-1:1:secret:rds:password::"},
    }
    arguments.update(overrides)
    (definition,) = container_definitions(**arguments)
    return definition


def test_container_definition_is_valid_ecs_json() -> None:
    plan = plan_container_env(_stack())
    definition = json.loads(json.dumps(_definition(plan)))
    assert definition["readonlyRootFilesystem"] is True
    assert [m["containerPath"] for m in definition["mountPoints"]] == ["/tmp"]
    assert definition["environment"] == sorted(definition["environment"], key=lambda e: e["name"])
    assert {s["name"] for s in definition["secrets"]} == {*plan.secrets, "PGPASSWORD"}
    assert definition["healthCheck"]["command"][:2] == ["CMD", "python"]
    assert "http://127.0.0.1:8000/health'" in definition["healthCheck"]["command"][-1]


def test_container_definition_refuses_a_secret_without_an_arn() -> None:
    plan = plan_container_env(_stack())
    with pytest.raises(ValueError, match="no Secrets Manager ARN"):
        _definition(plan, secret_arns={})


def test_extra_secrets_cannot_shadow_contract_variables() -> None:
    plan = plan_container_env(_stack())
    with pytest.raises(ValueError, match="shadow"):
        _definition(plan, extra_secrets={"PORT": "arn:aws:secretsmanager:x"})


def test_the_stand_in_database_url_is_the_one_the_platform_renders() -> None:
    """Preview validation and the deployed secret share `database_url` (names and port)."""
    config = _stack(database={"name": "listings", "username": "svc"}).database
    assert database_url(config, "db.internal") == (
        "postgresql://svc@db.internal:5432/listings?sslmode=require"
    )
