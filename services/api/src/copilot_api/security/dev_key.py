"""The development API key: in development, `copilot serve` makes sure one exists and prints it.

Only digests are stored, so the key itself is kept in `DATA_DIR/dev-api-key` (mode 0600) to be
printed at every start. It exists in ENVIRONMENT=development only; anything else is refused.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
from pathlib import Path

import psycopg

from copilot_api.observability.security_events import log_security_event
from copilot_api.security import store
from copilot_api.security.keys import matches, prefix_of
from copilot_api.security.scopes import Scope
from copilot_api.storage.migrations import MigrationError, apply_migrations
from copilot_config import Environment, Settings

logger = logging.getLogger(__name__)

DEV_KEY_NAME = "development"
DEV_KEY_FILE = "dev-api-key"


class NotDevelopmentError(RuntimeError):
    pass


def dev_key_path(settings: Settings) -> Path:
    return settings.app.data_dir / DEV_KEY_FILE


def ensure_development_key(settings: Settings, database_url: str) -> str:
    """The development key (all scopes): the saved one while it is still valid, else a new one."""
    if settings.app.environment is not Environment.DEVELOPMENT:
        raise NotDevelopmentError(
            f"development keys exist only when ENVIRONMENT=development, "
            f"not {settings.app.environment.value}"
        )
    apply_migrations(database_url)  # the app would too, but the key is needed before it starts
    return asyncio.run(_ensure(dev_key_path(settings), database_url))


def announce_development_key(settings: Settings, database_url: str) -> None:
    """Print the key for `make run` (stdout, not the log: it is meant to be copied).

    A failure is logged and serving goes on: health and docs do not need the key."""
    try:
        key = ensure_development_key(settings, database_url)
    except (psycopg.Error, OSError, MigrationError) as error:
        logger.warning("could not prepare the development API key (%s)", type(error).__name__)
        return
    print(
        f"Development API key (all scopes; ENVIRONMENT=development only; kept in "
        f"{dev_key_path(settings)}). Send it as X-API-Key:\n{key}",
        flush=True,
    )


async def _ensure(path: Path, database_url: str) -> str:
    saved = _read_saved(path)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as connection:
        if saved is not None and await _still_valid(connection, saved):
            return saved
        # The file is gone or its key was revoked: retire the old key so its name is free.
        stale = await store.find_live_by_name(connection, DEV_KEY_NAME)
        if stale is not None:
            await store.revoke_key(connection, stale.prefix)
        key, generated = await store.create_key(connection, name=DEV_KEY_NAME, scopes=tuple(Scope))
    _save(path, generated.secret)
    log_security_event(
        "api_key_created",
        "high",
        f"development API key {key.prefix} created",
        user_id=f"local:{getpass.getuser()}",
        key_prefix=key.prefix,
        key_name=key.name,
        scopes=[scope.value for scope in key.scopes],
        via="development",
    )
    return generated.secret


async def _still_valid(connection: psycopg.AsyncConnection[object], saved: str) -> bool:
    prefix = prefix_of(saved)
    found = await store.find_by_prefix(connection, prefix) if prefix else None
    if found is None:
        return False
    key, digest = found
    return matches(saved, digest) and not key.revoked and key.name == DEV_KEY_NAME


def _read_saved(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path.chmod(0o600)  # in case someone widened it
    return text or None


def _save(path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    # Created 0600 from the start: the key is never readable by others, not even briefly.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(key + "\n")
    temporary.replace(path)
