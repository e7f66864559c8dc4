"""One decision, "embedded PostgreSQL or DATABASE_URL": `database_target(settings)`, used by the
app and every CLI command; nothing else starts a server or reads DATABASE_URL."""

from __future__ import annotations

import ast
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from pydantic import SecretStr

from copilot_api.storage.embedded import EmbeddedPostgres
from copilot_api.storage.target import DatabaseTarget, DatabaseTargetError, database_target
from copilot_config import DatabaseSection, Environment, Settings
from tests.harness import REPO_ROOT

SOURCE = REPO_ROOT / "services" / "api" / "src" / "copilot_api"
TARGET_MODULE = SOURCE / "storage" / "target.py"
# Where the app and the CLI commands that touch the database get it from.
CALLERS = ["storage/plugin.py", "cli.py", "security/cli.py", "listings/cli.py"]


def _references(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    names |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return names


def _decisions(path: Path) -> list[str]:
    """`settings.database.url` / `.uses_embedded` read, or a server built."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute) and (
            node.attr == "uses_embedded"
            or (
                node.attr == "url"
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "database"
            )
        ):
            found.append(f"line {node.lineno}: .{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "EmbeddedPostgres"
        ):
            found.append(f"line {node.lineno}: EmbeddedPostgres(...)")
    return found


def test_only_database_target_decides() -> None:
    offenders = {
        str(path.relative_to(SOURCE)): _decisions(path)
        for path in sorted(SOURCE.rglob("*.py"))
        if path not in (TARGET_MODULE, SOURCE / "storage" / "watchdog.py") and _decisions(path)
    }
    assert offenders == {}, "decide through storage.target.database_target instead"


@pytest.mark.parametrize("caller", CALLERS)
def test_the_app_and_every_cli_command_use_database_target(caller: str) -> None:
    path = SOURCE / caller
    assert "database_target" in _references(path), caller
    text = path.read_text()
    assert 'os.environ["DATABASE_URL"]' not in text
    assert "type: ignore" not in text


def _target(settings: Settings) -> AbstractContextManager[DatabaseTarget]:
    return database_target(
        settings.database, environment=settings.app.environment, data_dir=settings.app.data_dir
    )


def test_url_is_used_as_given_and_nothing_is_started(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    url = "postgresql://app@db.internal:5432/copilot"
    with _target(make_settings(database_url=url)) as target:
        assert target.url == url
        assert target.embedded is None
    assert not (tmp_path / "data" / "postgres").exists()


def test_embedded_server_is_started_shared_and_stopped(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(data_dir=tmp_path / "data")
    with _target(settings) as first:
        assert first.embedded is not None
        assert first.embedded.is_running()
        # A second process-level user (a uvicorn worker) shares it and does not stop it.
        with _target(settings) as second:
            assert second.url == first.url
        assert first.embedded.is_running()
    assert not EmbeddedPostgres(tmp_path / "data" / "postgres").is_running()


def test_deployed_environments_never_get_an_embedded_server(tmp_path: Path) -> None:
    # Settings validation already refuses this; the target refuses on its own too.
    for environment in (Environment.STAGING, Environment.PRODUCTION):
        embedded = database_target(DatabaseSection(), environment=environment, data_dir=tmp_path)
        with pytest.raises(DatabaseTargetError, match="DATABASE_URL is required"):
            embedded.__enter__()
    assert not (tmp_path / "postgres").exists()
    external = DatabaseSection(DATABASE_URL=SecretStr("postgresql://h/db"))
    with database_target(external, environment=Environment.PRODUCTION, data_dir=tmp_path) as target:
        assert target.url == "postgresql://h/db"
        assert target.embedded is None
