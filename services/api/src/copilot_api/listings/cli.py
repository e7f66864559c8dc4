"""`copilot listings ingest PATH` and `copilot listings reembed`.

Both work against DATABASE_URL, or the embedded PostgreSQL under DATA_DIR (reusing a running
`copilot serve`'s server). Exit status: 0 done, 1 some rows were rejected, 2 a usage error,
3 the database failed part-way (e.g. its disk is full): committed batches stay, a re-run resumes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import psycopg
from psycopg import AsyncConnection
from tqdm import tqdm

from copilot_api.ai.embeddings import create_embedding_provider
from copilot_api.listings import store
from copilot_api.listings.fields import embedding_text
from copilot_api.listings.ingest import IngestSummary
from copilot_api.listings.loading import ingest_records
from copilot_api.listings.sources import (
    SourceError,
    SourceFormat,
    count_lines,
    detect_format,
    parse_column_map,
    read_records,
)
from copilot_api.storage.embedded import EmbeddedPostgresError
from copilot_api.storage.migrations import apply_migrations
from copilot_api.storage.target import database_target
from copilot_config import Environment, Settings

EXIT_REJECTED: Final = 1
EXIT_USAGE: Final = 2
EXIT_DATABASE: Final = 3
_SHOWN_ERRORS: Final = 50

Command = Callable[[argparse.Namespace, Settings], int]


def register_listings_commands(groups: Any) -> None:
    """Adds the `listings` group to the `copilot` parser's subcommands."""
    listings = groups.add_parser("listings", help="listing data: ingest, re-embed")
    commands = listings.add_subparsers(title="listings commands")

    ingest = commands.add_parser(
        "ingest",
        help="load JSON Lines or CSV listings (RESO field names); idempotent upserts",
        description="Load listings in batches (one transaction each). Rows that fail "
        "validation are reported with their line number; the rest still land. Exits 1 when any "
        "row was rejected.",
    )
    ingest.add_argument("path", type=Path, help="a .jsonl/.ndjson or .csv file")
    ingest.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="CSV only: read COLUMN as the RESO field FIELD (repeatable)",
    )
    ingest.add_argument("--format", choices=["jsonl", "csv"], help="default: from the extension")
    ingest.add_argument("--batch-size", type=int, help="default: LISTINGS_INGEST_BATCH_SIZE")
    ingest.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    ingest.set_defaults(command=_user_errors(_ingest))

    reembed = commands.add_parser(
        "reembed",
        help="(re)compute embeddings with the configured provider",
        description="Switch the stored listings to the configured embedding provider, model "
        "and dimensions. Resumable: rows still without a vector are filled on the next run.",
    )
    reembed.add_argument(
        "--all",
        action="store_true",
        help="re-embed every listing even when the stored space already matches",
    )
    reembed.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    reembed.set_defaults(command=_user_errors(_reembed))


class _UsageError(Exception):
    pass


def _user_errors(command: Command) -> Command:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return command(args, settings)
        except (_UsageError, SourceError, store.EmbeddingSpaceMismatchError) as error:
            print(f"copilot: error: {error}", file=sys.stderr)
            return EXIT_USAGE
        except (psycopg.Error, EmbeddedPostgresError) as error:
            # An operator's problem (disk full, server gone), not a bug: a message, no traceback.
            # Batches are atomic, so what was committed is whole and a re-run completes it.
            print(
                f"copilot: error: the database failed: {str(error).strip() or type(error).__name__}"
                "\ncommitted batches are kept; fix the cause and run the command again",
                file=sys.stderr,
            )
            return EXIT_DATABASE

    return run


@contextmanager
def _database(settings: Settings) -> Iterator[str]:
    with database_target(
        settings.database, environment=settings.app.environment, data_dir=settings.app.data_dir
    ) as database:
        if settings.app.environment is not Environment.PRODUCTION:
            apply_migrations(database.url)  # production migrates as a deploy step
        yield database.url


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.path
    source_format: SourceFormat = args.format or detect_format(path)
    column_map = parse_column_map(args.map)
    batch_size = args.batch_size or settings.listings.ingest_batch_size
    if batch_size < 1:
        raise _UsageError("--batch-size must be at least 1")
    records = read_records(path, source_format, column_map)
    expected = count_lines(path)
    summary = IngestSummary()
    finished = False
    try:
        with _database(settings) as url, _progress(expected, args.no_progress, "ingest") as bar:

            def advance(rows: int) -> None:
                bar.update(rows)

            _run(_ingest_async(url, settings, records, expected, batch_size, advance, summary))
        finished = True
    finally:  # the report is printed however the run ends: it says what was written
        _report(summary, finished)
    return EXIT_REJECTED if summary.rejected else 0


