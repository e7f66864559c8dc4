"""Which ECS service to operate on: from the stack's outputs, from explicit arguments, or both.

`pulumi stack output --json` prints one JSON object; the platform exports the service's URL,
cluster and service names under the keys in `OutputNames` (overridable, so a renamed output does
not need a code change). Explicit arguments win over outputs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot_platform.ops.errors import OpsError


@dataclass(frozen=True, slots=True)
class OutputNames:
    """Stack output keys (`copilot_platform.program.OUTPUT_NAMES`; a test keeps them in sync)."""

    url: str = "url"
    cluster: str = "clusterName"
    service: str = "serviceName"
    region: str = "region"


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    cluster: str
    service: str
    url: str | None = None
    region: str | None = None


def read_outputs(path: Path) -> dict[str, Any]:
    """Parse a file holding the output of `pulumi stack output --json`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise OpsError(f"cannot read stack outputs from {path}: {error.strerror}") from None
    return parse_outputs(text, source=str(path))


def parse_outputs(text: str, source: str = "stack outputs") -> dict[str, Any]:
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as error:
        raise OpsError(f"{source} is not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(outputs, dict):
        raise OpsError(f"{source} must be a JSON object (pulumi stack output --json)")
    return outputs


def resolve_target(
    outputs: Mapping[str, Any] | None,
    *,
    cluster: str | None = None,
    service: str | None = None,
    url: str | None = None,
    region: str | None = None,
    names: OutputNames | None = None,
) -> ServiceTarget:
    """Combine explicit arguments with stack outputs; name the missing key and flag if any."""
    names = names or OutputNames()
    outputs = outputs or {}
    resolved_cluster = cluster or _output(outputs, names.cluster, "--cluster")
    resolved_service = service or _output(outputs, names.service, "--service")
    resolved_url = url or _optional_output(outputs, names.url)
    resolved_region = region or _optional_output(outputs, names.region)
    return ServiceTarget(resolved_cluster, resolved_service, resolved_url, resolved_region)


def _output(outputs: Mapping[str, Any], key: str, flag: str) -> str:
    value = _optional_output(outputs, key)
    if value is None:
        known = ", ".join(sorted(outputs)) or "none"
        raise OpsError(
            f"stack output {key!r} is missing (outputs present: {known}); "
            f"pass {flag} or the output's name with {flag}-output"
        )
    return value


def _optional_output(outputs: Mapping[str, Any], key: str) -> str | None:
    value = outputs.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise OpsError(f"stack output {key!r} must be a non-empty string, got {value!r}")
    return value
