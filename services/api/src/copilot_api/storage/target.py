"""The one decision "embedded PostgreSQL or DATABASE_URL", used by the app and every CLI command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from copilot_api.storage.embedded import EmbeddedPostgres, ServerTuning
from copilot_config import DatabaseSection, Environment


class DatabaseTargetError(RuntimeError):
    """The settings name no usable database (an embedded one where it is refused)."""


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    url: str
    embedded: EmbeddedPostgres | None  # None: an external server from DATABASE_URL


@contextmanager
def database_target(
    database: DatabaseSection, *, environment: Environment, data_dir: Path
) -> Iterator[DatabaseTarget]:
    """DATABASE_URL when set; otherwise the embedded server under DATA_DIR, started (or reused
    when another process runs it) for the duration of the block and stopped at its end if this
    block started it. Deployed environments never get an embedded server."""
    if database.url is not None:
        yield DatabaseTarget(database.url.get_secret_value(), None)
        return
    if environment.is_deployed:
        raise DatabaseTargetError(
            f"DATABASE_URL is required when ENVIRONMENT={environment.value}: "
            "the embedded PostgreSQL is for development and tests only"
        )
    tuning = ServerTuning(durable=environment is not Environment.TEST)
    embedded = EmbeddedPostgres(data_dir / "postgres", tuning)
    url = embedded.start()
    try:
        yield DatabaseTarget(url, embedded)
    finally:
        embedded.stop()  # only if this process owns it
