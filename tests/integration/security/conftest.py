"""Fixtures for the security tests (helpers live in `support.py`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import harness
from tests.harness import RedisServer, free_port, service_environment, start_serve
from tests.integration.security.support import LiveServer


@pytest.fixture
def security_events() -> Iterator[list[dict[str, Any]]]:
    """The `security_event` payloads logged while the test runs. The handler sits on the
    `copilot.security` logger itself, so `configure_logging` resetting the root keeps it."""
    events: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            payload = getattr(record, "security_event", {})
            events.append({"message": record.getMessage(), **payload})

    handler = Collect(level=logging.DEBUG)
    security_logger = logging.getLogger("copilot.security")
    security_logger.addHandler(handler)
    try:
        yield events
    finally:
        security_logger.removeHandler(handler)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with harness.redis_server(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start `copilot serve` with settings as keyword arguments; stopped (by PID) afterwards."""
    started: list[LiveServer] = []

    def start(**variables: str) -> LiveServer:
        port = free_port()
        index = len(started)
        stdout_path = tmp_path / f"server{index}.out"
        stderr_path = tmp_path / f"server{index}.err"
        env = service_environment(tmp_path / "data", PORT=str(port), **variables)
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            process = start_serve(env, cwd=tmp_path, stdout=stdout, stderr=stderr).process
        server = LiveServer(process, port, stdout_path, stderr_path)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
