from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from copilot_config import (
    Environment,
    ServerSection,
    Settings,
    SettingsError,
    env_contract,
    load_settings,
)
from tests.harness import definition_paths

DEPLOYED_OK = {
    "database_url": "postgresql://copilot:Zx9-long-random@db.internal:5432/copilot",
    "redis_url": "rediss://:Q7-long-random@cache.internal:6379/0",
}


def build(**values: object) -> Settings:
    return load_settings(_env_file=None, **values)


def test_defaults_suit_a_laptop() -> None:
    settings = build()
    assert settings.app.environment is Environment.DEVELOPMENT
    assert settings.database.uses_embedded
    assert settings.sample_data_enabled
    assert settings.app.data_dir == Path(".data")
    assert (settings.server.port, settings.server.workers) == (8000, 1)


def test_sample_data_defaults_off_outside_development() -> None:
    assert not build(environment="test").sample_data_enabled
    assert build(environment="test", load_sample_data=True).sample_data_enabled


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_deployed_environments_accept_real_values(environment: str) -> None:
    settings = build(environment=environment, **DEPLOYED_OK)
    assert settings.app.environment.is_deployed
    assert not settings.database.uses_embedded


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"redis_url": DEPLOYED_OK["redis_url"]},
            "DATABASE_URL is required when ENVIRONMENT=production",
        ),
        (
            {"database_url": DEPLOYED_OK["database_url"]},
            "REDIS_URL is required when ENVIRONMENT=production",
        ),
        ({**DEPLOYED_OK, "debug": True}, "DEBUG must be false when ENVIRONMENT=production"),
        ({**DEPLOYED_OK, "load_sample_data": True}, "LOAD_SAMPLE_DATA must be false"),
        (
            {**DEPLOYED_OK, "openai_api_key": "your-openai-api-key"},
            "OPENAI_API_KEY looks like a placeholder",
        ),
        (
            {**DEPLOYED_OK, "database_url": "postgresql://u:changeme@db:5432/x"},
            "DATABASE_URL looks like a placeholder",
        ),
    ],
)
def test_production_rules(values: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        build(environment="production", **values)


def test_placeholders_are_fine_in_development() -> None:
    assert build(openai_api_key="your-openai-api-key").openai.api_key is not None


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"port": "http"}, "PORT"),
        ({"port": 70000}, "PORT"),
        ({"workers": 0}, "WORKERS"),
        ({"environment": "prod"}, "ENVIRONMENT"),
        ({"log_level": "LOUD"}, "LOG_LEVEL"),
        ({"rate_limit_requests_per_minute": -1}, "RATE_LIMIT_REQUESTS_PER_MINUTE"),
    ],
)
def test_invalid_values_name_their_variable(values: dict[str, object], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        build(**values)
    assert str(caught.value).startswith(f"{variable}: ")


def test_pool_bounds_are_consistent() -> None:
    with pytest.raises(SettingsError, match="DATABASE_POOL_MIN_SIZE must not exceed"):
        build(database_pool_min_size=5, database_pool_max_size=2)


def test_secrets_never_appear_in_repr_or_dump() -> None:
    settings = build(
        openai_api_key="sk-live-abcdef123456", database_url="postgresql://u:pw-123@h/d"
    )
    assert isinstance(settings.openai.api_key, SecretStr)
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "sk-live-abcdef123456" not in text
        assert "pw-123" not in text


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=9123\nAPP_NAME=from-dotenv\n")
    settings = load_settings(_env_file=env_file)
    assert (settings.server.port, settings.app.name) == (9123, "from-dotenv")


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copilot_api", *args],
        capture_output=True,
        text=True,
        env={**definition_paths(), **env},
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "eighty"}, "copilot: error: PORT: Input should be a valid integer"),
        (
            {"ENVIRONMENT": "production"},
            "copilot: error: DATABASE_URL is required when ENVIRONMENT=production",
        ),
        ({"WORKERS": "0"}, "copilot: error: WORKERS: Input should be greater than or equal to 1"),
    ],
)
def test_cli_reports_one_line_and_exit_2(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    result = _cli("config", "check", env={"PATH": "/usr/bin:/bin", **env}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(expected)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_config_show_masks_secrets(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-test-secret-value", "PORT": "8123"}
    result = _cli("config", "show", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sk-test-secret-value" not in result.stdout
    assert '"OPENAI_API_KEY": "**********"' in result.stdout
    assert '"PORT": 8123' in result.stdout


def test_cli_config_check_passes_for_valid_settings(tmp_path: Path) -> None:
    result = _cli("config", "check", env={"PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert result.returncode == 0
    assert "configuration is valid for ENVIRONMENT=development" in result.stdout


def test_variables_land_in_their_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_REQUESTS_PER_MINUTE", "7")
    monkeypatch.setenv("query_parser", "rules")  # names are case-insensitive, like the env
    settings = build(database_url="postgresql://u:pw-123@h/d", port=9001)
    assert settings.security.rate_limit_per_minute == 7
    assert settings.listings.query_parser == "rules"
    assert settings.database.url is not None
    assert settings.database.url.get_secret_value() == "postgresql://u:pw-123@h/d"
    assert settings.server.port == 9001


def test_a_keyword_beats_the_environment_and_a_whole_section_beats_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "7000")
    assert build().server.port == 7000
    assert build(port=7001).server.port == 7001
    assert build(port=7001, server=ServerSection(port=7002)).server.port == 7002
    # A section given as a dict of field names is completed from the variables.
    merged = build(workers=3, server={"port": 7003})
    assert (merged.server.port, merged.server.workers) == (7003, 3)


def test_errors_in_a_section_name_the_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        build(server={"port": 0})
    assert str(caught.value).startswith("PORT: ")


def test_by_variable_lists_every_contract_variable_with_secrets_masked() -> None:
    values = build(openai_api_key="sk-live-abcdef123456").by_variable()
    assert set(values) == {variable.name for variable in env_contract()}
    assert values["OPENAI_API_KEY"] == "**********"
    assert values["PORT"] == 8000


def test_sections_are_frozen() -> None:
    settings = build()
    with pytest.raises(ValidationError):
        settings.server.port = 1  # type: ignore[misc]
