"""Roll an ECS service back to an earlier task-definition revision and wait until it is stable.

    python -m copilot_platform.ops.rollback --outputs-file outputs.json
    python -m copilot_platform.ops.rollback --cluster C --service S [--to-revision 41]

By default the target is the newest ACTIVE revision of the service's family older than the one
it runs now, so running it twice goes back two releases.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from copilot_platform.ops.ecs import EcsService, TaskDefinition
from copilot_platform.ops.errors import OpsError


@dataclass(frozen=True, slots=True)
class RollbackResult:
    cluster: str
    service: str
    rolled_back_from: TaskDefinition
    rolled_back_to: TaskDefinition
    changed: bool
    stable_after_seconds: float | None

    def report(self) -> str:
        where = f"service {self.service} in cluster {self.cluster}"
        if not self.changed:
            return f"{where} already runs {self.rolled_back_to}; nothing to roll back"
        waited = (
            f"; stable after {self.stable_after_seconds:.0f}s"
            if self.stable_after_seconds is not None
            else " (not waited for)"
        )
        return f"rolled back {where}: {self.rolled_back_from} -> {self.rolled_back_to}{waited}"


def rollback(
    service: EcsService,
    *,
    to_revision: int | None = None,
    to_task_definition: str | None = None,
    wait: bool = True,
    timeout: float = 900.0,
    poll_interval: float = 15.0,
) -> RollbackResult:
    """Point the service at an earlier revision (or the one given) and wait for stability."""
    if to_revision is not None and to_task_definition is not None:
        raise OpsError("give either a revision or a task definition to roll back to, not both")
    current = service.current_task_definition()
    if to_task_definition is not None:
        target = service.deployable_task_definition(to_task_definition)
    elif to_revision is not None:
        if to_revision >= current.revision:
            raise OpsError(
                f"revision {to_revision} is not older than the running {current}; "
                "rollback only goes back"
            )
        target = service.deployable_task_definition(f"{current.family}:{to_revision}")
    else:
        target = service.previous_revision(current)

    if target.arn == current.arn:
        return RollbackResult(service.cluster, service.service, current, target, False, None)
    service.deploy(target)
    if not wait:
        return RollbackResult(service.cluster, service.service, current, target, True, None)
    started = time.monotonic()
    service.wait_until_stable(timeout, poll_interval)
    return RollbackResult(
        service.cluster, service.service, current, target, True, time.monotonic() - started
    )


def main(argv: Sequence[str] | None = None) -> int:
    from copilot_platform.ops.cli import main as ops_main

    return ops_main(["rollback", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
