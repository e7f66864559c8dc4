"""Security headers on every response, and the CORS allowlist.

Handlers may set their own value for any of these headers; ours only fill the gaps.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.config.cors import CORSConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from copilot_api.security.scopes import is_protected_path

RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# JSON APIs load nothing: the strictest policy. The docs pages load Swagger UI / Scalar from a
# CDN with inline bootstrapping, so they get the headers above but no Content-Security-Policy.
_API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_HSTS = "max-age=63072000; includeSubDomains"

BeforeSend = Callable[[Message, Scope], Awaitable[None]]


def security_headers_hook(*, docs_path: str, hsts: bool) -> BeforeSend:
    """A `before_send` hook: runs for every HTTP response, errors and 404s included."""
    docs_prefix = docs_path.rstrip("/")

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in _ALWAYS.items():
            headers.setdefault(name, value)
        path: str = scope.get("path", "")
        if not (path == docs_prefix or path.startswith(docs_prefix + "/")):
            headers.setdefault("Content-Security-Policy", _API_CSP)
        if hsts:  # only behind TLS (staging, production); browsers ignore it over plain HTTP
            headers.setdefault("Strict-Transport-Security", _HSTS)
        if is_protected_path(path):  # client data: never kept by shared caches or the browser
            headers.setdefault("Cache-Control", "no-store")

    return add_security_headers


def cors_config(origins: tuple[str, ...], *, api_key_header: str) -> CORSConfig | None:
    """CORS for exactly these origins; None (no CORS headers at all) when the list is empty."""
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=[api_key_header, "Content-Type", "X-Request-ID"],
        expose_headers=[*RATE_LIMIT_HEADERS, "Retry-After", "X-Request-ID"],
        allow_credentials=False,  # API keys travel in a header, never in cookies
        max_age=600,
    )
