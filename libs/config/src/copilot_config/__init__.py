"""Shared configuration: settings, the environment contract, metric names and health paths.

This package imports neither the service nor the platform; both import it.
"""

from copilot_config.env_contract import EnvVar, env_contract, env_var, markdown_table
from copilot_config.settings import (
    AppSection,
    CacheSection,
    DatabaseSection,
    Environment,
    ExperimentsSection,
    ListingsSection,
    LLMSection,
    ObservabilitySection,
    OpenAISection,
    RedisSection,
    Section,
    SecuritySection,
    ServerSection,
    Settings,
    SettingsError,
    WorkflowsSection,
    load_settings,
)

__all__ = [
    "AppSection",
    "CacheSection",
    "DatabaseSection",
    "EnvVar",
    "Environment",
    "ExperimentsSection",
    "LLMSection",
    "ListingsSection",
    "ObservabilitySection",
    "OpenAISection",
    "RedisSection",
    "Section",
    "SecuritySection",
    "ServerSection",
    "Settings",
    "SettingsError",
    "WorkflowsSection",
    "env_contract",
    "env_var",
    "load_settings",
    "markdown_table",
]
