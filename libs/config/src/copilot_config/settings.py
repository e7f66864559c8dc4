"""Application settings: one section model per concern, read from the environment and `.env`.

`Settings` nests the sections (`settings.database`, `settings.listings`, ...); each field names
its environment variable once, as its alias (`DatabaseSection.url` <- `DATABASE_URL`), so the
variable names stay those of the original `.env.production` while the code reads
`settings.database.url`. A capability that needs variables adds a field to a section here, never
in its own package, so the platform can render every variable from `env_contract()`. The app
factory hands each plugin its own section, never the whole `Settings`.

Values can also be given by variable name (`Settings(database_url=...)`, case-insensitive):
the environment, `.env` and the platform's container check all speak variable names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


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


class Section(BaseModel):
    """A group of settings; each field's alias is its environment variable."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True)


class AppSection(Section):
    name: str = Field(
        "realtor-ai-copilot",
        alias="APP_NAME",
        min_length=1,
        description="Service name in logs, metrics and traces",
    )
    environment: Environment = Field(
        Environment.DEVELOPMENT,
        alias="ENVIRONMENT",
        description="development, test, staging or production",
    )
    debug: bool = Field(
        False, alias="DEBUG", description="Verbose errors; must be false in staging and production"
    )
    data_dir: Path = Field(
        Path(".data"),
        alias="DATA_DIR",
        description="Where the embedded database and local logs live",
    )
    docs_enabled: bool | None = Field(
        None,
        alias="API_DOCS_ENABLED",
        description="Serve the OpenAPI document and its UIs under /docs; unset: on, except with "
        "ENVIRONMENT=production",
    )

    @property
    def serves_docs(self) -> bool:
        if self.docs_enabled is None:
            return self.environment is not Environment.PRODUCTION
        return self.docs_enabled


class ServerSection(Section):
    host: str = Field(
        "127.0.0.1", alias="HOST", min_length=1, description="Interface the HTTP server binds to"
    )
    port: int = Field(8000, alias="PORT", ge=1, le=65535, description="TCP port of the HTTP server")
    workers: int = Field(
        1, alias="WORKERS", ge=1, le=64, description="uvicorn worker processes (4 in the container)"
    )


class DatabaseSection(Section):
    url: SecretStr | None = Field(
        None,
        alias="DATABASE_URL",
        description="PostgreSQL URL (postgresql://user:pass@host:5432/db); unset in development "
        "or test starts an embedded PostgreSQL under DATA_DIR",
    )
    pool_min_size: int = Field(
        1,
        alias="DATABASE_POOL_MIN_SIZE",
        ge=0,
        le=100,
        description="Connections kept open per worker",
    )
    pool_max_size: int = Field(
        10, alias="DATABASE_POOL_MAX_SIZE", ge=1, le=200, description="Most connections per worker"
    )
    timeout: float = Field(
        2.0,
        alias="DATABASE_TIMEOUT",
        gt=0,
        le=60,
        description="Seconds a request waits on PostgreSQL (for a pooled connection, and for "
        "each reply) before it is answered 503 database_unavailable",
    )
    restart_attempts: int = Field(
        5,
        alias="DATABASE_RESTART_ATTEMPTS",
        ge=1,
        le=100,
        description="Restarts (with backoff) of a dead embedded PostgreSQL before liveness "
        "fails so the process is replaced",
    )
    load_sample_data: bool | None = Field(
        None,
        alias="LOAD_SAMPLE_DATA",
        description="Load the bundled sample listings when the table is empty "
        "(default: true in development, false elsewhere)",
    )

    @property
    def uses_embedded(self) -> bool:
        return self.url is None

    @model_validator(mode="after")
    def _check_pool_bounds(self) -> Self:
        if self.pool_min_size > self.pool_max_size:
            raise ValueError(
                "DATABASE_POOL_MIN_SIZE must not exceed DATABASE_POOL_MAX_SIZE "
                f"({self.pool_min_size} > {self.pool_max_size})"
            )
        return self


