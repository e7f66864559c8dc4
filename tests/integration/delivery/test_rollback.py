"""The rollback tool against moto's ECS API in server mode (real boto3 calls over HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from copilot_platform.ops import OpsError
from copilot_platform.ops.cli import main
from copilot_platform.ops.ecs import EcsService, ecs_client
from copilot_platform.ops.rollback import rollback
from tests.integration.delivery.conftest import (
    CLUSTER,
    FAMILY,
    MOTO_RUNNING_TASKS,
    SERVICE,
    Deployment,
    register_revisions,
    running_task_definition,
)

FAST = ["--poll-interval", "0.2", "--timeout", "30"]


def test_rolls_back_to_the_previous_revision_and_waits_until_stable(
    deployment: Deployment,
) -> None:
    result = rollback(EcsService(ecs_client(), CLUSTER, SERVICE), timeout=30, poll_interval=0.2)
    assert (result.rolled_back_from.revision, result.rolled_back_to.revision) == (3, 2)
    assert result.changed
    assert result.stable_after_seconds is not None
    assert running_task_definition(deployment) == deployment.revisions[1]
    assert "copilot-api:3 -> copilot-api:2" in result.report()


def test_each_rollback_goes_back_one_more_revision_until_there_is_none(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    target = ["--cluster", CLUSTER, "--service", SERVICE, *FAST]
    assert main(["rollback", *target]) == 0
    assert main(["rollback", *target]) == 0
    assert running_task_definition(deployment) == deployment.revisions[0]
    capsys.readouterr()

    assert main(["rollback", *target]) == 1
    error = capsys.readouterr().err
    assert "no earlier revision of copilot-api than copilot-api:1" in error
    assert running_task_definition(deployment) == deployment.revisions[0]


def test_skips_deregistered_revisions_and_says_when_only_those_remain(
    deployment: Deployment,
) -> None:
    deployment.client.deregister_task_definition(taskDefinition=deployment.revisions[1])
    service = EcsService(ecs_client(), CLUSTER, SERVICE)
    result = rollback(service, timeout=30, poll_interval=0.2)
    assert result.rolled_back_to.revision == 1  # 2 is INACTIVE and can never run again

    deployment.client.deregister_task_definition(taskDefinition=deployment.revisions[0])
    service.deploy(service.task_definition(deployment.revisions[2]))
    with pytest.raises(OpsError, match=r"revisions 1, 2 are deregistered"):
        rollback(service, timeout=30, poll_interval=0.2)


def test_ignores_other_families_sharing_the_prefix(deployment: Deployment) -> None:
    register_revisions(deployment.client, 4, family=f"{FAMILY}-worker")
    result = rollback(EcsService(ecs_client(), CLUSTER, SERVICE), timeout=30, poll_interval=0.2)
    assert result.rolled_back_to.arn == deployment.revisions[1]


def test_rolls_back_to_an_explicit_revision_or_task_definition(deployment: Deployment) -> None:
    service = EcsService(ecs_client(), CLUSTER, SERVICE)
    assert (
        rollback(service, to_revision=1, timeout=30, poll_interval=0.2).rolled_back_to.revision == 1
    )
    with pytest.raises(OpsError, match="not older than the running copilot-api:1"):
        rollback(service, to_revision=2)

    # The known-good definition recorded before a deploy: going "back" to it is idempotent.
    result = rollback(service, to_task_definition=deployment.revisions[0])
    assert not result.changed
    assert "nothing to roll back" in result.report()


def test_finds_the_service_from_stack_outputs_with_configurable_names(
    deployment: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps({"ecsCluster": CLUSTER, "ecsService": SERVICE, "url": "https://example.test"})
    )
    code = main(
        [
            "rollback",
            "--outputs-file",
            str(outputs),
            "--cluster-output",
            "ecsCluster",
            "--service-output",
            "ecsService",
            *FAST,
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "copilot-api:3 -> copilot-api:2; stable after" in capsys.readouterr().out
    assert running_task_definition(deployment) == deployment.revisions[1]


def test_missing_stack_output_names_the_key_and_the_flag(
    deployment: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"url": "https://example.test"}))
    assert main(["rollback", "--outputs-file", str(outputs), *FAST]) == 1
    error = capsys.readouterr().err
    assert "stack output 'clusterName' is missing" in error
    assert "--cluster" in error
    assert running_task_definition(deployment) == deployment.revisions[2]


@pytest.mark.parametrize(
    ("cluster", "service", "message"),
    [
        (
            CLUSTER,
            "no-such-service",
            "service 'no-such-service' in cluster 'copilot-staging': not found",
        ),
        ("no-such-cluster", SERVICE, "cluster 'no-such-cluster'"),
    ],
)
def test_unknown_service_or_cluster_is_a_clear_error(
    deployment: Deployment,
    cluster: str,
    service: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["rollback", "--cluster", cluster, "--service", service, *FAST]) == 1
    error = capsys.readouterr().err
    assert error.startswith("ops: error: ")
    assert message in error
    assert "Traceback" not in error


def test_a_service_that_never_settles_fails_with_its_counts(aws: dict[str, str]) -> None:
    client = boto3.client("ecs")
    client.create_cluster(clusterName=CLUSTER)
    revisions = register_revisions(client, 2)
    client.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=revisions[-1],
        desiredCount=MOTO_RUNNING_TASKS + 3,  # the emulator never starts these
        launchType="FARGATE",
    )
    with pytest.raises(OpsError, match=r"did not become stable within 1s \(2/5 tasks running"):
        rollback(EcsService(ecs_client(), CLUSTER, SERVICE), timeout=1, poll_interval=0.2)


def test_current_prints_the_running_task_definition(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["current", "--cluster", CLUSTER, "--service", SERVICE]) == 0
    assert capsys.readouterr().out.strip() == deployment.revisions[2]


def test_check_credentials_reports_the_source_or_exits_3(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-credentials"]) == 0
    assert "AWS credentials from env, region us-east-1" in capsys.readouterr().out
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert main(["check-credentials"]) == 3
    assert "no AWS credentials found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"clusterName": 7, "serviceName": "s"}', "'clusterName' must be a non-empty string"),
    ],
)
def test_unreadable_stack_outputs_are_explained(
    aws: dict[str, str],
    tmp_path: Path,
    content: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(content)
    assert main(["rollback", "--outputs-file", str(outputs)]) == 1
    assert message in capsys.readouterr().err


def test_refuses_an_explicit_target_that_was_deregistered(deployment: Deployment) -> None:
    deployment.client.deregister_task_definition(taskDefinition=deployment.revisions[0])
    service = EcsService(ecs_client(), CLUSTER, SERVICE)
    with pytest.raises(OpsError, match=r"copilot-api:1 is deregistered \(INACTIVE\)"):
        rollback(service, to_task_definition=deployment.revisions[0])
    with pytest.raises(OpsError, match="is deregistered"):
        rollback(service, to_revision=1)
    assert running_task_definition(deployment) == deployment.revisions[2]
