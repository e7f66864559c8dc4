"""Every policy holds on both stacks, as the stack files and an operator configure them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.platform.harness import STACKS, StackRun, operator_config, stack_policies

CASES = [
    (stack, policy.id) for stack in STACKS for policy in stack_policies(operator_config(stack))
]


@pytest.mark.parametrize(("stack", "policy_id"), CASES)
def test_policy_holds(stack: str, policy_id: str, stack_run: Callable[[str], StackRun]) -> None:
    run = stack_run(stack)
    policy = next(p for p in stack_policies(run.config) if p.id == policy_id)
    assert policy(run.graph) == [], policy.requirement


def test_production_adds_resilience_and_https_policies() -> None:
    staging = {p.id for p in stack_policies(operator_config("staging"))}
    production = {p.id for p in stack_policies(operator_config("production"))}
    assert production - staging == {
        "rds-multi-az",
        "rds-deletion-protection",
        "rds-final-snapshot",
        "rds-performance-insights",
        "redis-failover",
        "redis-two-nodes",
        "redis-snapshots",
        "alb-deletion-protection",
        "https-redirect",
    }
    assert staging - production == {"plain-http-only-on-80"}
