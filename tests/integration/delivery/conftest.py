"""An AWS API emulator (moto in server mode) on 127.0.0.1 for the deploy and rollback tools."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from tests.harness import free_port

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

# Services created with this desired count are "stable" at once in moto (it starts no tasks,
# so a service with a higher desired count never is: that is how instability is tested).
MOTO_RUNNING_TASKS = 2
FAMILY = "copilot-api"
CLUSTER = "copilot-staging"
SERVICE = "copilot-api"


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env={**os.environ, "MOTO_ECS_SERVICE_RUNNING": str(MOTO_RUNNING_TASKS)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_for(endpoint, process, log)
        yield endpoint
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(endpoint: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"moto_server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"moto_server did not answer within 30s:\n{log.read_text()}")


def aws_environment(endpoint: str) -> dict[str, str]:
    """Fake credentials aimed at the emulator; no config file, no instance metadata lookups."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A freshly reset emulator and the environment that points boto3 (and children) at it."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=5):
        pass
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_ECS"):
        monkeypatch.delenv(name, raising=False)
    environment = aws_environment(moto_endpoint)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment


@dataclass(frozen=True)
class Deployment:
    client: ECSClient
    cluster: str
    service: str
    revisions: list[str]  # task-definition ARNs, oldest first


def register_revisions(client: ECSClient, count: int, family: str = FAMILY) -> list[str]:
    arns = []
    for number in range(1, count + 1):
        response = client.register_task_definition(
            family=family,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": "api",
                    "image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/copilot:{number}",
                }
            ],
        )
        arns.append(response["taskDefinition"]["taskDefinitionArn"])
    return arns


@pytest.fixture
def deployment(aws: dict[str, str]) -> Deployment:
    """A cluster and a stable service running revision 3 of 3."""
    client = boto3.client("ecs")
    client.create_cluster(clusterName=CLUSTER)
    revisions = register_revisions(client, 3)
    client.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=revisions[-1],
        desiredCount=MOTO_RUNNING_TASKS,
        launchType="FARGATE",
    )
    return Deployment(client, CLUSTER, SERVICE, revisions)


def running_task_definition(deployment: Deployment) -> str:
    described = deployment.client.describe_services(
        cluster=deployment.cluster, services=[deployment.service]
    )
    return described["services"][0]["taskDefinition"]
