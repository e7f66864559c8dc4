"""The env contract is the single source: `.env.example` and the README table must match it."""

from __future__ import annotations

import re

from copilot_config import env_contract, markdown_table
from tests.harness import REPO_ROOT

SEED_VARIABLES = {
    "APP_NAME",
    "ENVIRONMENT",
    "DEBUG",
    "LOG_LEVEL",
    "HOST",
    "PORT",
    "WORKERS",
    "DATABASE_URL",
    "REDIS_URL",
    "OPENAI_API_KEY",
    "RATE_LIMIT_REQUESTS_PER_MINUTE",
    "RATE_LIMIT_REQUESTS_PER_HOUR",
    "CACHE_EMBEDDING_SIZE",
    "CACHE_PROMPT_SIZE",
    "DATA_DIR",
    "LOAD_SAMPLE_DATA",
}


def _names_in_env_file(name: str) -> list[str]:
    text = (REPO_ROOT / name).read_text(encoding="utf-8")
    return re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE)


def test_contract_keeps_the_seed_names() -> None:
    names = {variable.name for variable in env_contract()}
    assert names >= SEED_VARIABLES


def test_contract_names_are_unique_and_described() -> None:
    variables = env_contract()
    assert len({v.name for v in variables}) == len(variables)
    assert all(v.description for v in variables)


def test_secrets_are_flagged() -> None:
    secrets = {v.name for v in env_contract() if v.secret}
    assert {"DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY"} <= secrets


def test_env_example_lists_exactly_the_contract() -> None:
    listed = _names_in_env_file(".env.example")
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    assert set(listed) == {v.name for v in env_contract()}


def test_env_example_holds_no_secret_values() -> None:
    text = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    for variable in env_contract():
        if variable.secret:
            assert re.search(rf"^{variable.name}=$", text, flags=re.MULTILINE)


def test_readme_configuration_table_is_generated_from_the_contract() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "run `make docs` to regenerate the README table"
