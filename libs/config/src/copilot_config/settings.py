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
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    database_timeout: float = Field(
        2.0,
        gt=0,
        le=60,
        description="Seconds a request waits on PostgreSQL (for a pooled connection, and for "
        "each reply) before it is answered 503 database_unavailable",
    )
    database_restart_attempts: int = Field(
        5,
        ge=1,
        le=100,
        description="Restarts (with backoff) of a dead embedded PostgreSQL before liveness "
        "fails so the process is replaced",
    )
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
    openai_base_url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible API (unset: api.openai.com); "
        "used for chat and embeddings",
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
    cache_embedding_ttl_seconds: int = Field(
        604_800, ge=1, description="Lifetime of a cached embedding (in-process and Redis)"
    )
    cache_prompt_ttl_seconds: int = Field(
        86_400, ge=1, description="Lifetime of a cached prompt response (in-process and Redis)"
    )


class LLMSection(BaseModel):
    openai_chat_model: str = Field(
        "gpt-4o-mini", min_length=1, description="Chat model for generated text"
    )
    llm_timeout_seconds: float = Field(
        20.0, gt=0, le=300, description="Timeout of one chat completion attempt"
    )
    llm_max_retries: int = Field(
        2, ge=0, le=10, description="Retries after a 429, 5xx, timeout or connection error"
    )
    llm_circuit_failure_threshold: int = Field(
        5, ge=1, description="Consecutive OpenAI failures that open the circuit breaker"
    )
    llm_circuit_reset_seconds: float = Field(
        30.0, gt=0, description="Seconds the breaker stays open before one trial call"
    )
    prompts_dir: Path = Field(
        Path("prompts"), description="Folder of versioned prompt templates (YAML)"
    )


class ExperimentsSection(BaseModel):
    experiments_file: Path = Field(
        Path("experiments.yaml"), description="A/B experiments definition file (YAML)"
    )


class WorkflowsSection(BaseModel):
    workflows_dir: Path = Field(
        Path("workflows"), description="Folder of declarative workflow definitions (YAML)"
    )
    session_ttl_seconds: int = Field(
        86_400, ge=60, le=2_592_000, description="Idle lifetime of a conversation session"
    )


class ListingsSection(BaseModel):
    embedding_provider: Literal["auto", "local", "openai"] = Field(
        "auto",
        description="Listing embeddings: auto (OpenAI when OPENAI_API_KEY is set, else local), "
        "local (offline feature hashing) or openai",
    )
    embedding_model: str = Field(
        "text-embedding-3-small", min_length=1, description="OpenAI embedding model"
    )
    embedding_dimensions: int = Field(
        384,
        ge=16,
        le=2000,
        description="Embedding dimensions (both providers; changing it needs "
        "`copilot listings reembed`)",
    )
    query_parser: Literal["auto", "rules", "openai"] = Field(
        "auto",
        description="Search query parser: auto (OpenAI structured outputs when OPENAI_API_KEY "
        "is set, rules otherwise), rules or openai; OpenAI failures fall back to rules",
    )
    query_parser_timeout_seconds: float = Field(
        4.0, gt=0, le=60, description="Timeout of one OpenAI query-parsing call"
    )
    listings_ingest_batch_size: int = Field(
        1_000, ge=1, le=20_000, description="Listings per ingest transaction (and embedding batch)"
    )
    listings_bulk_max_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest accepted body of POST /api/listings, in bytes",
    )

    @model_validator(mode="after")
    def _check_openai_choices(self) -> Self:
        has_key = getattr(self, "openai_api_key", None) is not None
        if self.embedding_provider == "openai" and not has_key:
            raise ValueError("EMBEDDING_PROVIDER=openai requires OPENAI_API_KEY")
        if self.query_parser == "openai" and not has_key:
            raise ValueError("QUERY_PARSER=openai requires OPENAI_API_KEY")
        return self


_ORIGIN_PATTERN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def _split_comma_list(value: Any) -> Any:
    """Environment values are comma-separated (`a, b`); Python callers may pass a sequence."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class SecuritySection(BaseModel):
    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = Field(
        (),
        description="Comma-separated CIDRs of reverse proxies (ALB, nginx) whose X-Forwarded-For "
        "is believed; empty: the client IP is the socket peer",
    )
    cors_allow_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated browser origins allowed by CORS (https://app.example.com); "
        "empty: CORS off",
    )
    max_request_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body in bytes (routes such as bulk ingest declare their own)",
    )
    max_query_string_length: int = Field(
        4096, ge=256, le=65_536, description="Longest query string in characters (414 beyond)"
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        return _split_comma_list(value)

    @field_validator("cors_allow_origins", mode="before")
    @classmethod
    def _check_origins(cls, value: Any) -> Any:
        origins = _split_comma_list(value)
        for origin in origins if isinstance(origins, tuple | list) else ():
            if not isinstance(origin, str) or not _ORIGIN_PATTERN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin (scheme://host[:port], no path or wildcard)"
                )
        return origins


def _empty_as_none(value: Any) -> Any:
    """`LOG_FILE=` in a .env file means unset, not the current directory."""
    return None if isinstance(value, str) and not value.strip() else value


class ObservabilitySection(BaseModel):
    log_format: Literal["auto", "json", "console"] = Field(
        "auto",
        description="Log lines: json, console (readable) or auto (console in development, "
        "JSON elsewhere)",
    )
    log_file: Path | None = Field(
        None,
        description="Also append JSON log lines to this file, rotated by size (safe with "
        "several workers); unset: stderr only",
    )
    log_file_max_bytes: int = Field(
        104_857_600, ge=1024, description="Size in bytes at which LOG_FILE is rotated"
    )
    log_file_backup_count: int = Field(
        10, ge=0, le=1000, description="Rotated copies of LOG_FILE kept"
    )
    metrics_enabled: bool = Field(
        True,
        description="Record metrics and serve /metrics; false switches the instrumentation off",
    )
    metrics_multiprocess_dir: Path | None = Field(
        None,
        description="Where each worker writes its metrics so /metrics sums every worker; unset: "
        "`copilot serve` uses DATA_DIR/metrics/<its pid>",
    )
    metrics_flush_interval_seconds: float = Field(
        1.0,
        ge=0.05,
        le=60,
        description="How often a worker writes its metrics for the others (totals over workers "
        "are exact once this long has passed)",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        description="OTLP/HTTP collector base URL (http://collector:4318) for traces; unset: "
        "tracing off",
    )
    traces_sample_ratio: float = Field(
        1.0, ge=0, le=1, description="Share of new traces sampled (a caller's decision is kept)"
    )

    @field_validator(
        "log_file", "metrics_multiprocess_dir", "otel_exporter_otlp_endpoint", mode="before"
    )
    @classmethod
    def _unset_when_empty(cls, value: Any) -> Any:
        return _empty_as_none(value)

    @field_validator("otel_exporter_otlp_endpoint")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s):// URL")
        return value


class Settings(
    AppSection,
    ServerSection,
    DatabaseSection,
    RedisSection,
    OpenAISection,
    RateLimitSection,
    CacheSection,
    LLMSection,
    ExperimentsSection,
    WorkflowsSection,
    ListingsSection,
    SecuritySection,
    ObservabilitySection,
    BaseSettings,
):
    """All settings. Build with `load_settings()` (or directly in tests), never at import time."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
        # `NAME=` (as in .env.example, .env.production and compose env files) means unset.
        env_ignore_empty=True,
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
