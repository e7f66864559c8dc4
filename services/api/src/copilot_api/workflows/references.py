"""Resolving `$input.x`, `$steps.id.key` and `$context.key` references in step parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from copilot_api.workflows.definitions import REFERENCE
from copilot_api.workflows.steps.base import StepError


def resolve(value: Any, scope: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return _lookup(value, scope)
    if isinstance(value, Mapping):
        return {key: resolve(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, scope) for item in value]
    return value


def _lookup(reference: str, scope: Mapping[str, Mapping[str, Any]]) -> Any:
    match = REFERENCE.match(reference)
    if match is None:  # the loader rejects these; kept as a guard for hand-built definitions
        raise StepError(500, "bad_reference", f"bad reference '{reference}'")
    current: Any = scope[match[1]]
    for part in (match[2] or "").split(".") if match[2] else []:
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            # Optional inputs that were not given resolve to None; the step's Params decide.
            return None
    return current
