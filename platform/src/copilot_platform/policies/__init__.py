"""Policy checks: pure functions over `(type, inputs)` of the recorded resource graph.

Each policy names the requirement of issue 7 it enforces and returns its violations (empty:
compliant). Resource policies look at every resource of one type, stack policies at the whole
list of `(type, inputs)` (counts, presence, cross-resource facts). One module per tier;
`policies_for` selects what applies to a stack: production adds its resilience rules, and a stack
with a domain must serve HTTPS.
"""

from __future__ import annotations

from copilot_platform.policies import data, monitoring, network, secrets, service
from copilot_platform.policies.base import Policy, StackFacts

__all__ = ["Policy", "StackFacts", "policies_for"]


def policies_for(facts: StackFacts) -> list[Policy]:
    tiers = (network, data, secrets, service, monitoring)
    found = [policy for tier in tiers for policy in tier.policies(facts)]
    ids = [policy.id for policy in found]
    assert len(ids) == len(set(ids)), "policy ids must be unique"
    return found
