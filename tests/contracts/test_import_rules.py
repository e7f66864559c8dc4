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


# Cycles still being untangled elsewhere (issue 15); each entry names its packages.
KNOWN_CYCLES = {frozenset({"ai", "cache"})}


def _package_graph(root: Path) -> dict[str, set[str]]:
    """copilot_api's top-level packages -> the sibling packages their modules import."""
    packages = {path.name for path in root.iterdir() if (path / "__init__.py").exists()}
    graph: dict[str, set[str]] = {name: set() for name in packages}
    for name in packages:
        for path in (root / name).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                modules = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module]
                    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                    else []
                )
                for module in modules:
                    parts = module.split(".")
                    if parts[0] == "copilot_api" and len(parts) > 1 and parts[1] in packages:
                        graph[name].add(parts[1])
    for name, targets in graph.items():
        targets.discard(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]


def test_copilot_api_packages_import_each_other_without_cycles() -> None:
    """A request's path can be followed one way: listings never imports workflows or search,
    the workflow engine never imports search (search offers its steps to the engine)."""
    graph = _package_graph(PACKAGES["copilot_api"])
    assert {"listings", "workflows", "search"} <= set(graph)
    cycles = [sorted(cycle) for cycle in _cycles(graph) if cycle not in KNOWN_CYCLES]
    assert not cycles, f"package cycles: {cycles}"
