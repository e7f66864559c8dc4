"""The OpenAPI document tells the truth about security and errors.

Litestar documents errors in its own default shape (`{"status_code", "detail"}`), but this service
answers with `{"error": {...}}` (see `errors.py`); clients and schemathesis read the document, so
every documented error response is rewritten to `ErrorBody`. Routes under `/api` also get the
`X-API-Key` security requirement and their 401/403/429/503 responses.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, TypedDict

from litestar.exceptions import ImproperlyConfiguredException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import BaseRoute, HTTPRoute

from copilot_api.security.scopes import SCOPE_OPT, is_protected_path, required_scope

API_KEY_SCHEME = "ApiKey"


class _ErrorInfoOptional(TypedDict, total=False):
    # total=False rather than NotRequired[...]: postponed annotations hide NotRequired from
    # TypedDict, which would then document these keys as required.
    details: Any
    request_id: str


class ErrorInfo(_ErrorInfoOptional):
    code: str
    message: str


class ErrorBody(TypedDict):
    """The body of every 4xx/5xx response."""

    error: ErrorInfo


def error_response(description: str) -> ResponseSpec:
    """For handlers' `responses={404: error_response("No such listing.")}`."""
    return ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)


_EVERY_ROUTE = {
    400: "The request is not valid (error.code names the problem).",
    414: "The query string is too long (query_too_long).",
}
_WITH_BODY = {413: "The request body is too large (payload_too_large)."}
_WITH_PATH_PARAMETERS = {404: "Nothing exists at this path (error.code names what)."}
_UNDER_API = {
    401: "No API key, or an unknown or revoked one "
    "(missing_api_key, invalid_api_key, api_key_revoked).",
    403: "The API key lacks the scope this endpoint needs (insufficient_scope).",
    429: "Rate limit exceeded (rate_limited); see Retry-After.",
    503: "API keys cannot be verified right now (service_unavailable); see Retry-After.",
}


def add_api_key_scheme(config: OpenAPIConfig, header: str) -> None:
    """Declare the `X-API-Key` scheme in the app's own OpenAPI config (built per app)."""
    scheme = SecurityScheme(
        type="apiKey",
        name=header,
        security_scheme_in="header",
        description="API key (`copilot keys create`); scopes: search, workflows, admin.",
    )
    if isinstance(config.components, list):
        config.components.append(Components(security_schemes={API_KEY_SCHEME: scheme}))
    else:
        schemes = dict(config.components.security_schemes or {})
        schemes[API_KEY_SCHEME] = scheme
        config.components.security_schemes = schemes


def document_route(route: BaseRoute) -> None:
    """Called for each route as it is registered (before the schema is first built)."""
    if not isinstance(route, HTTPRoute):
        return
    protected = is_protected_path(route.path)
    for handler in route.route_handlers:
        _check_scope_declaration(handler, route.path, protected)
        statuses = dict(_EVERY_ROUTE)
        for exception in handler.raises or ():
            statuses[exception.status_code] = f"{HTTPStatus(exception.status_code).phrase}."
        if "data" in handler.parsed_fn_signature.parameters:
            statuses.update(_WITH_BODY)
        if route.path_parameters:
            statuses.update(_WITH_PATH_PARAMETERS)
        if protected:
            statuses.update(_UNDER_API)
            requirement: dict[str, list[str]] = {API_KEY_SCHEME: []}
            if requirement not in (handler.security or ()):  # a handler may serve two paths
                handler.security = [*(handler.security or ()), requirement]
        declared = dict(handler.responses or {})
        for status, description in statuses.items():
            declared.setdefault(status, error_response(description))
        handler.responses = declared


def _check_scope_declaration(handler: HTTPRouteHandler, path: str, protected: bool) -> None:
    if protected:
        required_scope(handler.opt, where=f"{handler} at {path}")  # fails on unknown scopes
    elif SCOPE_OPT in handler.opt:
        raise ImproperlyConfiguredException(
            f"{handler} at {path} declares opt['scope'] but is outside /api, where API keys are "
            "not checked; move it under /api or drop the scope"
        )
