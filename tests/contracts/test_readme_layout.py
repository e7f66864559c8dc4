"""The README's layout section is checked against the tree, so it cannot drift.

Every top-level entry of the repository (tracked by git, dot-files aside) is described in the
`## Layout` block, every described path exists, and the paragraph naming the service's
capability packages names exactly the packages inside `copilot_api`.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.harness import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
SERVICE = REPO_ROOT / "services/api/src/copilot_api"


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## )", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def layout_entries() -> list[str]:
    """The first column of the layout block: `libs/config/`, `Makefile`, `Pulumi*.yaml`, ...
    (indented lines continue the description above them)."""
    block = re.search(r"```\n(.*?)```", _section("Layout"), re.DOTALL)
    assert block, "the Layout section has no code block"
    return [line.split()[0] for line in block.group(1).splitlines() if line[:1].strip()]


def _tracked_top_level() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return {path.split("/")[0] for path in listed if not path.startswith(".")}


def _covers(entry: str, name: str) -> bool:
    first = entry.rstrip("/").split("/")[0]
    return REPO_ROOT.joinpath(name).match(first) or first == name


def test_every_described_path_exists() -> None:
    missing = [entry for entry in layout_entries() if not list(REPO_ROOT.glob(entry.rstrip("/")))]
    assert not missing, f"README layout names paths that do not exist: {missing}"


def test_every_top_level_entry_is_described() -> None:
    entries = layout_entries()
    undescribed = sorted(
        name for name in _tracked_top_level() if not any(_covers(e, name) for e in entries)
    )
    assert not undescribed, f"README layout does not describe: {undescribed}"


def test_the_capability_list_names_every_service_package() -> None:
    match = re.search(r"capability is a package.*?\((.*?)\)", _section("Layout"), re.DOTALL)
    assert match, "the Layout section does not list the service's capability packages"
    named = set(re.findall(r"`([a-z_]+)`", match.group(1)))
    packages = {path.parent.name for path in SERVICE.glob("*/__init__.py")}
    assert named == packages


@pytest.mark.parametrize(
    ("entry", "name", "covered"),
    [
        ("libs/config/", "libs", True),
        ("Pulumi*.yaml", "Pulumi.staging.yaml", True),
        ("bench/", "tests", False),
    ],
)
def test_entries_cover_names(entry: str, name: str, covered: bool) -> None:
    assert _covers(entry, name) is covered
