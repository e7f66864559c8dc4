"""Who is calling: the verified API key's public prefix, used as the user id of sessions,
executions and A/B assignments. None outside `/api` (no key is checked there)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from copilot_api.security.middleware import PRINCIPAL_STATE
from copilot_api.security.store import ApiKey


def caller_id(request: Request[Any, Any, Any]) -> str | None:
    key = request.scope.get("state", {}).get(PRINCIPAL_STATE)
    return key.prefix if isinstance(key, ApiKey) else None
