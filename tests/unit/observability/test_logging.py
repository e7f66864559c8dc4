"""Log lines: the JSON fields, the console format, redaction, request ids and the shared file."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

from copilot_api.observability.context import accepted_request_id, request_id_var, user_id_var
from copilot_api.observability.logging import ConsoleFormatter, JsonFormatter, configure_logging
from copilot_api.observability.logging_service import LoggingService
from copilot_api.observability.redaction import REDACTED, Redactor
from copilot_config import Environment, Settings

FIELDS = {"timestamp", "level", "logger", "message", "module", "function", "line", "user_id"}
FIELDS |= {"request_id", "extra", "trace_id", "span_id"}


@pytest.fixture
def capture() -> Iterator[Callable[..., io.StringIO]]:
    """`capture(formatter, *logger_names)`: what those loggers write, and nothing else sees it."""
    attached: list[tuple[logging.Logger, logging.Handler, int, bool]] = []

    def attach(formatter: logging.Formatter, *names: str) -> io.StringIO:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        for name in names or ("copilot.test",):
            logger = logging.getLogger(name)
            attached.append((logger, handler, logger.level, logger.propagate))
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
            logger.propagate = False
        return stream

    yield attach
    for logger, handler, level, propagate in attached:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_seed_fields_and_the_request_context(
    capture: Callable[..., io.StringIO],
) -> None:
    stream = capture(JsonFormatter())
    service = LoggingService(logging.getLogger("copilot.test"))
    request_token = request_id_var.set("req-1")
    user_token = user_id_var.set("ck_live_ab12")
    try:
        service.info("listing ingested", listing_key="X1", took_ms=3.5)
    finally:
        request_id_var.reset(request_token)
        user_id_var.reset(user_token)
    [entry] = lines(stream)
    assert set(entry) == FIELDS
    assert entry["level"] == "INFO"
    assert entry["logger"] == "copilot.test"
    assert entry["message"] == "listing ingested"
    # module/function/line name the caller, not the logging service.
    assert entry["module"] == "test_logging"
    assert entry["function"] == "test_json_lines_carry_the_seed_fields_and_the_request_context"
    assert entry["request_id"] == "req-1"
    assert entry["user_id"] == "ck_live_ab12"
    assert entry["extra"] == {"listing_key": "X1", "took_ms": 3.5}
    assert entry["trace_id"] is None


def test_lines_written_inside_a_span_carry_its_ids(
    capture: Callable[..., io.StringIO],
) -> None:
    stream = capture(JsonFormatter())
    tracer = TracerProvider(shutdown_on_exit=False).get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        logging.getLogger("copilot.test").warning("inside")
    logging.getLogger("copilot.test").warning("outside")
    inside, outside = lines(stream)
    context = span.get_span_context()
    assert inside["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert outside["trace_id"] is None
    assert outside["span_id"] is None


def test_request_workflow_and_security_helpers(capture: Callable[..., io.StringIO]) -> None:
    stream = capture(JsonFormatter(), "copilot.http", "copilot.workflows", "copilot.security")
    service = LoggingService(logging.getLogger("copilot.test"))
    service.log_request("GET", "/api/listings/X1", 200, 12.345, route="/api/listings/{key}")
    service.log_workflow_execution("market_analysis", "failed", 80.0, error="step_timeout")
    service.log_security_event("auth_failure", "medium", "API key rejected", reason="unknown")
    request, workflow, security = lines(stream)
    assert request["logger"] == "copilot.http"
    assert request["extra"]["http"] == {
        "method": "GET",
        "path": "/api/listings/X1",
        "route": "/api/listings/{key}",
        "status_code": 200,
        "duration_ms": 12.35,
    }
    assert workflow["level"] == "WARNING"
    assert workflow["extra"]["workflow"]["error"] == "step_timeout"
    assert security["extra"]["security_event"]["event_type"] == "auth_failure"
    assert security["function"] == "test_request_workflow_and_security_helpers"


def test_secrets_are_redacted() -> None:
    settings = Settings(
        _env_file=None,
        environment=Environment.TEST,
        openai_api_key="live-openai-credential-123",
        redis_url="redis://:hunter2hunter2@cache:6379/0",
    )
    formatter = JsonFormatter(Redactor.for_settings(settings))
    logger = logging.getLogger("copilot.test")

    def format_line(message: str, **extra: Any) -> dict[str, Any]:
        # Formatted directly: no handler ever sees the raw secrets.
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, message, (), None)
        record.__dict__.update(extra)
        line: dict[str, Any] = json.loads(formatter.format(record))
        return line

    entries = [
        format_line("calling OpenAI with live-openai-credential-123 failed"),
        format_line("connect postgresql://app:s3cr3t-pw@db:5432/copilot refused"),
        format_line("header Authorization: Bearer abcdef123456789 and api_key=ck_live_xyz123"),
        format_line("key sk-proj-abcdefghijklmnopqrstuv leaked", password="pw12345678"),
        format_line("nested", fields={"request": {"headers": {"X-API-Key": "ck_1"}}}),
        format_line("cache at redis://:hunter2hunter2@cache:6379/0 is down"),
    ]
    text = json.dumps(entries)
    for secret in ("live-openai-credential-123", "s3cr3t-pw", "abcdef123456789", "ck_live_xyz"):
        assert secret not in text
    for secret in ("sk-proj-abcdefghijklmnopqrstuv", "pw12345678", "ck_1", "hunter2hunter2"):
        assert secret not in text
    assert entries[1]["message"] == f"connect postgresql://app:{REDACTED}@db:5432/copilot refused"
    assert entries[3]["extra"]["password"] == REDACTED
    assert entries[4]["extra"]["request"]["headers"]["X-API-Key"] == REDACTED


def test_console_format_is_readable(capture: Callable[..., io.StringIO]) -> None:
    stream = capture(ConsoleFormatter())
    token = request_id_var.set("req-9")
    try:
        logging.getLogger("copilot.test").info("ready", extra={"port": 8000})
    finally:
        request_id_var.reset(token)
    line = stream.getvalue().strip()
    assert " INFO    copilot.test: ready  request_id=req-9 port=8000" in line
    assert not line.startswith("{")


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (b"4bf92f3577b34da6a3ce929d0e0e4736", True),
        (b"Root=1-67891233-abcdef012345678912345678", True),
        (b"a" * 128, True),
        (b"a" * 129, False),
        (b"", False),
        (b"has space", False),
        (b"new\nline", False),
        (b'quote"', False),
        ("é".encode(), False),
    ],
)
def test_caller_request_ids_are_bounded_and_plain(header: bytes, accepted: bool) -> None:
    assert (accepted_request_id(header) is not None) is accepted


def test_configure_logging_picks_the_format_and_the_file(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "copilot.log"
    settings = Settings(
        _env_file=None, environment=Environment.DEVELOPMENT, log_file=log_file, log_level="DEBUG"
    )
    configure_logging(settings)
    root = logging.getLogger()
    try:
        console, file_handler = root.handlers
        assert isinstance(console.formatter, ConsoleFormatter)  # development
        assert isinstance(file_handler.formatter, JsonFormatter)  # files are always JSON
        logging.getLogger("copilot.test").info("to the file")
        file_handler.flush()
        assert json.loads(log_file.read_text().splitlines()[-1])["message"] == "to the file"
    finally:
        configure_logging(Settings(_env_file=None, environment=Environment.TEST))
    assert isinstance(root.handlers[0].formatter, JsonFormatter)  # test: JSON by default


WRITER = """
import logging, sys
from pathlib import Path
from copilot_api.observability.log_files import SharedRotatingFileHandler
from copilot_api.observability.logging import JsonFormatter
handler = SharedRotatingFileHandler(Path(sys.argv[1]), max_bytes=20_000, backup_count=100)
handler.setFormatter(JsonFormatter())
logger = logging.getLogger("writer")
logger.addHandler(handler)
logger.setLevel(logging.INFO)
for number in range(400):
    logger.info("line %d from %s", number, sys.argv[2])
handler.close()
"""


def test_workers_share_one_rotated_file_without_losing_lines(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name]) for name in ("a", "b")
    ]
    for writer in writers:
        assert writer.wait(timeout=60) == 0
    files = sorted(tmp_path.glob("app.log*"))
    files = [f for f in files if not f.name.endswith(".lock")]
    assert len(files) > 3, "the file was never rotated"
    messages = []
    for file in files:
        assert file.stat().st_size <= 20_000
        messages += [json.loads(line)["message"] for line in file.read_text().splitlines()]
    assert sorted(messages) == sorted(f"line {n} from {w}" for n in range(400) for w in "ab")
