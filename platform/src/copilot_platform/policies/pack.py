"""The policy checks as Pulumi CrossGuard policies (`platform/policy`, pulumi-policy).

Every check is a stack validation over the whole `(type, inputs)` graph, exactly the function the
mock tests call: the pack adds only the enforcement level and the description a reviewer reads
in `pulumi preview`. Security and resilience rules are mandatory (they block `pulumi up`); cost
hints are advisory (reported, never blocking).
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import (
    Policy as PackPolicy,
)

from copilot_platform.policies import policies_for
from copilot_platform.policies.base import Policy, StackFacts

PACK_NAME = "realtor-ai-copilot"
# Rules that only save money: reported, never blocking a deployment.
COST_HINTS = frozenset({"ecr-lifecycle", "nat-gateways", "log-retention"})


def enforcement(policy: Policy) -> EnforcementLevel:
    return EnforcementLevel.ADVISORY if policy.id in COST_HINTS else EnforcementLevel.MANDATORY


def description(policy: Policy) -> str:
    """'3 registry: scan on push' -> 'Registry: scan on push (platform requirement 3).'"""
    number, _, text = policy.requirement.partition(" ")
    return f"{text[:1].upper()}{text[1:]} (platform requirement {number})."


def _validation(policy: Policy) -> StackValidation:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        graph = [(resource.resource_type, resource.props) for resource in args.resources]
        for violation in policy(graph):
            report_violation(violation, None)

    return validate


def pack_policies(facts: StackFacts) -> list[PackPolicy]:
    """The CrossGuard policies for a stack with these facts (production adds its own)."""
    return [
        StackValidationPolicy(
            name=policy.id,
            description=description(policy),
            validate=_validation(policy),
            enforcement_level=enforcement(policy),
        )
        for policy in policies_for(facts)
    ]
