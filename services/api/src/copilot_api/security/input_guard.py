"""Refuse client input the service cannot store, before any handler or query sees it.

PostgreSQL stores neither NUL (U+0000) in `text` / `jsonb` nor unpaired surrogates (not UTF-8):
such input used to surface as a psycopg `DataError` and a 500. Every entry point is checked
here, in one place, so a new route cannot forget it:

- the path (so path parameters such as a ListingKey), the query string and header values, by
  `InputGuardMiddleware` before authentication;
- JSON bodies, by `GuardedRequest.json()` (the one decoder every `JSONBody` goes through), which
  also limits nesting: a deep body is refused with 400 instead of a `RecursionError` and a 500.

Refusals are 400 with code `invalid_characters` or `json_too_deep` and say where the input was.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from copilot_api.errors import ApiError
from copilot_api.security.service import SecurityService
from copilot_api.state import SECURITY
from copilot_api.storage.text import find_unstorable, printable, unstorable_reason

INVALID_CHARACTERS = "invalid_characters"
JSON_TOO_DEEP = "json_too_deep"


def _refuse(where: str, reason: str) -> ApiError:
    shown = printable(where)  # `where` may hold the offending key itself: never echo it raw
    return ApiError(
        400,
        INVALID_CHARACTERS,
        f"The {shown} contains {reason}, which cannot be stored.",
        details={"location": shown},
    )


def check_text(text: str, where: str) -> None:
    reason = unstorable_reason(text)
    if reason is not None:
        raise _refuse(where, reason)


def check_json_value(value: Any, max_depth: int) -> None:
    """Nesting at most `max_depth` containers deep, then every key and string storable; errors
    name the place as a JSON pointer."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise _too_deep(max_depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    found = find_unstorable(value)
    if found is not None:
        pointer, is_key, reason = found
        raise _refuse(f"body {'key' if is_key else 'field'} {pointer}", reason)


def _too_deep(max_depth: int) -> ApiError:
    return ApiError(
        400,
        JSON_TOO_DEEP,
        f"The JSON body is nested more than {max_depth} levels deep.",
        details={"max_depth": max_depth},
    )


class GuardedRequest(Request[Any, Any, Any]):
    """The app's request class: `json()` refuses over-deep bodies and unstorable strings."""

    async def json(self) -> Any:
        security: SecurityService = self.app.state[SECURITY]
        max_depth = security.policy.max_json_depth
        try:
            value = await super().json()
        except RecursionError:  # deeper than the decoder can go at all
            raise _too_deep(max_depth) from None
        check_json_value(value, max_depth)
        return value


class InputGuardMiddleware(ASGIMiddleware):
    """Path, query string and header values: no NUL, no unpaired surrogate."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        check_text(scope["path"], "path")
        query = scope.get("query_string", b"")
        if b"\x00" in unquote_to_bytes(query.replace(b"+", b" ")):
            raise _refuse("query string", "a NUL character (U+0000)")
        for name, value in scope["headers"]:
            if b"\x00" in value:
                raise _refuse(f"{name.decode('latin-1')} header", "a NUL character (U+0000)")
        await next_app(scope, receive, send)