class RedisSection(Section):
    url: SecretStr | None = Field(
        None,
        alias="REDIS_URL",
        description="Redis URL (redis:// or rediss://); unset uses in-process caches, "
        "sessions and rate limits",
    )


class OpenAISection(Section):
    """Credentials and chat model shared by the LLM, embedding and query-parsing clients."""

    api_key: SecretStr | None = Field(
        None,
        alias="OPENAI_API_KEY",
        description="OpenAI API key; unset uses the local offline AI provider",
    )
    base_url: str | None = Field(
        None,
        alias="OPENAI_BASE_URL",
        description="Base URL of an OpenAI-compatible API (unset: api.openai.com); "
        "used for chat and embeddings",
    )
    chat_model: str = Field(
        "gpt-4o-mini",
        alias="OPENAI_CHAT_MODEL",
        min_length=1,
        description="Chat model for generated text",
    )


class CacheSection(Section):
    embedding_size: int = Field(
        10_000,
        alias="CACHE_EMBEDDING_SIZE",
        ge=0,
        description="Entries in the in-process embedding cache",
    )
    prompt_size: int = Field(
        1_000,
        alias="CACHE_PROMPT_SIZE",
        ge=0,
        description="Entries in the in-process prompt/response cache",
    )
    embedding_ttl_seconds: int = Field(
        604_800,
        alias="CACHE_EMBEDDING_TTL_SECONDS",
        ge=1,
        description="Lifetime of a cached embedding (in-process and Redis)",
    )
    prompt_ttl_seconds: int = Field(
        86_400,
        alias="CACHE_PROMPT_TTL_SECONDS",
        ge=1,
        description="Lifetime of a cached prompt response (in-process and Redis)",
    )


class LLMSection(Section):
    timeout_seconds: float = Field(
        20.0,
        alias="LLM_TIMEOUT_SECONDS",
        gt=0,
        le=300,
        description="Timeout of one chat completion attempt",
    )
    max_retries: int = Field(
        2,
        alias="LLM_MAX_RETRIES",
        ge=0,
        le=10,
        description="Retries after a 429, 5xx, timeout or connection error",
    )
    circuit_failure_threshold: int = Field(
        5,
        alias="LLM_CIRCUIT_FAILURE_THRESHOLD",
        ge=1,
        description="Consecutive OpenAI failures that open the circuit breaker",
    )
    circuit_reset_seconds: float = Field(
        30.0,
        alias="LLM_CIRCUIT_RESET_SECONDS",
        gt=0,
        description="Seconds the breaker stays open before one trial call",
    )
    prompts_dir: Path = Field(
        Path("definitions/prompts"),
        alias="PROMPTS_DIR",
        description="Folder of versioned prompt templates (YAML)",
    )


class ExperimentsSection(Section):
    file: Path = Field(
        Path("definitions/experiments.yaml"),
        alias="EXPERIMENTS_FILE",
        description="A/B experiments definition file (YAML)",
    )


class WorkflowsSection(Section):
    dir: Path = Field(
        Path("definitions/workflows"),
        alias="WORKFLOWS_DIR",
        description="Folder of declarative workflow definitions (YAML)",
    )
    session_ttl_seconds: int = Field(
        86_400,
        alias="SESSION_TTL_SECONDS",
        ge=60,
        le=2_592_000,
        description="Idle lifetime of a conversation session",
    )


