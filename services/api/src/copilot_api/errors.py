"""One error shape for every 4xx/5xx: `{"error": {"code", "message", "details"?, "request_id"?}}`.

Clients branch on `code` (machine-readable, stable); `message` is for people. 5xx bodies never
carry internals: the traceback goes to the log under the same request id.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ExceptionHandlersMap
from psycopg import OperationalError

logger = logging.getLogger(__name__)


class ApiError(HTTPException):
    """Raise this from handlers: `raise ApiError(404, "listing_not_found", "No listing X")`."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=message, status_code=status_code, headers=headers)
        self.code = code
        self.details = details


_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "service_unavailable",
}


def request_id_of(request: Request[Any, Any, Any]) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def error_response(
    request: Request[Any, Any, Any],
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    request_id = request_id_of(request)
    if request_id:
        error["request_id"] = request_id
    return Response(
        {"error": error}, status_code=status_code, headers=headers, media_type=MediaType.JSON
    )


def _handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ApiError):
        return error_response(
            request, exc.status_code, exc.code, exc.detail, exc.details, exc.headers
        )
    if isinstance(exc, ValidationException):
        return error_response(
            request, 400, "validation_error", "The request is not valid.", _validation_details(exc)
        )
    if exc.status_code >= HTTP_500_INTERNAL_SERVER_ERROR:
        return _internal_error(request, exc)
    code = _CODES_BY_STATUS.get(exc.status_code, "http_error")
    message = exc.detail
    if isinstance(exc, NotFoundException) and exc.detail == "Not Found":
        message = "No such resource."
    return error_response(request, exc.status_code, code, message, headers=exc.headers)


# Long enough for a restarted embedded server or a failed-over RDS to come back.
DATABASE_RETRY_AFTER_S = 2


def _handle_database_unavailable(
    request: Request[Any, Any, Any], exc: OperationalError
) -> Response[Any]:
    """Down, restarting, hung or unreachable (psycopg_pool's PoolTimeout included): the client
    may retry; nothing about the server or its address goes into the answer."""
    logger.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.scope.get("path"),
        type(exc).__name__,
    )
    return error_response(
        request,
        HTTP_503_SERVICE_UNAVAILABLE,
        "database_unavailable",
        "The database is unavailable; retry shortly.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )


def _handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return _internal_error(request, exc)


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.error(
        "unhandled error on %s %s", request.method, request.scope.get("path"), exc_info=exc
    )
    return error_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Something went wrong on our side; quote the request id when reporting it.",
    )


def _validation_details(exc: ValidationException) -> list[dict[str, Any]]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    details = []
    for item in extra:
        if isinstance(item, dict):
            details.append(
                {
                    "field": item.get("key"),
                    "message": item.get("message"),
                    "source": item.get("source"),
                }
            )
    if not details and exc.detail:
        details.append({"field": None, "message": exc.detail, "source": None})
    return details


exception_handlers: ExceptionHandlersMap = {
    HTTPException: _handle_http_exception,
    OperationalError: _handle_database_unavailable,
    Exception: _handle_unexpected,
}
