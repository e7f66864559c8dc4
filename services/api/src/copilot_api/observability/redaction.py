"""Keeps secrets out of log lines: the configured secret values plus common credential shapes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from copilot_config import Settings

REDACTED = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # user:password@ in URLs (postgresql://, redis://, https://...)
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@"), rf"\1{REDACTED}@"),
    # Authorization: Bearer <token> / Basic <credentials>
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # OpenAI-style keys (sk-..., sk-proj-...)
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), REDACTED),
    # key=value / "key": "value" for credential-looking keys
    (
        re.compile(
            r"(?i)\b((?:x-)?api[_-]?key|password|passwd|secret|token|access[_-]?key|"
            r"authorization)(\"?\s*[:=]\s*\"?)(?!\[REDACTED\])[^\s\"',;&}]+"
        ),
        rf"\1\2{REDACTED}",
    ),
)

_SENSITIVE_KEY = re.compile(r"(?i)(password|passwd|secret|token|api[_-]?key|authorization|cookie)")


class Redactor:
    """Replaces known secret values and credential patterns in strings and nested structures."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole. Very short values
        # would blank out ordinary words; URL passwords are caught by the patterns anyway.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    @classmethod
    def for_settings(cls, settings: Settings) -> Redactor:
        return cls(secret.get_secret_value() for secret in settings.secret_values().values())

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                key: REDACTED
                if isinstance(key, str) and _SENSITIVE_KEY.search(key) and item is not None
                else self.value(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value
