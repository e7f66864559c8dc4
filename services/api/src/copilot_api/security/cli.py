"""`copilot keys create|list|revoke`: API key administration from the command line.

`create` prints the new key alone on the last line of its output (and nowhere else, ever);
every change is logged as a security event naming the local user.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
from psycopg import errors

from copilot_api.observability.logging import configure_logging
from copilot_api.observability.security_events import log_security_event
from copilot_api.security import store
from copilot_api.security.keys import PREFIX_PATTERN, check_name
from copilot_api.security.scopes import Scope, parse_scopes
from copilot_api.storage.migrations import apply_migrations
from copilot_api.storage.target import database_target
from copilot_config import Environment, Settings

EXIT_USAGE = 2

Command = Callable[[argparse.Namespace, Settings], int]


class KeyCommandError(Exception):
    """A problem the user can fix: one line on stderr, exit status 2."""


def add_key_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = groups.add_parser("keys", help="API keys: create, list, revoke").add_subparsers(
        title="keys commands"
    )
    create = keys.add_parser("create", help="create a key; prints it once, on the last line")
    create.add_argument("--name", required=True, help="unique among live keys, e.g. crm-prod")
    create.add_argument("--scopes", required=True, help="comma-separated: search, workflows, admin")
    create.add_argument("--rate-limit-per-minute", type=_positive_int, help="override for this key")
    create.add_argument("--rate-limit-per-hour", type=_positive_int, help="override for this key")
    create.set_defaults(command=_guarded(_create))

    listing = keys.add_parser("list", help="list keys (prefix, name, scopes, use, status)")
    listing.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    listing.set_defaults(command=_guarded(_list))

    revoke = keys.add_parser("revoke", help="revoke a key by its prefix (see `keys list`)")
    revoke.add_argument("prefix", help="the key's public prefix, e.g. cpk_0a1b2c3d4e")
    revoke.set_defaults(command=_guarded(_revoke))


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def _guarded(command: Command) -> Command:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        configure_logging(settings)  # security events and storage messages go to stderr
        try:
            return command(args, settings)
        except KeyCommandError as error:
            print(f"copilot: error: {error}", file=sys.stderr)
            return EXIT_USAGE

    return run


@contextmanager
def _database_url(settings: Settings) -> Iterator[str]:
    """The database, migrated (outside production); an embedded one is started if needed."""
    with database_target(
        settings.database, environment=settings.app.environment, data_dir=settings.app.data_dir
    ) as database:
        try:
            if settings.app.environment is not Environment.PRODUCTION:
                apply_migrations(database.url)
            yield database.url
        except psycopg.OperationalError as error:
            raise KeyCommandError(
                f"cannot reach the database: {str(error).strip().splitlines()[0]}"
            ) from None
        except errors.UndefinedTable:
            raise KeyCommandError("no api_keys table yet: run `copilot db migrate` first") from None


def _actor() -> str:
    return f"local:{getpass.getuser()}"


def _create(args: argparse.Namespace, settings: Settings) -> int:
    try:
        scopes = parse_scopes(args.scopes)
        name = check_name(args.name)
    except ValueError as error:
        raise KeyCommandError(str(error)) from None

    async def create(url: str) -> tuple[store.ApiKey, str]:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            key, generated = await store.create_key(
                connection,
                name=name,
                scopes=scopes,
                rate_limit_per_minute=args.rate_limit_per_minute,
                rate_limit_per_hour=args.rate_limit_per_hour,
            )
            return key, generated.secret

    with _database_url(settings) as url:
        try:
            key, secret = asyncio.run(create(url))
        except store.KeyNameTakenError as error:
            raise KeyCommandError(f"{error}; revoke it or choose another name") from None
    log_security_event(
        "api_key_created",
        "high" if Scope.ADMIN in key.scopes else "medium",
        f"API key {key.prefix} created",
        user_id=_actor(),
        key_prefix=key.prefix,
        key_name=key.name,
        scopes=[scope.value for scope in key.scopes],
        via="cli",
    )
    print(f"Created API key {key.prefix} ({key.name!r}; scopes: {_scopes(key)}).")
    print("Store it now: only its hash is kept, so it cannot be shown again. Send it as X-API-Key:")
    print(secret)
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    async def fetch(url: str) -> list[store.ApiKey]:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            return await store.list_keys(connection)

    with _database_url(settings) as url:
        keys = asyncio.run(fetch(url))
    if args.json:
        print(json.dumps([_as_json(key) for key in keys], indent=2))
        return 0
    rows = [("PREFIX", "NAME", "SCOPES", "LIMITS (/min, /h)", "CREATED", "LAST USED", "STATUS")]
    for key in keys:
        limits = f"{key.rate_limit_per_minute or '-'}, {key.rate_limit_per_hour or '-'}"
        status = f"revoked {_when(key.revoked_at)}" if key.revoked else "live"
        rows.append(
            (
                key.prefix,
                key.name,
                _scopes(key),
                limits,
                _when(key.created_at),
                _when(key.last_used_at),
                status,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    prefix: str = args.prefix
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise KeyCommandError(f"{prefix!r} is not a key prefix (cpk_ and 10 hex characters)")

    async def revoke(url: str) -> store.ApiKey | None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            return await store.revoke_key(connection, prefix)

    with _database_url(settings) as url:
        key = asyncio.run(revoke(url))
    if key is None:
        raise KeyCommandError(f"no API key has the prefix {prefix}")
    log_security_event(
        "api_key_revoked",
        "high" if Scope.ADMIN in key.scopes else "medium",
        f"API key {key.prefix} revoked",
        user_id=_actor(),
        key_prefix=key.prefix,
        key_name=key.name,
        scopes=[scope.value for scope in key.scopes],
        via="cli",
    )
    print(f"Revoked API key {key.prefix} ({key.name!r}) at {_when(key.revoked_at)}.")
    return 0


def _scopes(key: store.ApiKey) -> str:
    return ",".join(scope.value for scope in key.scopes)


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def _as_json(key: store.ApiKey) -> dict[str, object]:
    return {
        "prefix": key.prefix,
        "name": key.name,
        "scopes": [scope.value for scope in key.scopes],
        "rate_limit_per_minute": key.rate_limit_per_minute,
        "rate_limit_per_hour": key.rate_limit_per_hour,
        "created_at": _when(key.created_at),
        "last_used_at": key.last_used_at and _when(key.last_used_at),
        "revoked_at": key.revoked_at and _when(key.revoked_at),
    }