async def _ingest_async(
    url: str,
    settings: Settings,
    records: Iterator[Any],
    expected_rows: int,
    batch_size: int,
    on_progress: Callable[[int], None],
    summary: IngestSummary,
) -> IngestSummary:
    provider = create_embedding_provider(settings.listings, settings.openai)
    try:
        async with (
            await AsyncConnection.connect(url, autocommit=True) as connection,
            await AsyncConnection.connect(url, autocommit=True) as reader,
            await AsyncConnection.connect(url, autocommit=True) as second_writer,
        ):
            # Two batches written at once: PostgreSQL's share of a load (parsing documents,
            # full-text vectors) is as large as this process's, and a second core takes half.
            return await ingest_records(
                connection,
                provider,
                records,
                batch_size=batch_size,
                expected_rows=expected_rows,
                on_progress=on_progress,
                read_connection=reader,
                extra_writers=[second_writer],
                summary=summary,
            )
    finally:
        await provider.aclose()


def _reembed(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    with _database(settings) as url:
        done, space = _run(_reembed_async(url, settings, args.all, args.no_progress))
    print(
        f"re-embedded {done} listings with {space} in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


async def _reembed_async(
    url: str, settings: Settings, everything: bool, hide_progress: bool
) -> tuple[int, str]:
    provider = create_embedding_provider(settings.listings, settings.openai)
    space = provider.space
    done = 0
    try:
        async with await AsyncConnection.connect(url, autocommit=True) as connection:
            if everything or await store.stored_space(connection) != space:
                await store.rebind_for_reembed(connection, space)
            else:
                await store.drop_vector_index(connection)  # rebuilt once at the end
            total = await store.missing_embeddings(connection)
            with _progress(total, hide_progress, "reembed") as bar:
                after = ""
                while rows := await store.listings_without_embedding(
                    connection, after, settings.listings.ingest_batch_size
                ):
                    vectors = await provider.embed([embedding_text(data) for _, data in rows])
                    async with connection.transaction():
                        await store.store_embeddings(connection, [key for key, _ in rows], vectors)
                    after = rows[-1][0]
                    done += len(rows)
                    bar.update(len(rows))
            await store.ensure_vector_index(connection, space.dimensions)
            await connection.execute("ANALYZE listings")
    finally:
        await provider.aclose()
    return done, space.describe()


@contextmanager
def _progress(total: int, hidden: bool, label: str) -> Iterator[tqdm[Any]]:
    with tqdm(
        total=total, unit=" rows", unit_scale=True, desc=label, file=sys.stderr, disable=hidden
    ) as bar:
        yield bar


def _run(coroutine: Awaitable[Any]) -> Any:
    async def wrapper() -> Any:
        return await coroutine

    return asyncio.run(wrapper())


def _report(summary: IngestSummary, finished: bool) -> None:
    for error in summary.errors[:_SHOWN_ERRORS]:
        key = f" ({error.listing_key})" if error.listing_key else ""
        print(f"line {error.line}{key}: {error.reason}", file=sys.stderr)
    if summary.rejected > _SHOWN_ERRORS:
        print(f"... and {summary.rejected - _SHOWN_ERRORS} more rejected rows", file=sys.stderr)
    for duplicate in summary.duplicate_keys[:_SHOWN_ERRORS]:
        print(
            f"line {duplicate.line} ({duplicate.listing_key}): warning: same ListingKey as line "
            f"{duplicate.earlier_line}; line {duplicate.line} is the one kept",
            file=sys.stderr,
        )
    if summary.duplicates > _SHOWN_ERRORS:
        print(f"... and {summary.duplicates - _SHOWN_ERRORS} more duplicate keys", file=sys.stderr)
    if not finished:
        print("ingest stopped before the end of the file; written so far:", file=sys.stderr)
    print(summary.describe())
