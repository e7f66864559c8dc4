""".env.production (a committed template) lists exactly the env contract, holds no secret, and
makes valid production settings once the secrets are filled in; `NAME=` means unset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from copilot_config import Environment, Settings, env_contract
from tests.harness import REPO_ROOT

PRODUCTION = REPO_ROOT / ".env.production"
CONTRACT = {variable.name: variable for variable in env_contract()}
SECRETS = sorted(name for name, variable in CONTRACT.items() if variable.secret)


def assignments(path: Path) -> list[tuple[str, str]]:
    text = path.read_text(encoding="utf-8")
    return re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE)


def test_lists_exactly_the_contract() -> None:
    names = [name for name, _ in assignments(PRODUCTION)]
    assert len(names) == len(set(names)), "a variable is listed twice"
    missing = sorted(set(CONTRACT) - set(names))
    unknown = sorted(set(names) - set(CONTRACT))
    assert not missing, f"add to .env.production (no secret values): {missing}"
    assert not unknown, f"not in the env contract: {unknown}"


@pytest.mark.parametrize("name", SECRETS)
def test_secrets_are_empty_and_say_they_come_from_secrets_manager(name: str) -> None:
    lines = PRODUCTION.read_text(encoding="utf-8").splitlines()
    index = lines.index(f"{name}=")  # ValueError here means a value was filled in
    assert "Secrets Manager" in lines[index - 1], f"say where {name} comes from"


def test_production_values_are_set_explicitly() -> None:
    values = dict(assignments(PRODUCTION))
    assert values["ENVIRONMENT"] == Environment.PRODUCTION.value
    assert values["DEBUG"] == "false"
    assert values["LOAD_SAMPLE_DATA"] == "false"
    assert values["HOST"] == "0.0.0.0"
    assert values["WORKERS"] == "4"


def test_with_its_secrets_filled_in_it_is_a_valid_production_configuration() -> None:
    settings = Settings(
        _env_file=PRODUCTION,
        database_url="postgresql://copilot:Zq8xW2vLm4@copilot-db.internal:5432/copilot",
        redis_url="rediss://:Tk93bVq7Pw1@copilot-cache.internal:6379/0",
    )
    assert settings.app.environment is Environment.PRODUCTION
    assert settings.openai.api_key is None  # `OPENAI_API_KEY=` is unset, not an empty key


@pytest.mark.parametrize("template", [".env.example", ".env.production"])
def test_empty_assignments_mean_unset(template: str) -> None:
    """Copying a template to .env (or compose's env_file) must not turn `NAME=` into ""."""
    settings = Settings(_env_file=REPO_ROOT / template, environment=Environment.DEVELOPMENT)
    for name, value in assignments(REPO_ROOT / template):
        if value == "" and CONTRACT[name].default is None:
            assert settings.by_variable()[name] in (None, []), name
