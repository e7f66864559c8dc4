"""`copilot keys create|list|revoke`, run in-process against the test database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from copilot_api.cli import main
from copilot_api.security.keys import KEY_PATTERN
from copilot_config import env_contract
from tests.integration.security.support import fetch_key


@pytest.fixture
def copilot(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., tuple[int, str, str]]:
    """Run `copilot …` with ENVIRONMENT=test and DATABASE_URL set, in a folder with no .env."""
    for variable in env_contract():
        monkeypatch.delenv(variable.name, raising=False)
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(list(argv))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def test_create_prints_the_key_alone_on_the_last_line(
    copilot: Callable[..., tuple[int, str, str]],
    database_url: str,
    security_events: list[dict[str, Any]],
) -> None:
    status, out, err = copilot(
        "keys", "create", "--name", "crm", "--scopes", "workflows,search",
        "--rate-limit-per-minute", "30",
    )  # fmt: skip
    assert status == 0, err
    key = out.rstrip("\n").splitlines()[-1]
    assert KEY_PATTERN.fullmatch(key)
    assert out.count(key) == 1
    stored = fetch_key(database_url, key)
    assert stored is not None
    assert [scope.value for scope in stored.scopes] == ["search", "workflows"]
    assert stored.rate_limit_per_minute == 30
    assert key not in err
    (event,) = [e for e in security_events if e["event_type"] == "api_key_created"]
    assert event["key_prefix"] == key[:14]
    assert event["via"] == "cli"
    assert event["user_id"].startswith("local:")


def test_list_and_revoke(copilot: Callable[..., tuple[int, str, str]]) -> None:
    _, created, _ = copilot("keys", "create", "--name", "one", "--scopes", "search")
    prefix = created.splitlines()[-1][:14]
    copilot("keys", "create", "--name", "two", "--scopes", "admin")

    status, table, _ = copilot("keys", "list")
    assert status == 0
    header, first, second = table.splitlines()
    assert header.split()[:3] == ["PREFIX", "NAME", "SCOPES"]
    assert first.split()[:3] == [prefix, "one", "search"]
    assert first.split()[-1] == "live"
    assert second.split()[1:3] == ["two", "admin"]

    status, out, _ = copilot("keys", "revoke", prefix)
    assert status == 0
    assert f"Revoked API key {prefix}" in out
    _, listed, _ = copilot("keys", "list", "--json")
    keys = json.loads(listed)
    assert [key["name"] for key in keys] == ["one", "two"]
    assert keys[0]["revoked_at"] is not None
    assert keys[1]["revoked_at"] is None
    assert "secret" not in listed
    assert "hash" not in listed

    # The name of a revoked key is free again.
    status, _, _ = copilot("keys", "create", "--name", "one", "--scopes", "search")
    assert status == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create", "--name", "x", "--scopes", "search,root"], "unknown scope root"),
        (["create", "--name", "bad\nname", "--scopes", "search"], "invalid key name"),
        (["revoke", "cpk_ffffffffff"], "no API key has the prefix cpk_ffffffffff"),
        (["revoke", "crm"], "is not a key prefix"),
    ],
)
def test_mistakes_exit_2_with_one_line(
    copilot: Callable[..., tuple[int, str, str]], argv: list[str], message: str
) -> None:
    status, _, err = copilot("keys", *argv)
    assert status == 2
    assert err.splitlines()[-1].startswith("copilot: error: ")
    assert message in err.splitlines()[-1]
    assert "Traceback" not in err


def test_a_live_name_cannot_be_reused(copilot: Callable[..., tuple[int, str, str]]) -> None:
    assert copilot("keys", "create", "--name", "dup", "--scopes", "search")[0] == 0
    status, _, err = copilot("keys", "create", "--name", "dup", "--scopes", "search")
    assert status == 2
    assert "a live key named 'dup' already exists" in err
