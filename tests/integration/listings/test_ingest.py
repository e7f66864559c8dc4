"""Ingest: bad rows reported by line, good rows kept, re-runs idempotent, batches atomic even
when the process dies mid-batch, and the bulk-load index plan."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.listings import store
from copilot_api.listings.ingest import IngestSummary
from copilot_api.listings.loading import ingest_records, repair_indexes
from copilot_api.listings.sources import SourceRecord
from copilot_api.storage.migrations import apply_migrations
from tests.harness import REPO_ROOT

PROVIDER = LocalEmbeddingProvider(64)


def row(key: str, **fields: Any) -> dict[str, Any]:
    return {
        "ListingKey": key,
        "City": "Ames",
        "ListPrice": 250000,
        "StandardStatus": "Active",
        "PublicRemarks": f"Listing {key} with a sunny kitchen",
        **fields,
    }


def records(rows: Iterable[dict[str, Any]]) -> list[SourceRecord]:
    return [SourceRecord(line, fields) for line, fields in enumerate(rows, start=1)]


def ingest(url: str, rows: Iterable[dict[str, Any]], **options: Any) -> IngestSummary:
    async def run() -> IngestSummary:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            return await ingest_records(
                connection,
                PROVIDER,
                records(rows),
                batch_size=options.pop("batch_size", 10),
                **options,
            )

    return asyncio.run(run())


def ingest_with_two_writers(url: str, rows: Iterable[dict[str, Any]], **options: Any) -> Any:
    """As the CLI ingests: a reader preparing batches and two writers."""

    async def run() -> IngestSummary:
        async with (
            await psycopg.AsyncConnection.connect(url, autocommit=True) as connection,
            await psycopg.AsyncConnection.connect(url, autocommit=True) as reader,
            await psycopg.AsyncConnection.connect(url, autocommit=True) as writer,
        ):
            return await ingest_records(
                connection,
                PROVIDER,
                records(rows),
                batch_size=options.pop("batch_size", 10),
                read_connection=reader,
                extra_writers=[writer],
                **options,
            )

    return asyncio.run(run())


def stall_inserts_of(url: str, key: str, seconds: float) -> None:
    """A trigger that makes every insert of `key` sleep (a slow batch, a stuck one)."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            """
            CREATE FUNCTION stall_on_key() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.listing_key = TG_ARGV[0] THEN PERFORM pg_sleep(TG_ARGV[1]::float8); END IF;
                RETURN NEW;
            END $$;
            """
        )
        connection.execute(
            psycopg.sql.SQL(
                "CREATE TRIGGER stall_on_key BEFORE INSERT ON listings"
                " FOR EACH ROW EXECUTE FUNCTION stall_on_key({}, {})"
            ).format(psycopg.sql.Literal(key), psycopg.sql.Literal(str(seconds)))
        )


def keys_in(url: str) -> list[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT listing_key FROM listings ORDER BY 1").fetchall()
    return [str(key) for (key,) in rows]


def indexes_of(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'listings'"
        ).fetchall()
    return {str(name) for (name,) in rows}


def cli(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copilot_api", "listings", *args],
        env=_env(url),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "REDIS_URL")}
    return {
        **env,
        "ENVIRONMENT": "test",
        "DATABASE_URL": url,
        "EMBEDDING_PROVIDER": "local",
        "EMBEDDING_DIMENSIONS": "64",
        **extra,
    }


def test_cli_csv_with_renamed_columns_reports_bad_rows_and_is_idempotent(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "feed.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "price", "BedroomsTotal", "City", "PublicRemarks"])
        writer.writerow(["K1", "250000", "3", "Ames", "Sunny ranch"])
        writer.writerow(["K2", "-5", "3", "Ames", "Bad price"])
        writer.writerow(["K3", "310000", "three", "Ames", "Bad beds"])
        writer.writerow(["K4", "199000", "2", "Ames", "Two\nline remarks"])
        writer.writerow(["", "199000", "2", "Ames", "No key"])
        writer.writerow(["K6", "420000", "4", "Ames", "Big yard"])
    args = [
        "ingest",
        str(path),
        "--map",
        "id=ListingKey",
        "--map",
        "price=ListPrice",
        "--no-progress",
    ]

    first = cli(database_url, *args)
    assert first.returncode == 1, first.stderr
    assert "line 3 (K2): ListPrice: must be at least 1 (got -5)" in first.stderr
    assert "line 4 (K3): BedroomsTotal: expected a whole number, got 'three'" in first.stderr
    assert "line 7: ListingKey is missing" in first.stderr
    assert first.stdout.startswith("inserted 3, updated 0, unchanged 0, rejected 3")
    assert keys_in(database_url) == ["K1", "K4", "K6"]

    second = cli(database_url, *args)
    assert second.returncode == 1
    assert second.stdout.startswith("inserted 0, updated 0, unchanged 3, rejected 3")


def test_cli_usage_errors_exit_2(database_url: str, tmp_path: Path) -> None:
    missing = cli(database_url, "ingest", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    path = tmp_path / "feed.csv"
    path.write_text("id\nK1\n")
    bad_map = cli(database_url, "ingest", str(path), "--map", "ident=ListingKey")
    assert bad_map.returncode == 2
    assert "not in the header: ident" in bad_map.stderr


def test_updates_are_counted_and_repeated_keys_apply_in_order(database_url: str) -> None:
    apply_migrations(database_url)
    first = ingest(database_url, [row("K1"), row("K2"), row("K1", ListPrice=240000)])
    assert (first.inserted, first.updated, first.unchanged) == (2, 1, 0)
    with psycopg.connect(database_url) as connection:
        price = connection.execute(
            "SELECT list_price FROM listings WHERE listing_key = 'K1'"
        ).fetchone()
    assert price == (240000,)
    second = ingest(database_url, [row("K1", ListPrice=240000), row("K2", ListPrice=1)])
    assert (second.inserted, second.updated, second.unchanged) == (0, 1, 1)


def test_two_writers_apply_repeated_keys_in_file_order(database_url: str) -> None:
    """Batches of two, written two at a time. The first batch is slow (a trigger sleeps on
    K0), so the second, which holds K1's later version, must wait for it, or K1 ends at its
    first version."""
    apply_migrations(database_url)
    stall_inserts_of(database_url, "K0", seconds=0.5)
    rows = [
        row("K0"),
        row("K1", ListPrice=300000),
        row("K1", ListPrice=290000),
        row("K2", ListPrice=100000),
        *[row(f"K{n}") for n in range(3, 9)],
        row("K2", ListPrice=110000),
    ]
    summary = ingest_with_two_writers(database_url, rows, batch_size=2)
    assert (summary.inserted, summary.updated, summary.unchanged) == (9, 2, 0)
    assert summary.duplicates == 2
    assert keys_in(database_url) == sorted(f"K{n}" for n in range(9))
    with psycopg.connect(database_url) as connection:
        prices: dict[str, float] = dict(
            connection.execute(
                "SELECT listing_key, list_price FROM listings WHERE listing_key IN ('K1', 'K2')"
            ).fetchall()
        )
    assert prices == {"K1": 290000, "K2": 110000}


def test_only_changed_text_is_re_embedded(database_url: str) -> None:
    apply_migrations(database_url)
    ingest(database_url, [row("K1"), row("K2")])

    def vectors() -> dict[str, str]:
        with psycopg.connect(database_url) as connection:
            found = connection.execute(
                "SELECT listing_key, embedding::text FROM listings"
            ).fetchall()
        return {str(key): str(vector) for key, vector in found}

    before = vectors()
    ingest(database_url, [row("K1", ListPrice=199000), row("K2", PublicRemarks="All new words")])
    after = vectors()
    assert after["K1"] == before["K1"]
    assert after["K2"] != before["K2"]


def test_a_failure_mid_batch_rolls_the_whole_batch_back(database_url: str) -> None:
    apply_migrations(database_url)
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            """
            CREATE FUNCTION fail_on_k15() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.listing_key = 'K15' THEN RAISE EXCEPTION 'disk on fire'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER fail_on_k15 BEFORE INSERT ON listings
                FOR EACH ROW EXECUTE FUNCTION fail_on_k15();
            """
        )
    with pytest.raises(psycopg.errors.RaiseException, match="disk on fire"):
        ingest(database_url, [row(f"K{n}") for n in range(1, 31)], batch_size=10)
    # Batch 1 (K1..K10) committed; batch 2 (K11..K20) failed at K15 and left nothing.
    assert keys_in(database_url) == sorted(f"K{n}" for n in range(1, 11))


@pytest.mark.slow
def test_a_killed_ingest_leaves_no_partial_batch(database_url: str, tmp_path: Path) -> None:
    """A real crash: the CLI is SIGKILLed while PostgreSQL is inside its second batch, after the
    first committed (its second writer may have written the third)."""
    apply_migrations(database_url)
    stall_inserts_of(database_url, "K75", seconds=60)
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(row(f"K{n}")) + "\n" for n in range(1, 151)))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "copilot_api",
            "listings",
            "ingest",
            str(path),
            "--batch-size",
            "50",
            "--no-progress",
        ],
        env=_env(database_url),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        backend = _wait_for_sleeping_insert(database_url, deadline=time.monotonic() + 60)
        # The two writers run the first two batches at once: the kill must come after the
        # first one's commit, or both are (rightly) rolled back and the test shows nothing.
        _wait_for_keys(database_url, "K1", "K50", deadline=time.monotonic() + 60)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute("SELECT pg_terminate_backend(%s)", (backend,))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # Whole batches only: the first, and the third when the second writer got to it.
    first = [f"K{n}" for n in range(1, 51)]
    third = [f"K{n}" for n in range(101, 151)]
    assert keys_in(database_url) in (sorted(first), sorted(first + third))


def _wait_for_keys(url: str, *keys: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        if set(keys) <= set(keys_in(url)):
            return
        time.sleep(0.05)
    raise AssertionError(f"{', '.join(keys)} never committed")


def _wait_for_sleeping_insert(url: str, deadline: float) -> int:
    with psycopg.connect(url, autocommit=True) as connection:
        while time.monotonic() < deadline:
            found = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                " AND query LIKE '%INSERT INTO listings%'"
            ).fetchone()
            if found:
                return int(found[0])
            time.sleep(0.05)
    raise AssertionError("the ingest never reached its second batch")


def test_a_bulk_load_rebuilds_every_index_it_dropped(database_url: str) -> None:
    apply_migrations(database_url)
    ingest(database_url, [row("K0")])  # binds the space and builds the vector index
    before = indexes_of(database_url)
    assert {graph.index for graph in store.VECTOR_GRAPHS} <= set(before)
    assert "listings_search_document" in before
    summary = ingest(database_url, [row(f"K{n}") for n in range(1, 41)], expected_rows=50_000)
    assert summary.inserted == 40
    assert indexes_of(database_url) == before
    with psycopg.connect(database_url) as connection:
        assert connection.execute("SELECT count(*) FROM listings_deferred_indexes").fetchone() == (
            0,
        )


def test_indexes_left_dropped_by_a_crash_are_repaired(database_url: str) -> None:
    apply_migrations(database_url)
    ingest(database_url, [row("K1")])
    before = indexes_of(database_url)

    async def crash_then_repair() -> list[str]:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            dropped = await store.defer_secondary_indexes(conn)
        assert indexes_of(database_url) == {"listings_pkey"}
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await repair_indexes(conn, PROVIDER.space.dimensions)
        return dropped

    dropped = asyncio.run(crash_then_repair())
    assert set(dropped) == before - {"listings_pkey"}
    assert indexes_of(database_url) == before
