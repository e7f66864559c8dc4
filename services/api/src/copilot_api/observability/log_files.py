"""A size-rotated log file that several worker processes can append to at once.

`logging.handlers.RotatingFileHandler` assumes one writer: with uvicorn workers each process would
rotate on its own and keep writing into renamed files. Here an advisory lock (`flock` on a sibling
`.lock` file) serialises every write and rollover across processes, the size is read from the file
on disk, and a process whose open file was rotated away by another reopens the new one.

Logs name clients, keys' public prefixes and internals: the file is created 0640 whatever the
umask (owner writes, the log shipper's group reads, nobody else), and a file found looser is
tightened; rotation renames, so rotated copies keep the mode.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path

FILE_MODE = 0o640


class SharedRotatingFileHandler(RotatingFileHandler):
    def __init__(self, path: Path, *, max_bytes: int, backup_count: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(
            path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=True
        )
        self._lock_file = _open_private(f"{self.baseFilename}.lock")

    def _open(self) -> TextIOWrapper:
        return _open_private(self.baseFilename)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
            size = len(line.encode("utf-8"))
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            try:
                self._reopen_if_rotated()
                if self._needs_rollover(size):
                    self.doRollover()
                    self._reopen_if_rotated()
                assert self.stream is not None
                self.stream.write(line)
                self.stream.flush()
            finally:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        except Exception:
            self.handleError(record)

    def _needs_rollover(self, incoming: int) -> bool:
        if self.maxBytes <= 0:
            return False
        try:
            current = os.stat(self.baseFilename).st_size
        except FileNotFoundError:
            return False
        return current > 0 and current + incoming > self.maxBytes

    def _reopen_if_rotated(self) -> None:
        if self.stream is not None:
            try:
                on_disk = os.stat(self.baseFilename).st_ino
            except FileNotFoundError:
                on_disk = None
            if on_disk == os.fstat(self.stream.fileno()).st_ino:
                return
            self.stream.close()
        self.stream = self._open()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._lock_file.close()


def _open_private(path: str) -> TextIOWrapper:
    """Append-only text stream of `path`, created (or tightened to) at most FILE_MODE."""
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        if os.fstat(descriptor).st_mode & ~FILE_MODE & 0o777:
            with contextlib.suppress(PermissionError):  # not ours to change: keep writing
                os.fchmod(descriptor, FILE_MODE)
        return open(descriptor, "a", encoding="utf-8")
    except BaseException:
        os.close(descriptor)
        raise
