"""The README's Operations section matches the files: every make target, path, option, compose
variable and stack output it names exists, and the ops tools read the outputs the platform
exports."""

from __future__ import annotations

import ast
import re

import pytest

from copilot_platform.ops.target import OutputNames
from tests.contracts.delivery import COMPOSE_FILE, require_tool, run_tool
from tests.harness import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
OPERATIONS = README.split("\n## Operations\n", 1)[1].split("\n## ", 1)[0]
CODE = re.findall(r"`([^`\n]+)`", OPERATIONS) + re.findall(
    r"```bash\n(.*?)```", OPERATIONS, re.DOTALL
)
REPO_ENTRIES = (
    "services/",
    "libs/",
    "platform/",
    "scripts/",
    "deploy/",
    "monitoring/",
    ".github/",
    "definitions/",
    ".env.example",
    ".env.production",
    ".dockerignore",
    "docker-compose.yml",
)


# Options of other tools the section quotes (pulumi, the AWS CLI, docker, uv).
FOREIGN_OPTIONS = {
    "--diff",
    "--force-new-deployment",
    "--services",
    "--rm",
    "--env-file",
    "--frozen",
    "--no-dev",
    "--package",
    "--no-editable",
    "--reload",
    "--stack",
}


def platform_output_names() -> tuple[str, ...]:
    """copilot_platform.program.OUTPUT_NAMES, read without importing Pulumi."""
    tree = ast.parse((REPO_ROOT / "platform/src/copilot_platform/program.py").read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "OUTPUT_NAMES" for t in node.targets
        ):
            names: tuple[str, ...] = ast.literal_eval(node.value)
            return names
    raise AssertionError("OUTPUT_NAMES not found in copilot_platform/program.py")


def test_the_section_exists_with_its_topics() -> None:
    for topic in (
        "Build the image",
        "Run the stack with docker compose",
        "Deploy",
        "Roll back",
        "Dashboards and alerts",
        "Secrets",
        "Troubleshooting",
    ):
        assert f"### {topic}" in OPERATIONS


@pytest.mark.parametrize(
    "target", sorted(set(re.findall(r"\bmake ([a-z][a-z-]+)", OPERATIONS)) - {"lint"})
)
def test_make_targets_named_exist(target: str) -> None:
    result = run_tool([require_tool("make"), "-n", target, "STACK=staging"])
    assert result.returncode == 0, result.stderr


def test_paths_named_exist() -> None:
    paths = {
        token.split()[0].rstrip(",.")
        for snippet in CODE
        for token in re.findall(r"(?<![\w/.-])[\w./-]+", snippet)
        if token.startswith(REPO_ENTRIES)
    }
    assert "services/api/Dockerfile" in paths
    for path in sorted(paths):
        assert (REPO_ROOT / path).exists(), f"the README names {path}, which does not exist"


def test_options_named_exist() -> None:
    deploy = (REPO_ROOT / "scripts/deploy.sh").read_text(encoding="utf-8")
    ops_cli = (REPO_ROOT / "platform/src/copilot_platform/ops/cli.py").read_text(encoding="utf-8")
    for option in set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", OPERATIONS)):
        if option in FOREIGN_OPTIONS:
            continue
        assert option in deploy or f'"{option}"' in ops_cli, option


def test_every_compose_variable_is_documented() -> None:
    variables = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE_FILE.read_text(encoding="utf-8")))
    table = OPERATIONS.split("| Variable |", 1)[1].split("\n\n", 1)[0]
    for variable in sorted(variables):
        assert f"`{variable}`" in table, f"document {variable} in the README's compose table"


def test_stack_outputs_named_are_exported_and_read() -> None:
    exported = platform_output_names()
    for output in (
        "url",
        "clusterName",
        "serviceName",
        "dashboardName",
        "alarmTopicArn",
        "logGroupName",
    ):
        assert f"`{output}`" in OPERATIONS
        assert output in exported
    defaults = OutputNames()
    for key in (defaults.url, defaults.cluster, defaults.service, defaults.region):
        assert key in exported, f"the ops tools read {key!r}, which the platform does not export"
    deploy = (REPO_ROOT / "scripts/deploy.sh").read_text(encoding="utf-8")
    assert f"CLUSTER_OUTPUT:-{defaults.cluster}" in deploy
    assert f"SERVICE_OUTPUT:-{defaults.service}" in deploy
