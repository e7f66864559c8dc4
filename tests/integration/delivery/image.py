"""Replays services/api/Dockerfile without a Docker engine: the builder stage's COPY and
`uv sync` steps into a folder standing for /app, then the runtime stage's COPYs.

The folder holds what the image would: the venv and the service's definition files, nothing of
the source tree. Paths under /app in the Dockerfile are mapped onto that folder; the interpreter
is a local Python 3.11 (the image's is python:3.11-slim's).
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.contracts.delivery import Stage, build_context_files, stage
from tests.harness import REPO_ROOT

IMAGE_ROOT = "/app"
# PostgreSQL's and our own unprivileged account when the tests run as root.
UNPRIVILEGED_USER = "copilot-app"


@dataclass(frozen=True)
class ImageFiles:
    root: Path  # stands for /app
    build_seconds: float

    @property
    def venv(self) -> Path:
        return self.root / ".venv"

    def map_path(self, value: str) -> str:
        """A Dockerfile path (or PATH-like list) under /app, as it is in `root`."""
        return value.replace(IMAGE_ROOT, str(self.root))


def _copy_from_context(sources: list[str], destination: Path) -> None:
    """COPY semantics: a folder's contents land in the destination folder."""
    into_folder = len(sources) > 1 or str(destination).endswith("/")
    for source in sources:
        source_path = REPO_ROOT / source
        if not source_path.exists():
            pytest.fail(f"COPY {source}: not in the repository (docker build would fail too)")
        for relative in build_context_files(source):
            file = REPO_ROOT / relative
            if source_path.is_dir():
                target = destination / file.relative_to(source_path)
            elif into_folder:
                target = destination / file.name
            else:
                target = destination
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)


def _builder_dir(builder: Stage, scratch: Path) -> Path:
    workdir = builder.last("WORKDIR")
    assert workdir is not None, "the builder sets its WORKDIR"
    path: str = workdir.value[0]
    return scratch / "builder" / path.lstrip("/")


def interpreter_for(user: str | None) -> str:
    """A Python 3.11 that `user` can run (root's pyenv under /root is not reachable by others)."""
    candidates = [sys.executable, "/usr/local/bin/python3.11", "/usr/bin/python3.11"]
    for candidate in candidates:
        real = Path(candidate).resolve()
        if not real.is_file():
            continue
        if user is None or _reachable_by_others(real):
            version = subprocess.run(
                [str(real), "-c", "import sys; print(sys.version_info[:2] == (3, 11))"],
                capture_output=True,
                text=True,
                check=False,
            )
            if version.stdout.strip() == "True":
                return str(real)
    pytest.fail(f"no Python 3.11 that {user} can run among {candidates}")


def _reachable_by_others(path: Path) -> bool:
    if not path.stat().st_mode & stat.S_IXOTH:
        return False
    return all(p.stat().st_mode & stat.S_IXOTH for p in path.parents)


def build_image_files(scratch: Path, user: str | None) -> ImageFiles:
    """Run the builder's COPYs and `uv sync`s, then the runtime's COPYs; /app is scratch/app."""
    started = time.monotonic()
    builder, runtime = stage("builder"), stage("runtime")
    build_dir = _builder_dir(builder, scratch)
    build_dir.mkdir(parents=True)
    for sources, destination in builder.copies_from_context():
        _copy_from_context(sources, build_dir / destination)

    files = ImageFiles(scratch / "app", 0.0)
    environment = {**os.environ, **{k: files.map_path(v) for k, v in builder.env().items()}}
    # Image-layer optimisations only: a cache mount needs copies, a read-only image wants
    # bytecode compiled ahead. Locally hard links from uv's cache are the same files, faster.
    for layer_only in ("UV_LINK_MODE", "UV_COMPILE_BYTECODE"):
        environment.pop(layer_only, None)
    environment["UV_PYTHON"] = interpreter_for(user)
    environment.pop("VIRTUAL_ENV", None)
    syncs = [c.value[0] for c in builder.all("RUN") if c.value[0].startswith("uv sync")]
    assert syncs, "the builder installs with uv sync"
    uv = shutil.which("uv")
    assert uv, "uv is needed to replay the build (make install provides it)"
    for command in syncs:
        result = subprocess.run(
            [uv, *shlex.split(command)[1:]],
            cwd=build_dir,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, f"{command}\n{result.stderr}"

    for sources, destination in runtime.copies_from_context():
        _copy_from_context(sources, Path(files.map_path(destination)))
    shutil.rmtree(scratch / "builder")  # the runtime stage keeps only /app
    return ImageFiles(files.root, time.monotonic() - started)


def unprivileged_user() -> str | None:
    """None when the tests already run unprivileged; else a system user, created if needed."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        subprocess.run(
            [
                "/usr/sbin/useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                UNPRIVILEGED_USER,
            ],
            check=True,
            capture_output=True,
        )
    return UNPRIVILEGED_USER
