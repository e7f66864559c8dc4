"""Each plugin receives its own settings section, never the whole `Settings`.

Only the app factory (and the CLI entry points) see every section; a plugin's constructor takes
the section named after its concern, plus the shared sections listed in SHARED (storage owns
both connections; the two capabilities that call OpenAI share its credentials).
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from copilot_api.app import plugins_for
from copilot_config import Environment, OpenAISection, RedisSection, Section, Settings

# Plugin class name -> the attribute of `Settings` holding its own section.
OWN_SECTION = {
    "StoragePlugin": "database",
    "SecurityPlugin": "security",
    "ObservabilityPlugin": "observability",
    "CachePlugin": "cache",
    "LLMPlugin": "llm",
    "ExperimentsPlugin": "experiments",
    "ListingsPlugin": "listings",
    "WorkflowsPlugin": "workflows",
}
# Plugins that need no settings at all (property search wires a route and step types).
NO_SETTINGS = {"SearchPlugin"}
SHARED: dict[str, set[type[Section]]] = {
    "StoragePlugin": {RedisSection},
    "LLMPlugin": {OpenAISection},
    "ListingsPlugin": {OpenAISection},
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        _env_file=None,
        environment=Environment.TEST,
        data_dir=tmp_path_factory.mktemp("data"),
        database_url="postgresql://copilot@localhost:5432/copilot",
    )


def _settings_objects(plugin: object) -> list[BaseModel]:
    """The settings models a plugin instance keeps (its attributes, one level deep)."""
    return [value for value in vars(plugin).values() if isinstance(value, Section | Settings)]


def test_the_app_builds_every_plugin_listed_here(settings: Settings) -> None:
    built = {type(plugin).__name__ for plugin in plugins_for(settings)}
    assert built == set(OWN_SECTION) | NO_SETTINGS


@pytest.mark.parametrize("name", sorted(NO_SETTINGS))
def test_a_plugin_without_a_section_keeps_no_settings(settings: Settings, name: str) -> None:
    [plugin] = [p for p in plugins_for(settings) if type(p).__name__ == name]
    assert _settings_objects(plugin) == []


@pytest.mark.parametrize("name", sorted(OWN_SECTION))
def test_a_plugin_keeps_only_its_own_section(settings: Settings, name: str) -> None:
    [plugin] = [p for p in plugins_for(settings) if type(p).__name__ == name]
    kept = _settings_objects(plugin)
    assert not any(isinstance(value, Settings) for value in kept)
    own = getattr(settings, OWN_SECTION[name])
    assert any(value is own for value in kept), f"{name} does not hold settings.{OWN_SECTION[name]}"
    others = {type(value) for value in kept if value is not own}
    assert others == SHARED.get(name, set())


@pytest.mark.parametrize("name", sorted(OWN_SECTION))
def test_no_plugin_constructor_accepts_the_whole_settings(settings: Settings, name: str) -> None:
    [plugin] = [p for p in plugins_for(settings) if type(p).__name__ == name]
    parameters = inspect.signature(type(plugin).__init__).parameters.values()
    # Annotations are strings (`from __future__ import annotations`): match the name.
    assert not any(re.search(r"\bSettings\b", str(p.annotation)) for p in parameters)


def test_only_entry_points_import_the_whole_settings() -> None:
    """Settings is read by the app factory, the CLI and what they call with it (logging set-up,
    the development key); capability code works from sections."""
    import copilot_api

    root = Path(copilot_api.__file__).parent
    importers = {
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if _imports_settings(path.read_text(encoding="utf-8"))
    }
    allowed = {
        "app.py",
        "cli.py",
        "listings/cli.py",
        "security/cli.py",
        "security/dev_key.py",
        "observability/logging.py",
        "observability/redaction.py",
    }
    assert importers <= allowed, f"modules reading the whole Settings: {importers - allowed}"


def _imports_settings(source: str) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("copilot_config")
        and any(alias.name == "Settings" for alias in node.names)
        for node in ast.walk(ast.parse(source))
    )
