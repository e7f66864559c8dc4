"""Load plans around the ingestor: index deferral for bulk loads, statistics, sample data."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Final

from psycopg import AsyncConnection

from copilot_api.ai.embeddings import EmbeddingProvider
from copilot_api.listings import store
from copilot_api.listings.ingest import IngestSummary, Ingestor, Progress
from copilot_api.listings.sample_data import DEFAULT_COUNT, generate_listings
from copilot_api.listings.sources import SourceRecord

logger = logging.getLogger(__name__)

# Maintaining an HNSW graph row by row costs far more than building it once: a load of at least
# this many rows, and more rows than the table holds, drops the index and rebuilds it at the end.
# Searches meanwhile fall back to exact scans (slower, still correct).
DEFER_INDEX_MIN_ROWS: Final = 20_000
# Refresh planner statistics after writes this large (filter plans depend on them).
ANALYZE_MIN_ROWS: Final = 1_000
# Session-level advisory lock: only one process (of several workers) loads the sample data.
_SAMPLE_LOCK: Final = 7_361_204_917


async def ingest_records(
    connection: AsyncConnection[Any],
    provider: EmbeddingProvider,
    records: Iterable[SourceRecord],
    *,
    batch_size: int,
    expected_rows: int | None = None,
    on_progress: Progress | None = None,
) -> IngestSummary:
    """Bind the embedding space, pick the index plan, ingest, refresh statistics."""
    dimensions = provider.space.dimensions
    await store.bind_embedding_space(connection, provider.space, build_index=False)
    defer_index = (
        expected_rows is not None
        and expected_rows >= DEFER_INDEX_MIN_ROWS
        and expected_rows > await store.count_listings(connection)
    )
    if defer_index:
        logger.info("bulk load of ~%d rows: building the vector index after the load", expected_rows)
        await store.drop_vector_index(connection)
    else:
        await store.ensure_vector_index(connection, dimensions)
    ingestor = Ingestor(connection, provider, batch_size=batch_size, on_progress=on_progress)
    try:
        summary = await ingestor.run(records)
    finally:
        if defer_index:
            await _rebuild_index(connection, dimensions)
    if summary.inserted + summary.updated >= ANALYZE_MIN_ROWS:
        await connection.execute("ANALYZE listings")
    return summary


async def _rebuild_index(connection: AsyncConnection[Any], dimensions: int) -> None:
    try:
        await store.ensure_vector_index(connection, dimensions)
    except Exception:
        # Never hide the load's own error; startup and the next ingest rebuild a missing index.
        logger.exception("could not rebuild the listings vector index")
        if connection.closed:
            return
        raise


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
            connection, provider, sample_records(count), batch_size=batch_size
        )
        logger.info("loaded the sample listings: %s", summary.describe())
        return summary
    finally:
        await connection.execute("SELECT pg_advisory_unlock(%s)", (_SAMPLE_LOCK,))