class ListingsSection(Section):
    embedding_provider: Literal["auto", "local", "openai"] = Field(
        "auto",
        alias="EMBEDDING_PROVIDER",
        description="Listing embeddings: auto (OpenAI when OPENAI_API_KEY is set, else local), "
        "local (offline feature hashing) or openai",
    )
    embedding_model: str = Field(
        "text-embedding-3-small",
        alias="EMBEDDING_MODEL",
        min_length=1,
        description="OpenAI embedding model",
    )
    embedding_dimensions: int = Field(
        384,
        alias="EMBEDDING_DIMENSIONS",
        ge=16,
        le=2000,
        description="Embedding dimensions (both providers; changing it needs "
        "`copilot listings reembed`)",
    )
    query_parser: Literal["auto", "rules", "openai"] = Field(
        "auto",
        alias="QUERY_PARSER",
        description="Search query parser: auto (OpenAI structured outputs when OPENAI_API_KEY "
        "is set, rules otherwise), rules or openai; OpenAI failures fall back to rules",
    )
    query_parser_timeout_seconds: float = Field(
        4.0,
        alias="QUERY_PARSER_TIMEOUT_SECONDS",
        gt=0,
        le=60,
        description="Timeout of one OpenAI query-parsing call",
    )
    ingest_batch_size: int = Field(
        1_000,
        alias="LISTINGS_INGEST_BATCH_SIZE",
        ge=1,
        le=20_000,
        description="Listings per ingest transaction (and embedding batch)",
    )
    bulk_max_bytes: int = Field(
        16 * 1024 * 1024,
        alias="LISTINGS_BULK_MAX_BYTES",
        ge=1024,
        description="Largest accepted body of POST /api/listings, in bytes",
    )


