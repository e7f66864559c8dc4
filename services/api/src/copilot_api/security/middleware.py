"""Enforcement on every routed request: query length everywhere; under `/api`, a valid API key
with the route's scope, within its rate limit.

Failures raise `ApiError`, so clients get the standard error body, and log a security event.
Successful `/api` responses carry the X-RateLimit-* headers.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from psycopg import Error as DatabaseError
from psycopg_pool import PoolTimeout

from copilot_api.errors import ApiError
from copilot_api.observability.context import bind_user_id
from copilot_api.observability.security_events import log_security_event
from copilot_api.security.client_ip import client_ip
from copilot_api.security.rate_limit import Decision
from copilot_api.security.scopes import grants, is_protected_path, required_scope
from copilot_api.security.service import AuthenticationFailedError, SecurityService
from copilot_api.security.store import ApiKey
from copilot_api.state import SECURITY
from copilot_config.telemetry import AUTH_FAILURE_EVENT, AUTH_THROTTLED_EVENT, RATE_LIMITED_EVENT

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
PRINCIPAL_STATE = "api_key"
_API_KEY_HEADER = API_KEY_HEADER.lower().encode()

_AUTH_ERRORS = {
    "missing": (
        "missing_api_key",
        f"This endpoint needs an API key in the {API_KEY_HEADER} header.",
    ),
    "malformed": ("invalid_api_key", "The API key is not valid."),
    "unknown": ("invalid_api_key", "The API key is not valid."),
    "revoked": ("api_key_revoked", "This API key has been revoked."),
}


class SecurityMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        service: SecurityService = scope["litestar_app"].state[SECURITY]
        limit = service.policy.max_query_string_length
        if len(scope.get("query_string", b"")) > limit:
            raise ApiError(
                414,
                "query_too_long",
                f"The query string is longer than {limit} characters.",
                details={"max_length": limit},
            )
        if not _is_protected(scope):
            await next_app(scope, receive, send)
            return
        key = await _authenticate(service, scope)
        _authorize(service, scope, key)
        decision = await service.check_rate(key)
        if not decision.allowed:
            _refuse_over_limit(service, scope, key, decision)
        scope["state"][PRINCIPAL_STATE] = key
        bind_user_id(key.prefix)  # later log lines of this request name the key
        service.usage.record(key)
        await next_app(scope, receive, _adding_headers(send, decision.headers()))


def current_api_key(scope: Any) -> ApiKey:
    """The verified key of this `/api` request (set by the middleware)."""
    key = scope.get("state", {}).get(PRINCIPAL_STATE)
    if not isinstance(key, ApiKey):
        raise RuntimeError("no verified API key: this is only available under /api")
    return key


def _is_protected(scope: Scope) -> bool:
    return is_protected_path(scope.get("path_template") or scope["path"])


def _event_context(service: SecurityService, scope: Scope) -> dict[str, Any]:
    return {
        "ip_address": client_ip(scope, service.policy.trusted_proxies),
        "method": scope.get("method", "WEBSOCKET"),
        "path": scope["path"],
    }


async def _authenticate(service: SecurityService, scope: Scope) -> ApiKey:
    ip = client_ip(scope, service.policy.trusted_proxies)
    throttle = service.auth_throttle
    if ip is not None and (blocked_for := await throttle.retry_after(ip)) is not None:
        _refuse_throttled(service, scope, blocked_for)
    presented = next(
        (value.decode("latin-1") for name, value in scope["headers"] if name == _API_KEY_HEADER),
        None,
    )
    try:
        return await service.authenticate(presented)
    except AuthenticationFailedError as failure:
        code, message = _AUTH_ERRORS[failure.reason]
        log_security_event(
            AUTH_FAILURE_EVENT,
            "medium",
            f"API key rejected ({failure.reason})",
            user_id=failure.prefix,
            reason=failure.reason,
            **_event_context(service, scope),
        )
        # Only attempts that present a key guess at one; a missing key is not counted.
        if ip is not None and failure.reason != "missing":
            blocked_for = await throttle.record_failure(ip)
            if blocked_for is not None:
                _refuse_throttled(service, scope, blocked_for)
        raise ApiError(401, code, message) from None
    except (DatabaseError, PoolTimeout) as error:
        logger.warning("cannot verify API keys: database error (%s)", type(error).__name__)
        raise ApiError(
            503,
            "service_unavailable",
            "API keys cannot be verified right now; retry shortly.",
            headers={"Retry-After": "5"},
        ) from None


def _refuse_throttled(service: SecurityService, scope: Scope, retry_after: int) -> NoReturn:
    limit = service.auth_throttle.failures_per_minute
    log_security_event(
        AUTH_THROTTLED_EVENT,
        "high",
        f"client IP over {limit} failed authentications a minute; refused",
        failures_per_minute=limit,
        retry_after_seconds=retry_after,
        **_event_context(service, scope),
    )
    raise ApiError(
        429,
        "too_many_failed_authentications",
        f"Too many failed API-key attempts from this address; retry in {retry_after} s.",
        details={"failures_per_minute": limit, "retry_after_seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def _authorize(service: SecurityService, scope: Scope, key: ApiKey) -> None:
    handler = scope["route_handler"]
    needed = required_scope(handler.opt, where=str(handler))
    if grants(key.scopes, needed):
        return
    log_security_event(
        AUTH_FAILURE_EVENT,
        "medium",
        f"API key lacks the {needed.value!r} scope",
        user_id=key.prefix,
        reason="insufficient_scope",
        key_name=key.name,
        required_scope=needed.value,
        **_event_context(service, scope),
    )
    raise ApiError(
        403,
        "insufficient_scope",
        f"This API key does not have the {needed.value!r} scope this endpoint needs.",
        details={"required_scope": needed.value, "key_scopes": [s.value for s in key.scopes]},
    )


def _refuse_over_limit(
    service: SecurityService, scope: Scope, key: ApiKey, decision: Decision
) -> NoReturn:
    log_security_event(
        RATE_LIMITED_EVENT,
        "low",
        f"API key over its per-{decision.window} rate limit",
        user_id=key.prefix,
        key_name=key.name,
        window=decision.window,
        limit=decision.limit,
        backend=decision.backend,
        **_event_context(service, scope),
    )
    raise ApiError(
        429,
        "rate_limited",
        f"Rate limit of {decision.limit} requests per {decision.window} exceeded; "
        f"retry in {decision.retry_after_seconds} s.",
        details={
            "limit": decision.limit,
            "window": decision.window,
            "retry_after_seconds": decision.retry_after_seconds,
        },
        headers=decision.headers(),
    )


def _adding_headers(send: Send, headers: dict[str, str]) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            response_headers = MutableScopeHeaders.from_message(message)
            for name, value in headers.items():
                response_headers[name] = value
        await send(message)

    return send_with_headers
