"""Security events (auth failures, rate limits, fair-housing refusals, admin actions).

One function, `log_security_event`, with the seed's fields. Each event is a structured log record
on the `copilot.security` logger so investigators can filter on `event_type`.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

Severity = Literal["low", "medium", "high", "critical"]

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
    )
