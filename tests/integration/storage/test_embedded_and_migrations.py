from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from copilot_api.storage.embedded import EmbeddedPostgres, ServerTuning
from copilot_api.storage.migrations import Migration, apply_migrations, bundled_migrations


def _schema_snapshot(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as connection:
        return connection.execute(
            """
            SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
            """
        ).fetchall()


def test_embedded_server_starts_with_pgvector_and_stops(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "pg", ServerTuning(shared_buffers="64MB", durable=False))
    url = server.start()
    try:
        with psycopg.connect(url) as connection:
            version = connection.execute("SHOW server_version_num").fetchone()
            assert version is not None
            assert int(version[0]) >= 180000
            connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
            row = connection.execute("SELECT '[1,2,3]'::vector <=> '[1,2,3]'::vector").fetchone()
            assert row == (0.0,)
        assert server.running_port() == server.port
    finally:
        server.stop()
    assert server.running_port() is None
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)


def test_restart_keeps_the_port_and_the_data(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "pg", ServerTuning(shared_buffers="64MB", durable=False))
    url = server.start()
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE TABLE kept (id int)")
            connection.execute("INSERT INTO kept VALUES (42)")
        server.stop()
        assert server.start() == url
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT id FROM kept").fetchall() == [(42,)]
    finally:
        server.stop()


def test_migrations_apply_once_and_are_idempotent(database_url: str) -> None:
    first = apply_migrations(database_url)
    assert [m.version for m in first] == [m.version for m in bundled_migrations()]
    snapshot = _schema_snapshot(database_url)
    assert apply_migrations(database_url) == []
    assert _schema_snapshot(database_url) == snapshot
    with psycopg.connect(database_url) as connection:
        recorded = connection.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        assert [row[0] for row in recorded] == [m.version for m in bundled_migrations()]
        extension = connection.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()
        assert extension == (1,)


def test_a_failing_migration_leaves_nothing_behind(database_url: str) -> None:
    apply_migrations(database_url)
    broken = Migration(
        9999, "broken", "CREATE TABLE half_done (id int); SELECT missing_function();"
    )
    with pytest.raises(psycopg.errors.UndefinedFunction):
        apply_migrations(database_url, [*bundled_migrations(), broken])
    with psycopg.connect(database_url) as connection:
        assert connection.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
        assert (
            connection.execute("SELECT 1 FROM schema_migrations WHERE version = 9999").fetchone()
            is None
        )


def test_bundled_migrations_are_ordered_and_unique() -> None:
    versions = [m.version for m in bundled_migrations()]
    assert versions == sorted(set(versions))
    assert versions[0] == 1