_ORIGIN_PATTERN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def _split_comma_list(value: Any) -> Any:
    """Environment values are comma-separated (`a, b`); Python callers may pass a sequence."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class SecuritySection(Section):
    trusted_proxies: tuple[IPvAnyNetwork, ...] = Field(
        (),
        alias="TRUSTED_PROXIES",
        description="Comma-separated CIDRs of reverse proxies (ALB, nginx) whose X-Forwarded-For "
        "is believed; empty: the client IP is the socket peer",
    )
    cors_allow_origins: tuple[str, ...] = Field(
        (),
        alias="CORS_ALLOW_ORIGINS",
        description="Comma-separated browser origins allowed by CORS (https://app.example.com); "
        "empty: CORS off",
    )
    max_request_body_bytes: int = Field(
        1_048_576,
        alias="MAX_REQUEST_BODY_BYTES",
        ge=1024,
        description="Largest request body in bytes (routes such as bulk ingest declare their own)",
    )
    max_query_string_length: int = Field(
        4096,
        alias="MAX_QUERY_STRING_LENGTH",
        ge=256,
        le=65_536,
        description="Longest query string in characters (414 beyond)",
    )
    rate_limit_per_minute: int = Field(
        60,
        alias="RATE_LIMIT_REQUESTS_PER_MINUTE",
        ge=1,
        description="Requests per API key per minute",
    )
    rate_limit_per_hour: int = Field(
        1000,
        alias="RATE_LIMIT_REQUESTS_PER_HOUR",
        ge=1,
        description="Requests per API key per hour",
    )
    auth_failures_per_minute: int = Field(
        20,
        alias="AUTH_FAILURES_PER_MINUTE",
        ge=1,
        le=100_000,
        description="Failed API-key attempts one client IP may make in a rolling minute; the "
        "next gets 429 and the IP is blocked until the oldest failure is a minute old",
    )
    max_json_depth: int = Field(
        32,
        alias="MAX_JSON_DEPTH",
        ge=2,
        le=256,
        description="Deepest nesting of arrays/objects accepted in a JSON body (400 beyond)",
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


class ObservabilitySection(Section):
    log_level: LogLevel = Field("INFO", alias="LOG_LEVEL", description="Lowest log level written")
    log_format: Literal["auto", "json", "console"] = Field(
        "auto",
        alias="LOG_FORMAT",
        description="Log lines: json, console (readable) or auto (console in development, "
        "JSON elsewhere)",
    )
    log_file: Path | None = Field(
        None,
        alias="LOG_FILE",
        description="Also append JSON log lines to this file, rotated by size (safe with "
        "several workers); unset: stderr only",
    )
    log_file_max_bytes: int = Field(
        104_857_600,
        alias="LOG_FILE_MAX_BYTES",
        ge=1024,
        description="Size in bytes at which LOG_FILE is rotated",
    )
    log_file_backup_count: int = Field(
        10,
        alias="LOG_FILE_BACKUP_COUNT",
        ge=0,
        le=1000,
        description="Rotated copies of LOG_FILE kept",
    )
    metrics_enabled: bool = Field(
        True,
        alias="METRICS_ENABLED",
        description="Record metrics and serve /metrics; false switches the instrumentation off",
    )
    metrics_bearer_token: SecretStr | None = Field(
        None,
        alias="METRICS_BEARER_TOKEN",
        description="Prometheus must send `Authorization: Bearer <token>` to read /metrics; "
        "unset: /metrics is open, except with ENVIRONMENT=production where it is not served",
    )
    metrics_multiprocess_dir: Path | None = Field(
        None,
        alias="METRICS_MULTIPROCESS_DIR",
        description="Where each worker writes its metrics so /metrics sums every worker; unset: "
        "`copilot serve` uses DATA_DIR/metrics/<its pid>",
    )
    metrics_flush_interval_seconds: float = Field(
        1.0,
        alias="METRICS_FLUSH_INTERVAL_SECONDS",
        ge=0.05,
        le=60,
        description="How often a worker writes its metrics for the others (totals over workers "
        "are exact once this long has passed)",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="OTLP/HTTP collector base URL (http://collector:4318) for traces; unset: "
        "tracing off",
    )
    traces_sample_ratio: float = Field(
        1.0,
        alias="TRACES_SAMPLE_RATIO",
        ge=0,
        le=1,
        description="Share of new traces sampled (a caller's decision is kept)",
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


class _VariableNames(PydanticBaseSettingsSource):
    """The environment (or a `.env` file) as `{variable name: value}`.

    Wraps pydantic-settings' own source, which already applies case folding, `.env` reading and
    `env_ignore_empty`; `Settings` sorts the names into sections.
    """

    def __init__(self, settings_cls: type[BaseSettings], inner: EnvSettingsSource):
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # values are read all at once in __call__

    def __call__(self) -> dict[str, Any]:
        known = {name.lower() for name in variable_paths()}
        found = {name.lower(): value for name, value in self._inner.env_vars.items()}
        return {name: found[name] for name in known if found.get(name) is not None}


class Settings(BaseSettings):
    """All settings, by section. Build with `load_settings()` (or directly in tests), never at
    import time."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
        frozen=True,
        # `NAME=` (as in .env.example, .env.production and compose env files) means unset.
        env_ignore_empty=True,
    )

    app: AppSection = Field(default_factory=AppSection)
    server: ServerSection = Field(default_factory=ServerSection)
    database: DatabaseSection = Field(default_factory=DatabaseSection)
    redis: RedisSection = Field(default_factory=RedisSection)
    openai: OpenAISection = Field(default_factory=OpenAISection)
    cache: CacheSection = Field(default_factory=CacheSection)
    llm: LLMSection = Field(default_factory=LLMSection)
    experiments: ExperimentsSection = Field(default_factory=ExperimentsSection)
    workflows: WorkflowsSection = Field(default_factory=WorkflowsSection)
    listings: ListingsSection = Field(default_factory=ListingsSection)
    security: SecuritySection = Field(default_factory=SecuritySection)
    observability: ObservabilitySection = Field(default_factory=ObservabilitySection)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings]
        for source in (env_settings, dotenv_settings):
            if isinstance(source, EnvSettingsSource):
                sources.append(_VariableNames(settings_cls, source))
        return tuple(sources)

    @model_validator(mode="before")
    @classmethod
    def _sort_variables_into_sections(cls, data: Any) -> Any:
        """`{"DATABASE_URL": ...}` becomes `{"database": {"url": ...}}`; a section given
        explicitly (a model or a dict of field names) wins over loose variables."""
        if not isinstance(data, Mapping):
            return data
        paths = {name.lower(): path for name, path in variable_paths().items()}
        sorted_data: dict[str, Any] = {}
        loose: dict[str, dict[str, Any]] = {}
        for key, value in data.items():
            path = paths.get(key.lower()) if isinstance(key, str) else None
            if path is None:
                sorted_data[key] = value
            else:
                loose.setdefault(path[0], {})[path[1]] = value
        for section, values in loose.items():
            given = sorted_data.get(section)
            if given is None:
                sorted_data[section] = values
            elif isinstance(given, Mapping):
                sorted_data[section] = {**values, **given}
        return sorted_data

    @property
    def sample_data_enabled(self) -> bool:
        if self.database.load_sample_data is None:
            return self.app.environment is Environment.DEVELOPMENT
        return self.database.load_sample_data

    def sections(self) -> Iterator[tuple[str, Section]]:
        for name in type(self).model_fields:
            section = getattr(self, name)
            if isinstance(section, Section):
                yield name, section

    def by_variable(self) -> dict[str, Any]:
        """Every value as JSON by variable name (`{"PORT": 8000, ...}`), secrets masked."""
        values: dict[str, Any] = {}
        for _, section in self.sections():
            values.update(section.model_dump(mode="json", by_alias=True))
        return values

    def secret_values(self) -> dict[str, SecretStr]:
        """Every secret that is set, by variable name."""
        secrets: dict[str, SecretStr] = {}
        for _, section in self.sections():
            for field_name, field in type(section).model_fields.items():
                value = getattr(section, field_name)
                if isinstance(value, SecretStr) and field.alias is not None:
                    secrets[field.alias] = value
        return secrets

    @model_validator(mode="after")
    def _check_environment_rules(self) -> Self:
        has_key = self.openai.api_key is not None
        if self.listings.embedding_provider == "openai" and not has_key:
            raise ValueError("EMBEDDING_PROVIDER=openai requires OPENAI_API_KEY")
        if self.listings.query_parser == "openai" and not has_key:
            raise ValueError("QUERY_PARSER=openai requires OPENAI_API_KEY")
        if not self.app.environment.is_deployed:
            return self
        env = self.app.environment.value
        if self.database.url is None:
            raise ValueError(f"DATABASE_URL is required when ENVIRONMENT={env}")
        if self.redis.url is None:
            raise ValueError(f"REDIS_URL is required when ENVIRONMENT={env}")
        if self.app.debug:
            raise ValueError(f"DEBUG must be false when ENVIRONMENT={env}")
        if self.database.load_sample_data:
            raise ValueError(f"LOAD_SAMPLE_DATA must be false when ENVIRONMENT={env}")
        for name, value in self.secret_values().items():
            if is_placeholder(value.get_secret_value()):
                raise ValueError(
                    f"{name} looks like a placeholder, not a real secret "
                    f"(refused when ENVIRONMENT={env})"
                )
        return self


