"""Who is calling: the verified API key's public prefix, used as the user id of sessions,
executions and A/B assignments. None outside `/api` (no key is checked there)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from copilot_api.security.middleware import PRINCIPAL_STATE
from copilot_api.security.scopes import Scope
from copilot_api.security.store import ApiKey


def _key(request: Request[Any, Any, Any]) -> ApiKey | None:
    key = request.scope.get("state", {}).get(PRINCIPAL_STATE)
    return key if isinstance(key, ApiKey) else None


def caller_id(request: Request[Any, Any, Any]) -> str | None:
    key = _key(request)
    return key.prefix if key else None


def may_access(request: Request[Any, Any, Any], owner_id: str | None) -> bool:
    """A record is visible to the key that created it, and to admin keys."""
    key = _key(request)
    if key is None:
        return False
    return owner_id == key.prefix or Scope.ADMIN in key.scopes
