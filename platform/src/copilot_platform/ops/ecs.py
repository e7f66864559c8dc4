"""The ECS calls behind rollback and verification, each turned into an `OpsError` an operator
can act on (unknown cluster or service, no earlier revision, a service that never settles)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, WaiterError

from copilot_platform.ops.errors import OpsError

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.literals import TaskDefinitionStatusType
    from mypy_boto3_ecs.type_defs import ServiceTypeDef

_T = TypeVar("_T")

# arn:aws:ecs:us-east-1:123456789012:task-definition/copilot-api:42
_TASK_DEFINITION_ARN = re.compile(
    r"^arn:[^:]+:ecs:[^:]*:\d*:task-definition/(?P<family>[^:]+):(?P<rev>\d+)$"
)


@dataclass(frozen=True, slots=True, order=True)
class TaskDefinition:
    family: str
    revision: int
    arn: str

    @classmethod
    def from_arn(cls, arn: str) -> TaskDefinition:
        match = _TASK_DEFINITION_ARN.match(arn)
        if match is None:
            raise OpsError(f"not a task-definition ARN: {arn!r}")
        return cls(match["family"], int(match["rev"]), arn)

    def __str__(self) -> str:
        return f"{self.family}:{self.revision}"


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    task_definition: str
    desired: int
    running: int
    pending: int
    deployments: int
    rollout_state: str | None

    def __str__(self) -> str:
        rollout = f", rollout {self.rollout_state}" if self.rollout_state else ""
        return (
            f"{self.running}/{self.desired} tasks running, {self.pending} pending, "
            f"{self.deployments} deployment(s){rollout}"
        )


def ecs_client(region: str | None = None) -> ECSClient:
    """An ECS client from the standard credential chain; fails early when there is none.

    `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_ECS`) is honoured by botocore, which is how the
    tests point this at a local AWS emulator.
    """
    session = boto3.Session(region_name=region)
    resolved_region: str | None = session.region_name  # None when nothing configures one
    if resolved_region is None:
        raise OpsError("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) or pass --region")
    if session.get_credentials() is None:
        raise OpsError(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "(or use a role, e.g. OIDC in CI)"
        )
    return session.client("ecs")


class EcsService:
    """One ECS service in one cluster."""

    def __init__(self, client: ECSClient, cluster: str, service: str) -> None:
        self.client = client
        self.cluster = cluster
        self.service = service

    @property
    def _subject(self) -> str:
        return f"service {self.service!r} in cluster {self.cluster!r}"

    def status(self) -> ServiceStatus:
        described = self._describe()
        primary = next(
            (d for d in described.get("deployments", []) if d.get("status") == "PRIMARY"), None
        )
        return ServiceStatus(
            task_definition=described["taskDefinition"],
            desired=described.get("desiredCount", 0),
            running=described.get("runningCount", 0),
            pending=described.get("pendingCount", 0),
            deployments=len(described.get("deployments", [])),
            rollout_state=primary.get("rolloutState") if primary else None,
        )

    def current_task_definition(self) -> TaskDefinition:
        """The task definition the service is set to run (its PRIMARY deployment's)."""
        return self.task_definition(self._describe()["taskDefinition"])

    def task_definition(self, reference: str) -> TaskDefinition:
        """Resolve `family:revision`, a bare family (latest ACTIVE) or an ARN to a full ARN."""
        return self._describe_task_definition(reference)[0]

    def deployable_task_definition(self, reference: str) -> TaskDefinition:
        """Like `task_definition`, but refuses a deregistered revision (ECS cannot run it)."""
        found, status = self._describe_task_definition(reference)
        if status == "INACTIVE":
            raise OpsError(f"{found} is deregistered (INACTIVE) and cannot run again")
        return found

    def previous_revision(self, current: TaskDefinition) -> TaskDefinition:
        """The newest ACTIVE revision of the same family older than `current`.

        Deregistered (INACTIVE) revisions cannot be deployed again, so they are never chosen;
        when only those exist the error says so.
        """
        older = [
            d for d in self._revisions(current.family, "ACTIVE") if d.revision < current.revision
        ]
        if older:
            return max(older)
        inactive = [
            d for d in self._revisions(current.family, "INACTIVE") if d.revision < current.revision
        ]
        if inactive:
            raise OpsError(
                f"no earlier ACTIVE revision of {current.family} than {current}: revisions "
                f"{', '.join(str(d.revision) for d in sorted(inactive))} are deregistered and "
                "cannot run again"
            )
        raise OpsError(
            f"no earlier revision of {current.family} than {current}: nothing to roll back to"
        )

    def deploy(self, task_definition: TaskDefinition) -> None:
        self._call(
            self._subject,
            lambda: self.client.update_service(
                cluster=self.cluster, service=self.service, taskDefinition=task_definition.arn
            ),
        )

    def wait_until_stable(self, timeout: float, poll_interval: float) -> None:
        """Wait until one deployment runs the desired count (the `services_stable` waiter)."""
        waiter = self.client.get_waiter("services_stable")
        attempts = max(1, math.ceil(timeout / poll_interval))
        try:
            waiter.wait(
                cluster=self.cluster,
                services=[self.service],
                WaiterConfig={"Delay": poll_interval, "MaxAttempts": attempts},  # type: ignore[typeddict-item]
            )
        except WaiterError as error:
            raise OpsError(
                f"service {self.service!r} did not become stable within {timeout:g}s "
                f"({self.status()})"
            ) from error

    def _describe_task_definition(self, reference: str) -> tuple[TaskDefinition, str | None]:
        response = self._call(
            f"task definition {reference!r}",
            lambda: self.client.describe_task_definition(taskDefinition=reference),
        )
        definition = response["taskDefinition"]
        found = TaskDefinition(
            definition["family"], definition["revision"], definition["taskDefinitionArn"]
        )
        return found, definition.get("status")

    def _describe(self) -> ServiceTypeDef:
        response = self._call(
            self._subject,
            lambda: self.client.describe_services(cluster=self.cluster, services=[self.service]),
        )
        services = [s for s in response.get("services", []) if s.get("status") != "INACTIVE"]
        if not services:
            raise OpsError(f"{self._subject}: not found")
        return services[0]

    def _revisions(self, family: str, status: TaskDefinitionStatusType) -> list[TaskDefinition]:
        paginator = self.client.get_paginator("list_task_definitions")
        found: list[TaskDefinition] = []
        try:
            for page in paginator.paginate(familyPrefix=family, status=status):
                found.extend(TaskDefinition.from_arn(arn) for arn in page["taskDefinitionArns"])
        except (ClientError, BotoCoreError) as error:
            raise _explain(error, f"task definitions of {family!r}") from error
        # familyPrefix is a prefix: "copilot-api" also matches "copilot-api-worker".
        return [d for d in found if d.family == family]

    @staticmethod
    def _call(subject: str, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except (ClientError, BotoCoreError) as error:
            raise _explain(error, subject) from error


def _explain(error: ClientError | BotoCoreError, subject: str) -> OpsError:
    if isinstance(error, NoCredentialsError):
        return OpsError("no AWS credentials found")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code == "ClusterNotFoundException":
            return OpsError(f"{subject}: cluster not found")
        if code == "ServiceNotFoundException":
            return OpsError(f"{subject}: not found")
        if code in {"AccessDeniedException", "UnrecognizedClientException"}:
            return OpsError(f"{subject}: AWS refused the credentials ({code}: {message})")
        return OpsError(f"{subject}: {code or 'error'}: {message}")
    return OpsError(f"{subject}: {error}")
