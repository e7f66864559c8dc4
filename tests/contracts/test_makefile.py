"""The Makefile has the seed's targets, and each resolves to the command it documents."""

from __future__ import annotations

import pytest

from tests.contracts.delivery import require_tool, run_tool

SEED_TARGETS = [
    "install",
    "dev",
    "test",
    "test-cov",
    "lint",
    "format",
    "docker-build",
    "docker-up",
    "docker-down",
    "docker-logs",
    "deploy-staging",
    "deploy-prod",
    "rollback",
    "ci-lint",
    "ci-test",
    "ci-build",
    "preview",
]
README_COMMANDS = ["run", "test", "lint", "fmt", "docs", "install"]


def dry_run(*args: str) -> str:
    result = run_tool([require_tool("make"), "-n", *args])
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("target", sorted(set(SEED_TARGETS + README_COMMANDS)))
def test_target_exists(target: str) -> None:
    dry_run(target, "STACK=staging")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("deploy-staging",), "scripts/deploy.sh deploy staging"),
        (("deploy-prod",), "scripts/deploy.sh deploy production"),
        (("rollback", "STACK=production"), "scripts/deploy.sh rollback production"),
        (("preview", "STACK=staging"), "pulumi preview --stack staging"),
        (
            ("docker-up", "PROFILES=monitoring production"),
            "docker compose --profile monitoring --profile production up",
        ),
        (("docker-build", "TAG=abc123"), "scripts/deploy.sh build --tag abc123"),
        (("ci-build", "TAG=abc123"), "docker buildx build --file services/api/Dockerfile"),
        (("ci-test",), "--junitxml"),
        (("test-cov",), "--cov=copilot_api"),
    ],
)
def test_target_runs_the_documented_command(args: tuple[str, ...], expected: str) -> None:
    assert expected in dry_run(*args)


def test_preview_refuses_an_unknown_stack() -> None:
    result = run_tool([require_tool("make"), "preview", "STACK=qa"])
    assert result.returncode != 0
    assert "usage: make preview STACK=staging|production (got 'qa')" in result.stderr
