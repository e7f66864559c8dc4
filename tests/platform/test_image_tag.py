"""The image tag: the git SHA of a clean checkout, never a reused tag (ECR tags are immutable)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from copilot_platform.image_tag import resolve_image_tag

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def _now() -> datetime:
    return NOW


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "--quiet")
    _git(tmp_path, "config", "user.email", "ci@copilot.dev")
    _git(tmp_path, "config", "user.name", "CI")
    (tmp_path / "app.py").write_text("print('v1')\n", encoding="utf-8")
    _git(tmp_path, "add", "app.py")
    _git(tmp_path, "commit", "--quiet", "-m", "v1")
    return tmp_path


def test_configured_tag_wins(repo: Path) -> None:
    assert resolve_image_tag("release-42", repo, _now) == "release-42"


def test_clean_checkout_is_tagged_with_its_commit(repo: Path) -> None:
    sha = _git(repo, "rev-parse", "HEAD")
    assert len(sha) == 40
    assert resolve_image_tag(None, repo, _now) == sha


def test_uncommitted_changes_get_a_unique_dated_tag(repo: Path) -> None:
    sha = _git(repo, "rev-parse", "HEAD")
    (repo / "app.py").write_text("print('v2')\n", encoding="utf-8")
    assert resolve_image_tag(None, repo, _now) == f"{sha}-dirty-20250102030405"


def test_untracked_files_do_not_make_the_tree_dirty(repo: Path) -> None:
    (repo / "notes.txt").write_text("scratch\n", encoding="utf-8")
    assert resolve_image_tag(None, repo, _now) == _git(repo, "rev-parse", "HEAD")


def test_without_git_history_the_tag_is_dated(tmp_path: Path) -> None:
    assert resolve_image_tag(None, tmp_path, _now) == "local-20250102030405"
