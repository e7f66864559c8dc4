"""API keys in PostgreSQL: create, look up by prefix, list, revoke, record use.

Every statement is parameterised; functions take a connection so the service (pool) and the CLI
(one connection) share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, errors

from copilot_api.security.keys import GeneratedKey, check_name, generate_key
from copilot_api.security.scopes import Scope

# Literal SQL only (values always travel as parameters); the columns of `ApiKey`, in order.
_INSERT = """
    INSERT INTO api_keys
        (prefix, secret_hash, name, scopes, rate_limit_per_minute, rate_limit_per_hour)
    VALUES (%s, %s, %s, %s, %s, %s)
    RETURNING id, prefix, name, scopes, rate_limit_per_minute, rate_limit_per_hour,
        created_at, last_used_at, revoked_at
"""
_SELECT_BY_PREFIX = """
    SELECT id, prefix, name, scopes, rate_limit_per_minute, rate_limit_per_hour,
        created_at, last_used_at, revoked_at, secret_hash
    FROM api_keys WHERE prefix = %s
"""
_SELECT_LIVE_BY_NAME = """
    SELECT id, prefix, name, scopes, rate_limit_per_minute, rate_limit_per_hour,
        created_at, last_used_at, revoked_at
    FROM api_keys WHERE name = %s AND revoked_at IS NULL
"""
_SELECT_ALL = """
    SELECT id, prefix, name, scopes, rate_limit_per_minute, rate_limit_per_hour,
        created_at, last_used_at, revoked_at
    FROM api_keys ORDER BY created_at, id
"""
_REVOKE = """
    UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE prefix = %s
    RETURNING id, prefix, name, scopes, rate_limit_per_minute, rate_limit_per_hour,
        created_at, last_used_at, revoked_at
"""
_RECORD_USE = "UPDATE api_keys SET last_used_at = now() WHERE id = %s"
_LIVE_NAME_INDEX = "api_keys_live_name"
_PREFIX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key's public record (never its secret or digest)."""

    id: int
    prefix: str
    name: str
    scopes: tuple[Scope, ...]
    rate_limit_per_minute: int | None
    rate_limit_per_hour: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class KeyNameTakenError(Exception):
    """Another live key already has this name."""


def _record(row: tuple[Any, ...]) -> ApiKey:
    return ApiKey(
        id=row[0],
        prefix=row[1],
        name=row[2],
        scopes=tuple(Scope(value) for value in row[3]),
        rate_limit_per_minute=row[4],
        rate_limit_per_hour=row[5],
        created_at=row[6],
        last_used_at=row[7],
        revoked_at=row[8],
    )


async def create_key(
    connection: AsyncConnection[Any],
    *,
    name: str,
    scopes: tuple[Scope, ...],
    rate_limit_per_minute: int | None = None,
    rate_limit_per_hour: int | None = None,
) -> tuple[ApiKey, GeneratedKey]:
    """Store a new key; returns its record and the generated secret (shown once, then gone)."""
    check_name(name)
    if not scopes:
        raise ValueError("at least one scope is required")
    for _ in range(_PREFIX_ATTEMPTS):
        generated = generate_key()
        try:
            cursor = await connection.execute(
                _INSERT,
                (
                    generated.prefix,
                    generated.digest,
                    name,
                    [scope.value for scope in scopes],
                    rate_limit_per_minute,
                    rate_limit_per_hour,
                ),
            )
        except errors.UniqueViolation as error:
            if error.diag.constraint_name == _LIVE_NAME_INDEX:
                raise KeyNameTakenError(f"a live key named {name!r} already exists") from None
            continue  # a 40-bit prefix collided: draw another key
        row = await cursor.fetchone()
        assert row is not None
        return _record(row), generated
    raise RuntimeError("could not draw an unused key prefix")


async def find_by_prefix(
    connection: AsyncConnection[Any], prefix: str
) -> tuple[ApiKey, bytes] | None:
    """The key with this prefix and its stored digest, revoked or not."""
    cursor = await connection.execute(_SELECT_BY_PREFIX, (prefix,))
    row = await cursor.fetchone()
    if row is None:
        return None
    return _record(row), bytes(row[-1])


async def find_live_by_name(connection: AsyncConnection[Any], name: str) -> ApiKey | None:
    cursor = await connection.execute(_SELECT_LIVE_BY_NAME, (name,))
    row = await cursor.fetchone()
    return _record(row) if row else None


async def list_keys(connection: AsyncConnection[Any]) -> list[ApiKey]:
    cursor = await connection.execute(_SELECT_ALL)
    return [_record(row) for row in await cursor.fetchall()]


async def revoke_key(connection: AsyncConnection[Any], prefix: str) -> ApiKey | None:
    """Revoke the key (idempotent: the first revocation time is kept); None if unknown."""
    cursor = await connection.execute(_REVOKE, (prefix,))
    row = await cursor.fetchone()
    return _record(row) if row else None


async def record_use(connection: AsyncConnection[Any], key_id: int) -> None:
    await connection.execute(_RECORD_USE, (key_id,))
