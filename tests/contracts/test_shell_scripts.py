"""Every shell script (scripts/*.sh, .ci/run) parses and is shellcheck-clean."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.contracts.delivery import require_tool, run_tool
from tests.harness import REPO_ROOT

SCRIPTS = sorted([*(REPO_ROOT / "scripts").glob("*.sh"), REPO_ROOT / ".ci/run"])


def test_the_scripts_are_found() -> None:
    assert REPO_ROOT / "scripts/deploy.sh" in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_shellcheck_is_clean(script: Path) -> None:
    result = run_tool([require_tool("shellcheck"), "--external-sources", str(script)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_parses_and_is_executable(script: Path) -> None:
    result = run_tool(["bash", "-n", str(script)])
    assert result.returncode == 0, result.stderr
    assert os.access(script, os.X_OK), f"{script} is not executable"
