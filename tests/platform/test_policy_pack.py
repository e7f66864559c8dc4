"""The CrossGuard pack (platform/policy) runs the same checks on both stacks: silent on the real
graphs, a violation for every breakage, mandatory for security, advisory for cost hints."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import Policy as PackPolicy

from copilot_platform.policies.facts import facts_from_config, facts_from_stack_file
from copilot_platform.policies.pack import COST_HINTS, pack_policies
from tests.harness import REPO_ROOT
from tests.platform.harness import STACKS, StackRun, stack_file_config
from tests.platform.harness import stack_policies as checked_policies
from tests.platform.test_policies_catch_violations import BREAKERS, CASES, Graph

PACK_DIR = REPO_ROOT / "platform/policy"


def as_policy_resources(graph: Sequence[tuple[str, Any]]) -> list[PolicyResource]:
    """The graph as Pulumi hands it to a stack validation (one PolicyResource per resource)."""
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return [
        PolicyResource(
            type_,
            inputs,
            f"urn:pulumi:test::p::{type_}::r{index}",
            f"r{index}",
            options,
            None,
            None,
            [],
            {},
        )
        for index, (type_, inputs) in enumerate(graph)
    ]


def violations(policy: PackPolicy, graph: Sequence[tuple[str, Any]]) -> list[str]:
    assert isinstance(policy, StackValidationPolicy)
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    policy.validate(StackValidationArgs(as_policy_resources(graph)), report)
    return found


def pack_for(run: StackRun) -> dict[str, PackPolicy]:
    return {
        policy.name: policy for policy in pack_policies(facts_from_config(run.config, REPO_ROOT))
    }


def test_the_pack_holds_every_checked_policy_and_passes_each_stack(run: StackRun) -> None:
    pack = pack_for(run)
    assert set(pack) == {policy.id for policy in checked_policies(run.config)}
    failing = {
        name: found for name, policy in pack.items() if (found := violations(policy, run.graph))
    }
    assert failing == {}


@pytest.mark.parametrize(("stack", "policy_id"), CASES)
def test_the_pack_reports_each_breakage(
    stack: str, policy_id: str, stack_run: Callable[[str], StackRun]
) -> None:
    run = stack_run(stack)
    graph: Graph = [(type_, copy.deepcopy(dict(inputs))) for type_, inputs in run.graph]
    BREAKERS[policy_id](graph)
    assert violations(pack_for(run)[policy_id], graph), f"the pack's {policy_id} stayed silent"


def test_security_is_mandatory_and_cost_hints_advisory(run: StackRun) -> None:
    for name, policy in pack_for(run).items():
        expected = EnforcementLevel.ADVISORY if name in COST_HINTS else EnforcementLevel.MANDATORY
        assert policy.enforcement_level == expected, name
        assert policy.description
        assert name not in policy.description
    assert set(pack_for(run)) >= COST_HINTS


@pytest.mark.parametrize("stack", STACKS)
def test_the_pack_reads_the_stack_file_as_the_tests_do(stack: str) -> None:
    """In `pulumi preview` the pack knows only PULUMI_STACK and the repository's files (the image
    tag, set by `pulumi config set imageTag` in CI, falls back to the git SHA locally)."""
    from_file = facts_from_stack_file(stack, REPO_ROOT)
    from_config = facts_from_config(stack_file_config(stack), REPO_ROOT)
    assert replace(from_file, image_tag="-") == replace(from_config, image_tag="-")
    assert from_file.environment == stack


def test_an_unknown_stack_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError, match=r"Pulumi\.nope\.yaml"):
        facts_from_stack_file("nope", REPO_ROOT)


def test_the_pack_runs_in_the_repository_environment() -> None:
    manifest = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert manifest["runtime"]["name"] == "python"
    assert (
        PACK_DIR / manifest["runtime"]["options"]["virtualenv"]
    ).resolve() == REPO_ROOT / ".venv"
    assert (PACK_DIR / "__main__.py").is_file()
