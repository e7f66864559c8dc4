"""Session-wide check: no secret appears in any log output produced while the suite runs.

Log output collected (as text, cheaply):
- every line any logging handler in this process formats (a hook on `logging.Handler.format`,
  so it sees exactly what is written, after redaction, whichever handlers come and go);
- the stderr and log sections pytest captured for each test phase (fd-level capture includes
  child processes that inherit stderr);
- output that tests read from child processes themselves and hand over with the
  `record_log_output` fixture (e.g. the stderr of `copilot serve`).

Secrets looked for:
- anything shaped like an API key (`cpk_<prefix>_<secret>`; the prefix alone is public);
- every pydantic `SecretStr` value constructed in this process (settings: OPENAI_API_KEY, ...),
  and for URLs (DATABASE_URL, REDIS_URL) their password, since the rest of a URL is not secret;
- secret variables of the env contract present in the environment at start;
- values tests register with the `register_secret` fixture.
Values shorter than 10 characters are ignored: they cannot be told apart from ordinary words.

stdout is not scanned: it carries command results, and `copilot keys create` prints a new key
there by design. A leak fails the session (exit status 1); the report names the kind of secret
and where it appeared, never the value.
"""

from __future__ import annotations

import bisect
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

API_KEY_SHAPE = re.compile(r"cpk_[0-9a-f]{10}_[A-Za-z0-9_-]{43}")
MIN_SECRET_LENGTH = 10
_SCANNED_SECTIONS = ("stderr", "log")


def secret_parts(value: str) -> list[str]:
    """What of a secret value must never be logged: a URL's password, else the whole value."""
    if "://" in value:
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        return [password] if password and len(password) >= MIN_SECRET_LENGTH else []
    return [value] if len(value) >= MIN_SECRET_LENGTH else []


@dataclass(frozen=True, slots=True)
class Leak:
    kind: str
    where: str

    def describe(self) -> str:
        return f"{self.kind} in log output of {self.where}"


@dataclass
class LeakDetector:
    """Collects log text and secrets; `leaks()` searches all text for all secrets at once."""

    secrets: dict[str, str] = field(default_factory=dict)  # value -> kind
    _chunks: list[str] = field(default_factory=list)
    _places: list[str] = field(default_factory=list)
    _offsets: list[int] = field(default_factory=list)
    _size: int = 0
    where: str = "session setup"

    def add_secret(self, value: str, kind: str) -> None:
        for part in secret_parts(value):
            self.secrets.setdefault(part, kind)

    def add_text(self, text: str, where: str | None = None) -> None:
        if not text:
            return
        self._offsets.append(self._size)
        self._chunks.append(text)
        self._places.append(where or self.where)
        self._size += len(text) + 1  # the "\n" joining chunks

    def leaks(self) -> list[Leak]:
        blob = "\n".join(self._chunks)
        found: set[Leak] = set()
        for match in API_KEY_SHAPE.finditer(blob):
            found.add(Leak("an API key", self._place_at(match.start())))
        for secret, kind in self.secrets.items():
            start = blob.find(secret)
            while start != -1:
                found.add(Leak(kind, self._place_at(start)))
                start = blob.find(secret, start + 1)
        return sorted(found, key=lambda leak: (leak.where, leak.kind))

    def _place_at(self, offset: int) -> str:
        return self._places[bisect.bisect_right(self._offsets, offset) - 1]


_detector: LeakDetector | None = None
_original_format = logging.Handler.format
_own_secret_init = SecretStr.__dict__.get("__init__")  # restored as found (None: inherited)
_secret_init = SecretStr.__init__


def _format_and_record(handler: logging.Handler, record: logging.LogRecord) -> str:
    text = _original_format(handler, record)
    if _detector is not None:
        _detector.add_text(text)
    return text


def _secret_init_and_record(self: SecretStr, secret_value: str) -> None:
    _secret_init(self, secret_value)
    if _detector is not None and isinstance(secret_value, str):
        _detector.add_secret(secret_value, "a SecretStr setting (password or key)")


def pytest_configure(config: pytest.Config) -> None:
    global _detector  # noqa: PLW0603 - the hooks above are module functions by necessity
    _detector = LeakDetector()
    from copilot_config import env_contract

    for variable in env_contract():
        value = os.environ.get(variable.name)
        if variable.secret and value:
            _detector.add_secret(value, f"the {variable.name} of the environment")
    logging.Handler.format = _format_and_record  # type: ignore[method-assign,assignment]
    SecretStr.__init__ = _secret_init_and_record  # type: ignore[method-assign,assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    global _detector  # noqa: PLW0603
    logging.Handler.format = _original_format  # type: ignore[method-assign]
    if _own_secret_init is None:
        del SecretStr.__init__
    else:
        SecretStr.__init__ = _own_secret_init  # type: ignore[method-assign]
    _detector = None


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    if _detector is not None:
        _detector.where = nodeid


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _detector is None:
        return
    for name, content in report.sections:
        # Sections accumulate over phases: take each phase's own once.
        if name.endswith(f" {report.when}") and any(kind in name for kind in _SCANNED_SECTIONS):
            _detector.add_text(content, report.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _detector is None:
        return
    leaks = _detector.leaks()
    session.config.stash[_LEAKS] = leaks
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    leaks = config.stash.get(_LEAKS, [])
    if not leaks:
        return
    terminalreporter.section("secrets in log output", sep="=", red=True, bold=True)
    for leak in leaks:
        terminalreporter.line(f"LEAK: {leak.describe()}", red=True)


_LEAKS = pytest.StashKey[list[Leak]]()


@pytest.fixture
def record_log_output() -> Callable[[str], None]:
    """Hand over log output read from a child process (its stderr) for the session check."""

    def record(text: str) -> None:
        if _detector is not None:
            _detector.add_text(text)

    return record


@pytest.fixture
def register_secret() -> Callable[[str], None]:
    """Declare a value (a password, a key) that must not show up in any log output."""

    def register(value: str) -> None:
        if _detector is not None:
            _detector.add_secret(value, "a secret registered by a test")

    return register
