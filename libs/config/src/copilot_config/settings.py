"""Application settings: one model per section, read from the environment and `.env`.

Every field's environment variable is its name in upper case (`database_url` -> `DATABASE_URL`),
so the names stay those of the original `.env.production`. Sections are plain models combined into
one `Settings`; a capability that needs variables adds a section here, never in its own package,
so the platform can render every variable from `env_contract()`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"

    @property
    def is_deployed(self) -> bool:
        """Staging and production run on managed services and refuse embedded defaults."""
        return self in (Environment.STAGING, Environment.PRODUCTION)


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

# Values copied from templates rather than real secrets; refused outside development and test.
_PLACEHOLDER_PATTERN = re.compile(
    r"(change[-_]?me|placeholder|your[-_]|example|xxx|<[^>]*>|^sk-\.\.\.|^dummy|^secret$|^password$)",
    re.IGNORECASE,
)


class AppSection(BaseModel):
    app_name: str = Field(
        "realtor-ai-copilot", min_length=1, description="Service name in logs, metrics and traces"
    )
    environment: Environment = Field(
        Environment.DEVELOPMENT, description="development, test, staging or production"
    )
    debug: bool = Field(
        False, description="Verbose errors; must be false in staging and production"
    )
    log_level: LogLevel = Field("INFO", description="Lowest log level written")
    data_dir: Path = Field(
        Path(".data"), description="Where the embedded database and local logs live"
    )


class ServerSection(BaseModel):
    host: str = Field("127.0.0.1", min_length=1, description="Interface the HTTP server binds to")
    port: int = Field(8000, ge=1, le=65535, description="TCP port of the HTTP server")
    workers: int = Field(
        1, ge=1, le=64, description="uvicorn worker processes (4 in the container)"
    )


class DatabaseSection(BaseModel):
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL (postgresql://user:pass@host:5432/db); unset in development "
        "or test starts an embedded PostgreSQL under DATA_DIR",
    )
    database_pool_min_size: int = Field(
        1, ge=0, le=100, description="Connections kept open per worker"
    )
    database_pool_max_size: int = Field(10, ge=1, le=200, description="Most connections per worker")
    load_sample_data: bool | None = Field(
        None,
        description="Load the bundled sample listings when the table is empty "
        "(default: true in development, false elsewhere)",
    )


class RedisSection(BaseModel):
    redis_url: SecretStr | None = Field(
        None,
        description="Redis URL (redis:// or rediss://); unset uses in-process caches, "
        "sessions and rate limits",
    )


class OpenAISection(BaseModel):
    openai_api_key: SecretStr | None = Field(
        None, description="OpenAI API key; unset uses the local offline AI provider"
    )


class RateLimitSection(BaseModel):
    rate_limit_requests_per_minute: int = Field(
        60, ge=1, description="Requests per API key per minute"
    )
    rate_limit_requests_per_hour: int = Field(
        1000, ge=1, description="Requests per API key per hour"
    )


class CacheSection(BaseModel):
    cache_embedding_size: int = Field(
        10_000, ge=0, description="Entries in the in-process embedding cache"
    )
    cache_prompt_size: int = Field(
        1_000, ge=0, description="Entries in the in-process prompt/response cache"
    )


class Settings(
    AppSection,
    ServerSection,
    DatabaseSection,
    RedisSection,
    OpenAISection,
    RateLimitSection,
    CacheSection,
    BaseSettings,
):
    """All settings. Build with `load_settings()` (or directly in tests), never at import time."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
    )

    @property
    def sample_data_enabled(self) -> bool:
        if self.load_sample_data is None:
            return self.environment is Environment.DEVELOPMENT
        return self.load_sample_data

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @model_validator(mode="after")
    def _check_environment_rules(self) -> Self:
        if self.database_pool_min_size > self.database_pool_max_size:
            raise ValueError(
                "DATABASE_POOL_MIN_SIZE must not exceed DATABASE_POOL_MAX_SIZE "
                f"({self.database_pool_min_size} > {self.database_pool_max_size})"
            )
        if not self.environment.is_deployed:
            return self
        env = self.environment.value
        if self.database_url is None:
            raise ValueError(f"DATABASE_URL is required when ENVIRONMENT={env}")
        if self.redis_url is None:
            raise ValueError(f"REDIS_URL is required when ENVIRONMENT={env}")
        if self.debug:
            raise ValueError(f"DEBUG must be false when ENVIRONMENT={env}")
        if self.load_sample_data:
            raise ValueError(f"LOAD_SAMPLE_DATA must be false when ENVIRONMENT={env}")
        for name in secret_field_names(type(self)):
            value = getattr(self, name)
            if isinstance(value, SecretStr) and is_placeholder(value.get_secret_value()):
                raise ValueError(
                    f"{name.upper()} looks like a placeholder, not a real secret "
                    f"(refused when ENVIRONMENT={env})"
                )
        return self


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER_PATTERN.search(value))


def secret_field_names(model: type[BaseModel]) -> list[str]:
    return [
        name
        for name, field in model.model_fields.items()
        if field.annotation is not None and "SecretStr" in str(field.annotation)
    ]


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable and the problem."""


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and `.env`, turning validation errors into one line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        location = [str(part) for part in error["loc"] if part != "__root__"]
        message = error["msg"].removeprefix("Value error, ")
        if location:
            problems.append(f"{location[0].upper()}: {message}")
        else:
            problems.append(message)
    return "; ".join(problems)
