"""DESIGN.md's import rules: config imports neither side; service and platform never meet."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGES = {
    "copilot_config": REPO_ROOT / "libs/config/src/copilot_config",
    "copilot_api": REPO_ROOT / "services/api/src/copilot_api",
    "copilot_platform": REPO_ROOT / "platform/src/copilot_platform",
}
FORBIDDEN = {
    "copilot_config": {"copilot_api", "copilot_platform"},
    "copilot_api": {"copilot_platform"},
    "copilot_platform": {"copilot_api"},
}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_package_respects_import_rules(package: str) -> None:
    files = list(PACKAGES[package].rglob("*.py"))
    assert files, f"no sources found for {package}"
    for path in files:
        bad = _imported_roots(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(REPO_ROOT)} imports {sorted(bad)}"


def test_no_package_is_named_platform() -> None:
    assert not (REPO_ROOT / "platform" / "__init__.py").exists()
    assert not list(REPO_ROOT.glob("*/src/platform"))
