"""Batched, idempotent ingest shared by the CLI, the bulk HTTP endpoint and the sample loader.

Per batch: validate rows (bad ones are reported with their line and reason, the rest go on),
skip rows whose normalised document is already stored, embed only rows whose text changed, then
upsert the batch in ONE transaction, so an interrupted run never leaves half a batch behind.
A key seen twice in a file is applied in order (the batch is flushed before the second one, so
the later row wins) and reported as a warning naming both lines. With more than one writer,
batches without common keys may commit out of file order: an interrupted run leaves whole
batches, not always a prefix of the file; running it again completes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np
from psycopg import AsyncConnection

from copilot_api.ai.embeddings import EmbeddingProvider
from copilot_api.listings import store
from copilot_api.listings.sources import SourceRecord
from copilot_api.listings.validation import InvalidListingError, ValidListing, validate_listing

logger = logging.getLogger(__name__)

_ENCODER = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    listing_key: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    listing_key: str
    earlier_line: int
    line: int  # this later row is the one stored


@dataclass(slots=True)
class IngestSummary:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RejectedRow] = field(default_factory=list)
    duplicates: int = 0
    duplicate_keys: list[DuplicateKey] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def processed(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.rejected

    @property
    def rows_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        duplicates = (
            f", {self.duplicates} duplicate keys (later row won)" if self.duplicates else ""
        )
        return (
            f"inserted {self.inserted}, updated {self.updated}, unchanged {self.unchanged}, "
            f"rejected {self.rejected}{duplicates} ({self.processed} rows in "
            f"{self.seconds:.1f} s, {self.rows_per_second:,.0f} rows/s)"
        )


Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class _Plan:
    """A validated batch ready to write: changed rows, their vectors, unchanged count."""

    changed: list[ValidListing]
    prepared: list[store.PreparedRow]
    documents: list[str]
    unchanged: int


@dataclass(frozen=True, slots=True)
class _Write:
    """A batch being written: its task, the keys it changes and the connection it holds."""

    task: asyncio.Task[None]
    keys: frozenset[str]
    connection: AsyncConnection[Any]


class Ingestor:
    """Writes records through `connection` (autocommit; each batch opens its transaction).

    With a separate `read_connection` the next batch is validated, checked against the stored
    hashes and embedded while the current batch is being written (a pipeline). Each of
    `extra_writers` carries one more batch at a time: PostgreSQL's share of a load (parsing
    the documents, the full-text vectors) then runs on more than one core. A batch never
    overtakes an earlier one holding one of its keys, so the later version of a row still wins.
    """

    def __init__(
        self,
        connection: AsyncConnection[Any],
        provider: EmbeddingProvider,
        *,
        batch_size: int,
        on_progress: Progress | None = None,
        read_connection: AsyncConnection[Any] | None = None,
        extra_writers: Sequence[AsyncConnection[Any]] = (),
        max_reported_errors: int = 1_000,
        summary: IngestSummary | None = None,
    ) -> None:
        self._connection = connection
        self._writers = [connection, *extra_writers]
        self._reader = read_connection
        self._provider = provider
        self._batch_size = batch_size
        self._on_progress = on_progress
        self._max_reported_errors = max_reported_errors
        # A caller-owned summary still holds the figures when the run fails part-way.
        self._summary = summary if summary is not None else IngestSummary()
        self._last_line: dict[str, int] = {}  # of each key seen, to name both rows of a duplicate
        self._batch: list[ValidListing] = []
        self._batch_keys: set[str] = set()
        self._in_flight: list[_Write] = []  # oldest first, at most one per writer

    async def run(self, records: Iterable[SourceRecord]) -> IngestSummary:
        """Ingest every record; the embedding space must already be bound (see loading.py)."""
        started = time.perf_counter()
        try:
            for record in records:
                await self._add(record)
            await self._flush()
            await self._drain()
        finally:
            # An error elsewhere: let the writes under way finish or fail.
            await asyncio.gather(*(write.task for write in self._in_flight), return_exceptions=True)
            self._summary.seconds = time.perf_counter() - started
        return self._summary

    async def _add(self, record: SourceRecord) -> None:
        if record.fields is None:
            self._reject(record.line, None, record.error or "unreadable record")
            return
        try:
            listing = validate_listing(record.fields)
        except InvalidListingError as invalid:
            self._reject(record.line, invalid.key, "; ".join(invalid.reasons))
            return
        earlier = self._last_line.get(listing.key)
        self._last_line[listing.key] = record.line
        if earlier is not None:
            self._duplicate(DuplicateKey(listing.key, earlier, record.line))
        if listing.key in self._batch_keys:
            await self._flush()  # apply the earlier version first, then this one
        self._batch.append(listing)
        self._batch_keys.add(listing.key)
        if len(self._batch) >= self._batch_size:
            await self._flush()

    def _reject(self, line: int, key: str | None, reason: str) -> None:
        self._summary.rejected += 1
        if len(self._summary.errors) < self._max_reported_errors:
            self._summary.errors.append(RejectedRow(line, key, reason))
        self._progress(1)

    def _duplicate(self, duplicate: DuplicateKey) -> None:
        self._summary.duplicates += 1
        if len(self._summary.duplicate_keys) < self._max_reported_errors:
            self._summary.duplicate_keys.append(duplicate)

    def _progress(self, rows: int) -> None:
        if self._on_progress is not None:
            self._on_progress(rows)

    async def _flush(self) -> None:
        batch, self._batch, self._batch_keys = self._batch, [], set()
        if not batch:
            return
        if self._reader is None:
            await self._drain()  # one connection: nothing may overlap the write
        plan = await self._plan(batch, self._reader or self._connection)
        keys = frozenset(row.key for row in plan.changed)
        while len(self._in_flight) == len(self._writers) or any(
            keys & write.keys for write in self._in_flight
        ):
            await self._finish_oldest()
        busy = {id(write.connection) for write in self._in_flight}
        writer = next(c for c in self._writers if id(c) not in busy)
        task = asyncio.create_task(self._write(plan, len(batch), writer))
        self._in_flight.append(_Write(task, keys, writer))

    async def _finish_oldest(self) -> None:
        await self._in_flight.pop(0).task

    async def _drain(self) -> None:
        while self._in_flight:
            await self._finish_oldest()

    async def _plan(self, batch: list[ValidListing], reader: AsyncConnection[Any]) -> _Plan:
        stored = await store.existing_hashes(reader, [row.key for row in batch])
        # A key an in-flight batch is writing may already differ from what we just read:
        # treat it as changed and re-embed it rather than trust a stale hash.
        for write in self._in_flight:
            for key in write.keys.intersection(stored):
                del stored[key]
        changed = [row for row in batch if stored.get(row.key, (b"",))[0] != row.content_hash]
        to_embed = [
            row for row in changed if row.key not in stored or stored[row.key][1] != row.text_hash
        ]
        vectors = await self._provider.embed([row.text for row in to_embed]) if to_embed else None
        position = {row.key: index for index, row in enumerate(to_embed)}
        prepared = [
            store.PreparedRow(
                row,
                None if vectors is None or row.key not in position else vectors[position[row.key]],
            )
            for row in changed
        ]
        documents = [_ENCODER.encode(row.data).decode() for row in changed]
        return _Plan(changed, prepared, documents, len(batch) - len(changed))

    async def _write(self, plan: _Plan, batch_rows: int, writer: AsyncConnection[Any]) -> None:
        if plan.changed:
            async with writer.transaction():
                outcome, needs_vector = await store.write_batch(
                    writer, plan.prepared, plan.documents
                )
                if needs_vector:
                    await self._embed_missing(writer, plan.changed, needs_vector)
            self._summary.inserted += outcome.inserted
            self._summary.updated += outcome.updated
            self._summary.unchanged += outcome.unchanged
        self._summary.unchanged += plan.unchanged
        self._progress(batch_rows)

    async def _embed_missing(
        self, writer: AsyncConnection[Any], rows: list[ValidListing], keys: list[str]
    ) -> None:
        """Rows whose stored vector could not be reused (changed concurrently): embed now."""
        texts = {row.key: row.text for row in rows}
        vectors = await self._provider.embed([texts[key] for key in keys])
        await store.store_embeddings(writer, keys, np.asarray(vectors))
