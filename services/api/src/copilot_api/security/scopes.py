"""API-key scopes and how a route declares the one it needs.

A route under `/api` declares its scope with `opt={"scope": "search"}`; a route that declares none
needs `admin`, so a forgotten declaration fails closed. `admin` grants every scope.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from litestar.exceptions import ImproperlyConfiguredException

API_PREFIX = "/api"
SCOPE_OPT = "scope"


class Scope(StrEnum):
    SEARCH = "search"
    WORKFLOWS = "workflows"
    ADMIN = "admin"


def parse_scopes(values: str | list[str] | tuple[str, ...]) -> tuple[Scope, ...]:
    """`"search, workflows"` or a list -> distinct scopes, in canonical order.

    Raises ValueError naming unknown scopes, or when there are none."""
    items = values.split(",") if isinstance(values, str) else list(values)
    wanted = {item.strip() for item in items if item.strip()}
    unknown = sorted(wanted - {scope.value for scope in Scope})
    if unknown:
        raise ValueError(
            f"unknown scope {', '.join(unknown)} (choose from {', '.join(s.value for s in Scope)})"
        )
    if not wanted:
        raise ValueError("at least one scope is required")
    return tuple(scope for scope in Scope if scope.value in wanted)


def is_protected_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def required_scope(opt: dict[str, Any], *, where: str) -> Scope:
    """The scope a protected handler needs: admin when undeclared; unknown values raise."""
    declared = opt.get(SCOPE_OPT)
    if declared is None:
        return Scope.ADMIN
    try:
        return Scope(declared)
    except ValueError:
        raise ImproperlyConfiguredException(
            f"{where} declares opt['scope']={declared!r}; use one of "
            f"{', '.join(s.value for s in Scope)}"
        ) from None


def grants(held: tuple[Scope, ...], required: Scope) -> bool:
    return required in held or Scope.ADMIN in held
