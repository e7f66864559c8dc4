"""The image tag: the git commit the image is built from.

ECR tags are immutable, so a tag must never be reused for different content: a clean checkout is
tagged with its commit SHA; uncommitted changes or a missing git get a unique, dated tag instead.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

GIT_TIMEOUT_SECONDS = 10


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _git(repo_root: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        # Fixed argv, no shell: only the repository path varies.
        result = subprocess.run(  # noqa: S603
            [git, "-C", str(repo_root), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def resolve_image_tag(
    configured: str | None, repo_root: Path, now: Callable[[], datetime] = _utc_now
) -> str:
    """`imageTag` from the stack config, else the git SHA, else a unique dated fallback."""
    if configured:
        return configured
    stamp = now().strftime("%Y%m%d%H%M%S")
    sha = _git(repo_root, "rev-parse", "--verify", "HEAD")
    if not sha:
        return f"local-{stamp}"
    changes = _git(repo_root, "status", "--porcelain", "--untracked-files=no")
    if changes is None or changes:
        return f"{sha}-dirty-{stamp}"
    return sha
