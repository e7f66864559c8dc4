"""The facts a stack's policy set depends on, read the way the program reads its configuration.

The same function serves the policy pack (`pulumi preview --policy-pack platform/policy`, which
knows the stack from PULUMI_STACK and reads `Pulumi.<stack>.yaml`) and the mock tests (which pass
the configuration they run the program with), so both check a stack against the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from copilot_platform.config import PROJECT, parse_stack_config
from copilot_platform.image_tag import resolve_image_tag
from copilot_platform.policies.base import StackFacts


def facts_from_config(config: Mapping[str, Any], repo_root: Path) -> StackFacts:
    """Facts from a stack's `config:` block (keys as in the stack file: `aws:region`, ...)."""
    prefix = f"{PROJECT}:"
    values = {
        key.removeprefix(prefix): value for key, value in config.items() if key.startswith(prefix)
    }
    stack = parse_stack_config(values, config.get("aws:region"))
    return StackFacts(
        environment=stack.environment,
        https=stack.domain is not None,
        alarm_email=stack.alarm_email,
        image_tag=resolve_image_tag(stack.image_tag, repo_root),
        container_port=stack.service.container_port,
    )


def facts_from_stack_file(stack: str, repo_root: Path) -> StackFacts:
    """Facts of `stack` from `Pulumi.<stack>.yaml` (where `pulumi config set` writes)."""
    path = repo_root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no stack file for stack {stack!r}")
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return facts_from_config(document.get("config") or {}, repo_root)
