"""scripts/deploy.sh end to end: its guard rails, and a rollback through it against moto."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness import REPO_ROOT
from tests.integration.delivery.conftest import (
    CLUSTER,
    SERVICE,
    Deployment,
    aws_environment,
    running_task_definition,
)

SCRIPT = REPO_ROOT / "scripts" / "deploy.sh"
EXIT_USAGE, EXIT_PREREQUISITE = 2, 3


def _clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any AWS or Pulumi settings, plus `extra`."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "PULUMI_"))
    }
    # Never reach for instance metadata or a developer's ~/.aws from a test.
    environment |= {
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    return environment | extra


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        env=env if env is not None else _clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "missing command"),
        (("ship",), "unknown command 'ship'"),
        (("deploy",), "missing environment: expected staging or production"),
        (("deploy", "qa"), "unknown environment 'qa': expected staging or production"),
        (("rollback", "prod"), "unknown environment 'prod': expected staging or production"),
        (("deploy", "staging", "--force"), "unknown option for deploy: --force"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert message in result.stderr


def test_a_missing_tool_is_named_with_how_to_get_it(tmp_path: Path) -> None:
    # A PATH holding only what the script needs before it looks for pulumi.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "uv"):
        found = shutil.which(tool)
        assert found, f"{tool} must be installed for this test"
        (bin_dir / tool).symlink_to(found)
    result = run("deploy", "staging", env=_clean_environment(PATH=str(bin_dir)))
    assert result.returncode == EXIT_PREREQUISITE, result.stderr
    assert "pulumi is not installed: install the Pulumi CLI" in result.stderr


def test_missing_aws_credentials_stop_before_any_change() -> None:
    result = run(
        "rollback",
        "staging",
        "--cluster",
        CLUSTER,
        "--service",
        SERVICE,
        env=_clean_environment(AWS_REGION="us-east-1"),
    )
    assert result.returncode == EXIT_PREREQUISITE, result.stderr
    assert "no AWS credentials found" in result.stderr
    assert "Traceback" not in result.stderr


def test_rollback_with_explicit_service_goes_back_one_revision(
    deployment: Deployment, moto_endpoint: str
) -> None:
    result = run(
        "rollback",
        "staging",
        "--cluster",
        CLUSTER,
        "--service",
        SERVICE,
        "--poll-interval",
        "0.2",
        "--timeout",
        "30",
        env=_clean_environment(**aws_environment(moto_endpoint)),
    )
    assert result.returncode == 0, result.stderr
    assert "copilot-api:3 -> copilot-api:2; stable after" in result.stdout
    assert running_task_definition(deployment) == deployment.revisions[1]


def test_rollback_from_a_stack_outputs_file(
    deployment: Deployment, moto_endpoint: str, tmp_path: Path
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps({"clusterName": CLUSTER, "serviceName": SERVICE, "url": "https://x.test"})
    )
    result = run(
        "rollback",
        "production",
        "--outputs-file",
        str(outputs),
        "--to-revision",
        "1",
        "--poll-interval",
        "0.2",
        "--timeout",
        "30",
        env=_clean_environment(**aws_environment(moto_endpoint)),
    )
    assert result.returncode == 0, result.stderr
    assert running_task_definition(deployment) == deployment.revisions[0]


def test_rollback_of_an_unknown_service_fails_clearly(
    deployment: Deployment, moto_endpoint: str
) -> None:
    result = run(
        "rollback",
        "staging",
        "--cluster",
        CLUSTER,
        "--service",
        "ghost",
        env=_clean_environment(**aws_environment(moto_endpoint)),
    )
    assert result.returncode == 1
    assert "service 'ghost' in cluster 'copilot-staging': not found" in result.stderr
    assert "deploy: error: rollback of staging failed" in result.stderr
    assert running_task_definition(deployment) == deployment.revisions[2]