@cache
def section_models() -> dict[str, type[Section]]:
    """The sections of `Settings` by attribute name, in declaration order."""
    models: dict[str, type[Section]] = {}
    for name, field in Settings.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, Section):
            models[name] = field.annotation
    return models


@cache
def variable_paths() -> dict[str, tuple[str, str]]:
    """Every environment variable and where it lives: `{"DATABASE_URL": ("database", "url")}`."""
    return {
        field.alias: (section_name, field_name)
        for section_name, model in section_models().items()
        for field_name, field in model.model_fields.items()
        if field.alias is not None
    }


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER_PATTERN.search(value))


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
        variable = _variable_at(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{variable}: {message}" if variable else message)
    return "; ".join(problems)


def _variable_at(location: tuple[int | str, ...]) -> str | None:
    """The variable an error location points at: ("database", "url") -> DATABASE_URL."""
    parts = [str(part) for part in location if part != "__root__"]
    if not parts:
        return None
    model = section_models().get(parts[0])
    if model is None:
        return parts[0].upper()
    if len(parts) < 2:
        return None  # a rule across fields of a section: its message names the variables
    field = model.model_fields.get(parts[1])
    if field is not None and field.alias is not None:
        return field.alias
    return parts[1].upper()  # validated by alias: the location already is the variable
