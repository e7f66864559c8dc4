"""The one decision "embedded PostgreSQL or DATABASE_URL", used by the app and every CLI command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from copilot_api.storage.embedded import EmbeddedPostgres, ServerTuning
from copilot_config import Environment, Settings


class DatabaseTargetError(RuntimeError):
    """The settings name no usable database (an embedded one where it is refused)."""


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    url: str
    embedded: EmbeddedPostgres | None  # None: an external server from DATABASE_URL


def _embedded_for(settings: Settings) -> EmbeddedPostgres:
    tuning = ServerTuning(durable=settings.environment is not Environment.TEST)
    return EmbeddedPostgres(settings.data_dir / "postgres", tuning)


@contextmanager
def database_target(settings: Settings) -> Iterator[DatabaseTarget]:
    """DATABASE_URL when set; otherwise the embedded server under DATA_DIR, started (or reused
    when another process runs it) for the duration of the block and stopped at its end if this
    block started it. Deployed environments never get an embedded server."""
    if settings.database_url is not None:
        yield DatabaseTarget(settings.database_url.get_secret_value(), None)
        return
    if settings.environment.is_deployed:
        raise DatabaseTargetError(
            f"DATABASE_URL is required when ENVIRONMENT={settings.environment.value}: "
            "the embedded PostgreSQL is for development and tests only"
        )
    embedded = _embedded_for(settings)
    url = embedded.start()
    try:
        yield DatabaseTarget(url, embedded)
    finally:
        embedded.stop()  # only if this process owns it
