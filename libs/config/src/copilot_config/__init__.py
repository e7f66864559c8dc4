"""Shared configuration: settings, the environment contract, metric names and health paths.

This package imports neither the service nor the platform; both import it.
"""

from copilot_config.env_contract import EnvVar, env_contract, env_var, markdown_table
from copilot_config.settings import Environment, Settings, SettingsError, load_settings

__all__ = [
    "EnvVar",
    "Environment",
    "Settings",
    "SettingsError",
    "env_contract",
    "env_var",
    "load_settings",
    "markdown_table",
]
