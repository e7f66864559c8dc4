"""LOG_FILE is never world-readable: created 0640 whatever the umask, tightened when found
looser, and rotated copies keep the mode."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot_api.observability.log_files import SharedRotatingFileHandler


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _write(handler: logging.Handler, message: str) -> None:
    handler.handle(logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None))


@pytest.mark.usefixtures("permissive_umask")
def test_a_new_log_file_and_its_rotations_are_0640(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "app.log"
    handler = SharedRotatingFileHandler(path, max_bytes=64, backup_count=2)
    try:
        for index in range(5):
            _write(handler, f"line {index} " + "x" * 40)
    finally:
        handler.close()
    assert _mode(path) == 0o640
    assert _mode(path.with_name("app.log.1")) == 0o640
    assert _mode(path.with_name("app.log.lock")) == 0o640


@pytest.mark.usefixtures("permissive_umask")
def test_an_existing_world_readable_log_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("old line\n")
    path.chmod(0o666)
    handler = SharedRotatingFileHandler(path, max_bytes=1 << 20, backup_count=1)
    try:
        _write(handler, "new line")
    finally:
        handler.close()
    assert _mode(path) == 0o640
    assert path.read_text().splitlines() == ["old line", "new line"]
