"""API key format, generation and hashing (pure functions, no I/O).

A key looks like `cpk_0a1b2c3d4e_<43 url-safe characters>`: `cpk_0a1b2c3d4e` is the public prefix
used for lookup, listing and revocation; the rest carries 256 random bits. Only the SHA-256 digest
of the whole key is stored. With 256-bit random secrets a slow KDF adds nothing (there is no
dictionary to try), and a plain digest keeps verification to microseconds per request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_MARKER = "cpk_"
_PREFIX_HEX_CHARS = 10
_SECRET_BYTES = 32
# Patterns are used with fullmatch (a `$` would accept a trailing newline).
PREFIX_PATTERN = re.compile(rf"{KEY_MARKER}[0-9a-f]{{{_PREFIX_HEX_CHARS}}}")
KEY_PATTERN = re.compile(rf"({KEY_MARKER}[0-9a-f]{{{_PREFIX_HEX_CHARS}}})_[A-Za-z0-9_-]{{43}}")
# Names show up in logs and listings: printable ASCII only, so they cannot forge log lines.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:@/+-]{0,99}")
NAME_RULE = (
    "1-100 characters: letters, digits, space and . _ : @ / + - (starting with a letter or digit)"
)


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    prefix: str
    secret: str  # the whole key, shown to its owner once
    digest: bytes

    def __repr__(self) -> str:  # never print the secret by accident
        return f"GeneratedKey(prefix={self.prefix!r})"


def generate_key() -> GeneratedKey:
    prefix = KEY_MARKER + secrets.token_hex(_PREFIX_HEX_CHARS // 2)
    secret = f"{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
    return GeneratedKey(prefix=prefix, secret=secret, digest=digest_key(secret))


def digest_key(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def prefix_of(presented: str) -> str | None:
    """The public prefix of a well-formed key, or None (so malformed input never reaches SQL)."""
    match = KEY_PATTERN.fullmatch(presented)
    return match[1] if match else None


def matches(presented: str, stored_digest: bytes) -> bool:
    return hmac.compare_digest(digest_key(presented), stored_digest)


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"invalid key name {name!r}: {NAME_RULE}")
    return name
