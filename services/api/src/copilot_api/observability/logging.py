"""Logging setup: JSON lines (or a readable console format in development), secrets redacted.

Every line carries the request id, the user id and, inside a span, the trace and span ids, taken
from context variables, so a log line leads to its request and its trace. `configure_logging`
owns the root logger; libraries' records (uvicorn, psycopg) get the same format.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from copilot_api.observability.context import request_id_var, user_id_var
from copilot_api.observability.log_files import SharedRotatingFileHandler
from copilot_api.observability.redaction import Redactor
from copilot_config import Environment, Settings

FIELDS_ATTRIBUTE = "fields"
"""`extra={"fields": {...}}` puts arbitrary keys under "extra" without clashing with LogRecord."""

_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
    FIELDS_ATTRIBUTE,
}


def _trace_ids() -> tuple[str | None, str | None]:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def _extra_of(record: logging.LogRecord) -> dict[str, Any]:
    extra = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}
    fields = getattr(record, FIELDS_ATTRIBUTE, None)
    if isinstance(fields, dict):
        extra.update(fields)
    return extra


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the seed's fields plus trace_id and span_id."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        trace_id, span_id = _trace_ids()
        redact = self._redactor
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact.text(record.getMessage()),
            "module": record.module,
            "function": record.funcName,
            "line": record.lineno,
            "user_id": user_id_var.get(),
            "request_id": request_id_var.get(),
            "trace_id": trace_id,
            "span_id": span_id,
            "extra": redact.value(_extra_of(record)),
        }
        if record.exc_info:
            entry["exception"] = redact.text(self.formatException(record.exc_info))
        elif record.stack_info:
            entry["stack"] = redact.text(self.formatStack(record.stack_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """`12:00:01.234 INFO    copilot.http: GET /health 200  request_id=… key=value` for people."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        context: dict[str, Any] = {"request_id": request_id_var.get(), "user_id": user_id_var.get()}
        context["trace_id"] = _trace_ids()[0]
        context.update(_extra_of(record))
        suffix = " ".join(f"{key}={value}" for key, value in context.items() if value is not None)
        line = f"{moment} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if suffix:
            line = f"{line}  {suffix}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return self._redactor.text(line)


def uses_json(settings: Settings) -> bool:
    log_format = settings.observability.log_format
    if log_format == "auto":
        return settings.app.environment is not Environment.DEVELOPMENT
    return log_format == "json"


def configure_logging(settings: Settings) -> None:
    """Point the root logger at stderr (and LOG_FILE when set); safe to call repeatedly."""
    redactor = Redactor.for_settings(settings)
    config = settings.observability
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(
        JsonFormatter(redactor) if uses_json(settings) else ConsoleFormatter(redactor)
    )
    handlers: list[logging.Handler] = [console]
    if config.log_file is not None:
        log_file = SharedRotatingFileHandler(
            config.log_file,
            max_bytes=config.log_file_max_bytes,
            backup_count=config.log_file_backup_count,
        )
        log_file.setFormatter(JsonFormatter(redactor))  # files are for machines: always JSON
        handlers.append(log_file)
    root = logging.getLogger()
    previous = root.handlers[:]
    root.handlers[:] = handlers
    root.setLevel(config.log_level)
    for handler in previous:
        if isinstance(handler, SharedRotatingFileHandler):
            handler.close()  # ours: release the file and its lock
