""".github/workflows: valid per the GitHub workflow schema, with the pipeline's seven jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.contracts.delivery import WORKFLOWS_DIR, load_yaml, require_tool, run_tool

WORKFLOW_FILES = sorted(WORKFLOWS_DIR.glob("*.yml"))
CI_CD: dict[str, Any] = load_yaml(WORKFLOWS_DIR / "ci-cd.yml")
PREVIEW: dict[str, Any] = load_yaml(WORKFLOWS_DIR / "infra-preview.yml")
JOBS: dict[str, Any] = CI_CD["jobs"]


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True.
    value = workflow.get("on", workflow.get(True))  # type: ignore[call-overload]
    assert isinstance(value, dict)
    return value


def run_lines(job: str) -> str:
    return "\n".join(step.get("run", "") for step in JOBS[job]["steps"])


def uses(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if "uses" in step]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_valid_per_the_github_workflow_schema(path: Path) -> None:
    result = run_tool(
        [require_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_both_workflows_exist() -> None:
    assert {path.name for path in WORKFLOW_FILES} >= {"ci-cd.yml", "infra-preview.yml"}


def test_the_seven_jobs() -> None:
    assert set(JOBS) == {
        "lint",
        "security",
        "test",
        "build",
        "integration",
        "deploy-staging",
        "deploy-production",
    }


def test_lint_and_security_jobs_run_the_checkers() -> None:
    lint = run_lines("lint")
    assert "ruff format --check" in lint
    assert "ruff check" in lint
    assert "mypy" in lint
    security = run_lines("security")
    assert "pip-audit" in security
    assert "make security" in security  # bandit, same as locally


def test_test_job_has_pgvector_and_redis_services_and_reports_coverage() -> None:
    services = JOBS["test"]["services"]
    assert services["postgres"]["image"].startswith("pgvector/pgvector:")
    assert services["redis"]["image"].startswith("redis:")
    assert "make ci-test" in run_lines("test")


def test_build_uses_buildx_with_the_github_actions_cache() -> None:
    build = {step["uses"].split("@")[0]: step for step in uses(JOBS["build"])}
    assert "docker/setup-buildx-action" in build
    push = build["docker/build-push-action"]["with"]
    assert push["file"] == "services/api/Dockerfile"
    assert push["cache-from"] == "type=gha"
    assert push["cache-to"].startswith("type=gha")


def test_integration_brings_compose_up_and_smoke_tests_it() -> None:
    integration = run_lines("integration")
    assert JOBS["integration"]["needs"] == ["build"]
    assert "docker compose" in integration
    assert "up --detach" in integration
    assert "copilot_platform.ops smoke" in integration


def test_deploys_run_after_every_check_on_their_branch() -> None:
    checks = {"lint", "security", "test", "build", "integration"}
    staging, production = JOBS["deploy-staging"], JOBS["deploy-production"]
    assert set(staging["needs"]) == checks == set(production["needs"])
    assert "refs/heads/develop" in staging["if"]
    assert "refs/heads/main" in production["if"]
    assert "scripts/deploy.sh deploy staging" in run_lines("deploy-staging")
    assert "scripts/deploy.sh deploy production" in run_lines("deploy-production")


def test_production_waits_for_approval_and_publishes_a_release() -> None:
    production = JOBS["deploy-production"]
    assert production["environment"]["name"] == "production"
    assert production["permissions"]["contents"] == "write"
    assert "gh release create" in run_lines("deploy-production")
    assert production["concurrency"]["cancel-in-progress"] is False


def test_deploys_use_oidc_not_long_lived_keys() -> None:
    for name in ("deploy-staging", "deploy-production"):
        job = JOBS[name]
        assert job["permissions"]["id-token"] == "write"
        aws = next(s for s in uses(job) if s["uses"].startswith("aws-actions/configure-aws"))
        assert "role-to-assume" in aws["with"]
        assert "aws-access-key-id" not in aws["with"]


def test_infra_preview_comments_each_stack_and_skips_without_credentials() -> None:
    assert "pull_request" in triggers(PREVIEW)
    job = next(iter(PREVIEW["jobs"].values()))
    assert job["strategy"]["matrix"]["stack"] == ["staging", "production"]
    pulumi = next(s for s in uses(job) if s["uses"].startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    gate = "steps.credentials.outputs.available == 'true'"
    first, *rest = job["steps"]
    assert first["id"] == "credentials"
    assert all(step.get("if") == gate for step in rest), "every step after the check is gated"


def test_make_targets_used_by_ci_exist() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in WORKFLOW_FILES)
    make = require_tool("make")
    for target in ("security", "ci-test"):
        assert f"make {target}" in text
        result = run_tool([make, "-n", target])
        assert result.returncode == 0, result.stderr
