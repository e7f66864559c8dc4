"""Security events (auth failures, rate limits, fair-housing refusals, admin actions).

One function, `log_security_event`, with the seed's fields. Each event is a structured log record
on the `copilot.security` logger so investigators can filter on `event_type`. Events of the types
in `copilot_config.telemetry.SECURITY_EVENT_COUNTERS` (`auth_failure`, `rate_limited`) also
increment their counter on `/metrics`, whatever the log level.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from copilot_api.observability.context import telemetry_var
from copilot_config.telemetry import AUTH_FAILURE_EVENT, RATE_LIMITED_EVENT

Severity = Literal["low", "medium", "high", "critical"]

__all__ = ["AUTH_FAILURE_EVENT", "RATE_LIMITED_EVENT", "Severity", "log_security_event"]

security_logger = logging.getLogger("copilot.security")

_LEVELS: dict[Severity, int] = {
    "low": logging.INFO,
    "medium": logging.WARNING,
    "high": logging.WARNING,
    "critical": logging.ERROR,
}


def log_security_event(
    event_type: str,
    severity: Severity,
    description: str,
    *,
    user_id: str | None = None,
    ip_address: str | None = None,
    **details: Any,
) -> None:
    emit_security_event(event_type, severity, description, user_id, ip_address, details)


def emit_security_event(
    event_type: str,
    severity: Severity,
    description: str,
    user_id: str | None,
    ip_address: str | None,
    details: dict[str, Any],
) -> None:
    """For the public wrappers only: the log line points at the wrapper's caller."""
    security_logger.log(
        _LEVELS[severity],
        description,
        extra={
            "security_event": {
                "event_type": event_type,
                "severity": severity,
                "user_id": user_id,
                "ip_address": ip_address,
                **details,
            }
        },
        stacklevel=3,  # this function <- a public wrapper <- the code that saw the event
    )
    # The request's telemetry (set by the observability middleware); none outside a request.
    telemetry = telemetry_var.get()
    if telemetry is not None:
        telemetry.record_security_event(event_type)
