"""Secrets and the container environment rendered from the env contract (6-7)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from copilot_config import env_contract
from copilot_platform.policies.base import (
    EXTRA_CONTAINER_SECRETS,
    KMS_KEY,
    SECRET,
    TASK_DEFINITION,
    Inputs,
    Policy,
    StackFacts,
    container,
    of_type,
    resource_policy,
    stack_policy,
)


def _kms_rotation(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("enableKeyRotation"):
        yield "KMS key without automatic rotation"


def _secret_kms(inputs: Inputs) -> Iterable[str]:
    if not str(inputs.get("kmsKeyId", "")).startswith("arn:aws:kms:"):
        yield f"secret {inputs.get('name')} not encrypted with the stack's KMS key"


def _secrets_stored(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
    """Every contract secret the container gets has its own Secrets Manager secret."""
    names = [str(secret.get("name", "")) for secret in of_type(resources, SECRET)]
    for task in of_type(resources, TASK_DEFINITION):
        for secret in container(task).get("secrets", []):
            if secret.get("name") in EXTRA_CONTAINER_SECRETS:
                continue
            value_from = str(secret.get("valueFrom", ""))
            if not any(
                name.endswith(f"/{secret.get('name')}") and f":secret:{name}-" in value_from
                for name in names
            ):
                yield f"{secret.get('name')} has no Secrets Manager secret of its own"


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
        "HOST": "0.0.0.0",  # noqa: S104 - the container must listen on its interface
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


def policies(facts: StackFacts) -> list[Policy]:
    r, s = resource_policy, stack_policy
    return [
        r("kms-rotation", "6 secrets: KMS key with rotation", KMS_KEY, _kms_rotation),
        r("secrets-kms", "6 secrets: under the KMS key", SECRET, _secret_kms),
        s(
            "secrets-stored",
            "6 secrets: OPENAI_API_KEY, DATABASE_URL, REDIS_URL in Secrets Manager",
            _secrets_stored,
        ),
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
    ]
