"""`python -m copilot_platform.ops COMMAND`: the operations `scripts/deploy.sh` runs.

    check-credentials  exit 3 unless the AWS credential chain yields credentials (no API call)
    current            print the task-definition ARN the service runs now
    rollback           go back one revision (or to --to-revision / --to-task-definition)
    verify             wait until the service is stable, then until /health/readiness is ready
    smoke              only the readiness check, against --url (e.g. a local compose stack)

Exit status: 0 done, 1 the operation failed (one line on stderr says why), 2 bad usage,
3 a prerequisite (credentials, region) is missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import boto3

from copilot_platform.ops.ecs import EcsService, ecs_client
from copilot_platform.ops.errors import OpsError
from copilot_platform.ops.rollback import rollback
from copilot_platform.ops.target import OutputNames, ServiceTarget, read_outputs, resolve_target
from copilot_platform.ops.verify import wait_until_ready

EXIT_FAILED = 1
EXIT_PREREQUISITE = 3

Command = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Command = args.command
    try:
        return command(args)
    except OpsError as error:
        print(f"ops: error: {error}", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m copilot_platform.ops", description="Operate a deployed copilot stack"
    )
    commands = parser.add_subparsers(title="commands", required=True)

    credentials = commands.add_parser("check-credentials", help="fail unless AWS credentials exist")
    credentials.add_argument("--region", help="AWS region (default: AWS_REGION)")
    credentials.set_defaults(command=_check_credentials)

    current = commands.add_parser("current", help="print the running task-definition ARN")
    _add_target_arguments(current)
    current.set_defaults(command=_current)

    back = commands.add_parser("rollback", help="roll the service back to an earlier revision")
    _add_target_arguments(back)
    choice = back.add_mutually_exclusive_group()
    choice.add_argument("--to-revision", type=int, help="family revision to go back to")
    choice.add_argument("--to-task-definition", help="task-definition ARN (or family:revision)")
    back.add_argument("--no-wait", action="store_true", help="do not wait for stability")
    _add_wait_arguments(back, timeout=900.0, poll_interval=15.0)
    back.set_defaults(command=_rollback)

    verify = commands.add_parser("verify", help="wait for stability, then for readiness")
    _add_target_arguments(verify)
    _add_wait_arguments(verify, timeout=900.0, poll_interval=15.0)
    verify.add_argument(
        "--ready-timeout", type=float, default=300.0, help="seconds to wait for readiness"
    )
    verify.set_defaults(command=_verify)

    smoke = commands.add_parser("smoke", help="wait until URL/health/readiness is ready")
    smoke.add_argument("--url", required=True, help="base URL, e.g. http://localhost:8000")
    _add_wait_arguments(smoke, timeout=120.0, poll_interval=2.0)
    smoke.set_defaults(command=_smoke)
    return parser


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("service (explicit values win over stack outputs)")
    group.add_argument("--outputs-file", type=Path, help="JSON of `pulumi stack output --json`")
    group.add_argument("--cluster", help="ECS cluster name or ARN")
    group.add_argument("--service", help="ECS service name or ARN")
    group.add_argument("--url", help="public base URL of the service")
    group.add_argument("--region", help="AWS region (default: the stack's, then AWS_REGION)")
    defaults = OutputNames()
    group.add_argument("--cluster-output", default=defaults.cluster, help="output key")
    group.add_argument("--service-output", default=defaults.service, help="output key")
    group.add_argument("--url-output", default=defaults.url, help="output key")
    group.add_argument("--region-output", default=defaults.region, help="output key")


def _add_wait_arguments(
    parser: argparse.ArgumentParser, *, timeout: float, poll_interval: float
) -> None:
    parser.add_argument("--timeout", type=float, default=timeout, help="seconds (%(default)s)")
    parser.add_argument(
        "--poll-interval", type=float, default=poll_interval, help="seconds (%(default)s)"
    )


def _target(args: argparse.Namespace) -> ServiceTarget:
    outputs = read_outputs(args.outputs_file) if args.outputs_file else None
    return resolve_target(
        outputs,
        cluster=args.cluster,
        service=args.service,
        url=args.url,
        region=args.region,
        names=OutputNames(
            url=args.url_output,
            cluster=args.cluster_output,
            service=args.service_output,
            region=args.region_output,
        ),
    )


def _service(target: ServiceTarget) -> EcsService:
    return EcsService(ecs_client(target.region), target.cluster, target.service)


def _check_credentials(args: argparse.Namespace) -> int:
    session = boto3.Session(region_name=args.region)
    credentials = session.get_credentials()
    if credentials is None:
        print(
            "ops: error: no AWS credentials found: set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or use a role, e.g. OIDC in CI)",
            file=sys.stderr,
        )
        return EXIT_PREREQUISITE
    region: str | None = session.region_name  # None when nothing configures one
    if region is None:
        print("ops: error: no AWS region: set AWS_REGION or pass --region", file=sys.stderr)
        return EXIT_PREREQUISITE
    print(f"AWS credentials from {credentials.method}, region {region}")
    return 0


def _current(args: argparse.Namespace) -> int:
    target = _target(args)
    print(_service(target).current_task_definition().arn)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    target = _target(args)
    service = _service(target)
    print(f"rolling back service {target.service} in cluster {target.cluster} ...", flush=True)
    result = rollback(
        service,
        to_revision=args.to_revision,
        to_task_definition=args.to_task_definition,
        wait=not args.no_wait,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
    )
    print(result.report())
    return 0


def _verify(args: argparse.Namespace) -> int:
    target = _target(args)
    if target.url is None:
        raise OpsError(f"no service URL: stack output {args.url_output!r} is missing; pass --url")
    service = _service(target)
    print(f"waiting for service {target.service} to be stable ...", flush=True)
    service.wait_until_stable(args.timeout, args.poll_interval)
    print(f"stable: {service.status()}", flush=True)
    readiness = wait_until_ready(
        target.url, timeout=args.ready_timeout, poll_interval=min(args.poll_interval, 5.0)
    )
    print(
        f"ready: {readiness.url} answered {readiness.status} after {readiness.attempts} attempt(s)"
    )
    return 0


def _smoke(args: argparse.Namespace) -> int:
    readiness = wait_until_ready(args.url, timeout=args.timeout, poll_interval=args.poll_interval)
    print(
        f"ready: {readiness.url} answered {readiness.status} after {readiness.attempts} attempt(s)"
    )
    return 0
