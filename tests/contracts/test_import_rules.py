"""DESIGN.md's import rules: config imports neither side; service and platform never meet; the
packages inside the service form no cycles."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from tests.harness import REPO_ROOT

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


def _service_package(path: Path) -> str:
    """`copilot_api/listings/routes.py` -> `listings`; top-level modules stand for themselves."""
    relative = path.relative_to(PACKAGES["copilot_api"])
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _service_imports(path: Path) -> set[str]:
    """The `copilot_api` packages a module imports (anywhere in it: function-level imports count,
    they are dependencies too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return {
        module.split(".")[1]
        for module in modules
        if module.startswith("copilot_api.") and module.split(".")[1] != "__version__"
    }


def service_import_graph() -> dict[str, dict[str, list[str]]]:
    """`{package: {imported package: [importing modules]}}` between copilot_api's packages."""
    root = PACKAGES["copilot_api"]
    graph: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for path in sorted(root.rglob("*.py")):
        package = _service_package(path)
        graph[package]  # every package is a node, even one that imports no other
        for imported in _service_imports(path) - {package}:
            graph[package].setdefault(imported, []).append(path.relative_to(root).as_posix())
    return dict(graph)


def package_cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in graph.get(node, {}):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def test_service_packages_form_no_cycles() -> None:
    """A request's path can be followed one way: listings never imports workflows or search,
    the workflow engine never imports search (search offers its steps to the engine)."""
    graph = service_import_graph()
    assert {"listings", "workflows", "search", "ai", "cache", "storage"} <= set(graph)
    problems = []
    for cycle in package_cycles(graph):
        edges = [
            f"  {source} -> {target} (in {', '.join(graph[source][target])})"
            for source in cycle
            for target in sorted(graph[source])
            if target in cycle
        ]
        problems.append(f"cycle between {', '.join(cycle)}:\n" + "\n".join(edges))
    assert not problems, "\n".join(problems)


def test_cycle_detection_finds_a_cycle_and_ignores_a_chain() -> None:
    chain = {"a": {"b": ["a/x.py"]}, "b": {"c": ["b/y.py"]}, "c": {}}
    assert package_cycles(chain) == []
    looped = {**chain, "c": {"a": ["c/z.py"]}, "d": {"a": ["d/w.py"]}}
    assert package_cycles(looped) == [["a", "b", "c"]]
