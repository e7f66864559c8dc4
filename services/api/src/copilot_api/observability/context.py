"""Per-request context read by log lines and security events: request id, user id, telemetry.

Context variables follow the request through awaits (and into `asyncio.to_thread`), so a log line
written anywhere while serving a request carries that request's id without passing it around.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from copilot_api.observability.metrics import Telemetry

REQUEST_ID_HEADER = "X-Request-ID"

request_id_var: ContextVar[str | None] = ContextVar("copilot_request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("copilot_user_id", default=None)
telemetry_var: ContextVar[Telemetry | None] = ContextVar("copilot_telemetry", default=None)

# Ids from callers are echoed into logs and headers: bounded length, no spaces or control bytes.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}")


def accepted_request_id(value: bytes | str | None) -> str | None:
    """The caller's `X-Request-ID` if it is safe to reuse, else None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    return value if _VALID_REQUEST_ID.fullmatch(value) else None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def bind_user_id(user_id: str | None) -> None:
    """Called once the caller is authenticated: every later log line of the request names them."""
    user_id_var.set(user_id)
