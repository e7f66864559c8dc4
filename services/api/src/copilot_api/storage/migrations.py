"""Ordered SQL migrations, each applied in its own transaction and recorded in `schema_migrations`.

Files live in `storage/migrations/NNNN_name.sql` and are never edited once released: add a new
file instead. An advisory lock serialises concurrent runners (several workers or tasks starting
at once), and applied files are skipped, so running the migrations again changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

logger = logging.getLogger(__name__)

_FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Arbitrary constant: the key of the advisory lock that serialises migration runners.
_LOCK_KEY = 7_361_204_915


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    pass


def bundled_migrations() -> list[Migration]:
    folder = resources.files("copilot_api.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _FILE_PATTERN.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(versions) != len(set(versions)):
        raise MigrationError(f"two migration files share a version number: {versions}")
    return found


def apply_migrations(url: str, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every pending migration; returns the ones applied by this call."""
    pending_from = bundled_migrations() if migrations is None else migrations
    applied_now: list[Migration] = []
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
            )
            recorded: dict[int, str] = dict(
                connection.execute("SELECT version, checksum FROM schema_migrations").fetchall()
            )
            for migration in pending_from:
                if migration.version in recorded:
                    if recorded[migration.version] != migration.checksum:
                        logger.warning(
                            "migration %04d_%s changed after it was applied; not re-running it",
                            migration.version,
                            migration.name,
                        )
                    continue
                with connection.transaction():
                    connection.execute(migration.sql.encode())
                    connection.execute(
                        "INSERT INTO schema_migrations (version, name, checksum)"
                        " VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                logger.info("applied migration %04d_%s", migration.version, migration.name)
                applied_now.append(migration)
            if applied_now:
                # A migration may rewrite a table (a new generated column): the new heap has no
                # visibility map, so index-only scans would visit every row until a VACUUM,
                # which autovacuum does not schedule for a rewrite. Outside any transaction.
                connection.execute("VACUUM (ANALYZE)")
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now
