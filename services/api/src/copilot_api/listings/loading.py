"""Load plans around the ingestor: index deferral for bulk loads, statistics, sample data."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Final

from psycopg import AsyncConnection

from copilot_api.ai.embeddings import EmbeddingProvider
from copilot_api.listings import store
from copilot_api.listings.ingest import Ingestor, IngestSummary, Progress
from copilot_api.listings.samples import DEFAULT_COUNT, generate_listings
from copilot_api.listings.sources import SourceRecord

logger = logging.getLogger(__name__)

# Maintaining an HNSW graph (and twenty B-trees) row by row costs far more than building them
# once: a load of at least this many rows, and more rows than the table holds, drops the
# secondary indexes and rebuilds them at the end. Searches meanwhile scan (slower, correct).
DEFER_INDEX_MIN_ROWS: Final = 2_000
# Refresh planner statistics after writes this large (filter plans depend on them).
ANALYZE_MIN_ROWS: Final = 1_000
# Session-level advisory locks: one sample loader at a time; a bulk load holds the other so
# that a starting server does not rebuild the indexes the load has just deferred.
_SAMPLE_LOCK: Final = 7_361_204_917
_BULK_LOAD_LOCK: Final = 7_361_204_918


async def ingest_records(
    connection: AsyncConnection[Any],
    provider: EmbeddingProvider,
    records: Iterable[SourceRecord],
    *,
    batch_size: int,
    expected_rows: int | None = None,
    on_progress: Progress | None = None,
    read_connection: AsyncConnection[Any] | None = None,
    extra_writers: Sequence[AsyncConnection[Any]] = (),
    summary: IngestSummary | None = None,
) -> IngestSummary:
    """Bind the embedding space, pick the index plan, ingest, refresh statistics.

    `read_connection` (optional, a second connection) lets the next batch be prepared while
    the current one is being written; each of `extra_writers` writes one more batch at a time.
    A caller-owned `summary` is filled as rows are written, so it reports what was done even
    when the run fails part-way.
    """
    await store.bind_embedding_space(connection, provider.space, build_index=False)
    defer = (
        expected_rows is not None
        and expected_rows >= DEFER_INDEX_MIN_ROWS
        and expected_rows > await store.count_listings(connection)
    )
    if defer:
        await connection.execute("SELECT pg_advisory_lock(%s)", (_BULK_LOAD_LOCK,))
        dropped = await store.defer_secondary_indexes(connection)
        logger.info(
            "bulk load of ~%d rows: %d indexes rebuilt afterwards", expected_rows, len(dropped)
        )
    else:
        await repair_indexes(connection, provider.space.dimensions)
    ingestor = Ingestor(
        connection,
        provider,
        batch_size=batch_size,
        on_progress=on_progress,
        read_connection=read_connection,
        extra_writers=extra_writers,
        summary=summary,
    )
    try:
        summary = await ingestor.run(records)
    finally:
        if defer:
            await _rebuild_after_bulk_load(connection, provider.space.dimensions)
    if defer:
        # Marks the freshly written pages all-visible, so searches evaluate their filters on the
        # covering index alone from the first query (autovacuum would get there later).
        await connection.execute("VACUUM (ANALYZE) listings")
    elif summary.inserted + summary.updated >= ANALYZE_MIN_ROWS:
        await connection.execute("ANALYZE listings")
    return summary


async def repair_indexes(connection: AsyncConnection[Any], dimensions: int) -> None:
    """Rebuild indexes an interrupted bulk load left dropped, unless a load is running now."""
    row = await (
        await connection.execute("SELECT pg_try_advisory_lock(%s)", (_BULK_LOAD_LOCK,))
    ).fetchone()
    if not (row and row[0]):
        return
    try:
        await store.restore_deferred_indexes(connection)
        await store.ensure_vector_index(connection, dimensions)
    finally:
        await connection.execute("SELECT pg_advisory_unlock(%s)", (_BULK_LOAD_LOCK,))


async def _rebuild_after_bulk_load(connection: AsyncConnection[Any], dimensions: int) -> None:
    if connection.closed:
        return  # the next ingest or startup repairs them
    try:
        await store.restore_deferred_indexes(connection)
        await store.ensure_vector_index(connection, dimensions)
    except Exception:
        # Never hide the load's own error; startup and the next ingest rebuild what is missing.
        logger.exception("could not rebuild the listings indexes after a bulk load")
        raise
    finally:
        await connection.execute("SELECT pg_advisory_unlock(%s)", (_BULK_LOAD_LOCK,))


def sample_records(count: int = DEFAULT_COUNT) -> Iterable[SourceRecord]:
    for index, listing in enumerate(generate_listings(count), start=1):
        yield SourceRecord(index, listing)


async def load_sample_data(
    connection: AsyncConnection[Any],
    provider: EmbeddingProvider,
    *,
    batch_size: int,
    count: int = DEFAULT_COUNT,
) -> IngestSummary | None:
    """Load the bundled sample listings if the table is empty; None when it was not.
    Several workers may start at once: the lock makes the others wait, then find rows."""
    await connection.execute("SELECT pg_advisory_lock(%s)", (_SAMPLE_LOCK,))
    try:
        if not await store.is_empty(connection):
            return None
        summary = await ingest_records(
            connection, provider, sample_records(count), batch_size=batch_size, expected_rows=count
        )
        logger.info("loaded the sample listings: %s", summary.describe())
        return summary
    finally:
        await connection.execute("SELECT pg_advisory_unlock(%s)", (_SAMPLE_LOCK,))
