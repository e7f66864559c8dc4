"""Pulumi CrossGuard entry point: the platform's rules for the stack being previewed or updated.

Pulumi starts this with PULUMI_STACK set; the stack's facts (environment, domain, alarm email,
image tag) come from `Pulumi.<stack>.yaml`, exactly as the mock tests derive them.
"""

import os
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

from copilot_platform.policies.facts import facts_from_stack_file
from copilot_platform.policies.pack import PACK_NAME, pack_policies

REPO_ROOT = Path(__file__).resolve().parent.parent.parent

PolicyPack(
    name=PACK_NAME,
    policies=pack_policies(facts_from_stack_file(os.environ["PULUMI_STACK"], REPO_ROOT)),
    enforcement_level=EnforcementLevel.MANDATORY,
)
