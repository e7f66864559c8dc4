"""The seed's logging service: `logging_service.info(...)`, `log_request`, `log_workflow_execution`,
`log_security_event`.

A thin facade over the standard `logging` module (configured by `configure_logging`): keyword
arguments land under "extra" of the JSON line, and module/function/line name the caller.

    from copilot_api.observability.logging_service import logging_service
    logging_service.info("listing ingested", listing_key="X1", took_ms=12.5)
"""

from __future__ import annotations

import logging
from typing import Any

from copilot_api.observability.logging import FIELDS_ATTRIBUTE
from copilot_api.observability.security_events import Severity, emit_security_event

# Health probes and scrapes arrive every few seconds: logged at DEBUG so they don't drown the rest.
QUIET_PATHS = frozenset({"/health", "/health/liveness", "/health/readiness", "/metrics"})


class LoggingService:
    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def debug(self, message: str, **fields: Any) -> None:
        self._log(logging.DEBUG, message, fields)

    def info(self, message: str, **fields: Any) -> None:
        self._log(logging.INFO, message, fields)

    def warning(self, message: str, **fields: Any) -> None:
        self._log(logging.WARNING, message, fields)

    def error(self, message: str, *, exc_info: bool = False, **fields: Any) -> None:
        self._log(logging.ERROR, message, fields, exc_info=exc_info)

    def exception(self, message: str, **fields: Any) -> None:
        """An error with the traceback of the exception being handled."""
        self._log(logging.ERROR, message, fields, exc_info=True)

    def critical(self, message: str, *, exc_info: bool = False, **fields: Any) -> None:
        self._log(logging.CRITICAL, message, fields, exc_info=exc_info)

    def log_request(
        self,
        method: str,
        path: str,
        status_code: int,
        duration_ms: float,
        *,
        route: str | None = None,
        **fields: Any,
    ) -> None:
        """One line per HTTP request (the observability middleware calls this)."""
        if status_code >= 500:
            level = logging.ERROR
        elif path in QUIET_PATHS:
            level = logging.DEBUG
        else:
            level = logging.INFO
        if not _HTTP_LOGGER.isEnabledFor(level):
            return
        self._log(
            level,
            f"{method} {path} {status_code}",
            {
                "http": {
                    "method": method,
                    "path": path,
                    "route": route,
                    "status_code": status_code,
                    "duration_ms": round(duration_ms, 2),
                },
                **fields,
            },
            logger=_HTTP_LOGGER,
        )

    def log_workflow_execution(
        self,
        workflow: str,
        status: str,
        duration_ms: float,
        *,
        execution_id: str | None = None,
        error: str | None = None,
        **fields: Any,
    ) -> None:
        level = logging.INFO if error is None else logging.WARNING
        self._log(
            level,
            f"workflow {workflow} {status}",
            {
                "workflow": {
                    "name": workflow,
                    "status": status,
                    "duration_ms": round(duration_ms, 2),
                    "execution_id": execution_id,
                    "error": error,
                },
                **fields,
            },
            logger=_WORKFLOW_LOGGER,
        )

    def log_security_event(
        self,
        event_type: str,
        severity: Severity,
        description: str,
        *,
        user_id: str | None = None,
        ip_address: str | None = None,
        **details: Any,
    ) -> None:
        emit_security_event(event_type, severity, description, user_id, ip_address, details)

    def _log(
        self,
        level: int,
        message: str,
        fields: dict[str, Any],
        *,
        exc_info: bool = False,
        logger: logging.Logger | None = None,
    ) -> None:
        # stacklevel 3: this method <- the public method <- the caller we want to name.
        (logger or self._logger).log(
            level, message, exc_info=exc_info, extra={FIELDS_ATTRIBUTE: fields}, stacklevel=3
        )


_HTTP_LOGGER = logging.getLogger("copilot.http")
_WORKFLOW_LOGGER = logging.getLogger("copilot.workflows")

logging_service = LoggingService(logging.getLogger("copilot"))
