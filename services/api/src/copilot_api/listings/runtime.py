"""The listings capability at run time: the search service, bulk ingest and startup preparation.

Preparing means: bind the configured embedding space (a mismatch with the stored vectors is
a fatal `EmbeddingSpaceMismatchError` naming `copilot listings reembed`), repair indexes an
interrupted bulk load left dropped, load the sample listings into an empty table when enabled,
and load the place vocabulary. If the database is down at startup, preparation is retried
from the readiness probe instead, and the service reports not ready until it succeeds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from copilot_api.ai.embeddings import EmbeddingProvider
from copilot_api.errors import ApiError
from copilot_api.listings import store
from copilot_api.listings.ingest import IngestSummary
from copilot_api.listings.loading import ingest_records, load_sample_data, repair_indexes
from copilot_api.listings.parsing.model import QueryParser
from copilot_api.listings.search import SearchService
from copilot_api.listings.sources import SourceRecord
from copilot_api.listings.vocabulary import VocabularyCache
from copilot_api.storage.database import Database

logger = logging.getLogger(__name__)


class ListingsNotReadyError(RuntimeError):
    pass


class ListingsRuntime:
    def __init__(
        self,
        database: Database,
        embeddings: EmbeddingProvider,
        parser: QueryParser,
        *,
        batch_size: int,
        load_sample_data: bool,
        query_embeddings: EmbeddingProvider | None = None,
    ) -> None:
        """`batch_size`: listings per ingest transaction; `load_sample_data`: fill an empty
        table with the bundled samples when preparing."""
        self.batch_size = batch_size
        self.load_sample_data = load_sample_data
        self.database = database
        self.embeddings = embeddings
        self.parser = parser
        self.vocabulary = VocabularyCache(database)
        self.search = SearchService(
            database, query_embeddings or embeddings, parser, self.vocabulary
        )
        self._ready = False
        self._lock = asyncio.Lock()
        self._preparing: asyncio.Task[None] | None = None
        self.failure: str | None = None

    @property
    def ready(self) -> bool:
        return self._ready

    async def available(self) -> ListingsRuntime:
        """This runtime once ready; else the one "listings unavailable" answer (HTTP 503) that
        every route and workflow step gives."""
        try:
            await self.ensure_ready()
        except ListingsNotReadyError as error:
            raise ApiError(
                503, "listings_unavailable", f"Listings are not available yet: {error}"
            ) from None
        return self

    async def prepare(self) -> None:
        """Idempotent; raises `store.EmbeddingSpaceMismatchError` or database errors."""
        async with self._lock:
            if self._ready:
                return
            space = self.embeddings.space
            # Index repair and the sample load may take minutes: no reply deadline.
            with self.database.unbounded():
                async with self.database.pool.connection() as connection:
                    await store.bind_embedding_space(connection, space, build_index=False)
                    await repair_indexes(connection, space.dimensions)
                    if self.load_sample_data:
                        await load_sample_data(
                            connection, self.embeddings, batch_size=self.batch_size
                        )
                    missing = await store.missing_embeddings(connection)
            if missing:
                logger.warning(
                    "%d listings have no embedding and rank only by text; %s",
                    missing,
                    store.REEMBED_HINT,
                )
            await self.vocabulary.load()
            self._ready = True
            self.failure = None

    async def ensure_ready(self) -> None:
        """Returns when ready; otherwise starts a preparation in the background and raises
        ListingsNotReadyError."""
        if self._ready:
            return
        if self._preparing is None or self._preparing.done():
            self._preparing = asyncio.get_running_loop().create_task(self._prepare_quietly())
        raise ListingsNotReadyError(self.failure or "listings are being prepared")

    async def _prepare_quietly(self) -> None:
        try:
            await self.prepare()
        except Exception as error:
            self.failure = (
                str(error)
                if isinstance(error, store.EmbeddingSpaceMismatchError)
                else (f"preparation failed: {type(error).__name__}")
            )
            logger.error("listings are not ready: %s", self.failure)

    async def ingest(self, records: Iterable[SourceRecord], expected_rows: int) -> IngestSummary:
        async with self.database.pool.connection() as connection:
            summary = await ingest_records(
                connection,
                self.embeddings,
                records,
                batch_size=self.batch_size,
                expected_rows=expected_rows,
            )
        if summary.inserted or summary.updated:
            await self.vocabulary.load()
        return summary

    async def delete(self, key: str) -> bool:
        async with self.database.pool.connection() as connection:
            deleted = await store.delete_listing(connection, key)
        if deleted:
            self.vocabulary.invalidate()
        return deleted

    async def fetch(self, key: str) -> dict[str, Any] | None:
        async with self.database.pool.connection() as connection:
            return await store.fetch_listing(connection, key)

    async def detail(self) -> dict[str, Any]:
        """For /health/detailed."""
        report: dict[str, Any] = {
            "status": "healthy" if self._ready else "unhealthy",
            "embeddings": self.embeddings.space.describe(),
            "query_parser": self.parser.name,
        }
        if self.failure:
            report["error"] = self.failure
        if self._ready:
            async with self.database.pool.connection() as connection:
                report["listings"] = await store.count_listings(connection)
                report["vector_index"] = await store.vector_index_exists(connection)
        return report

    async def aclose(self) -> None:
        if self._preparing is not None:
            self._preparing.cancel()
            await asyncio.gather(self._preparing, return_exceptions=True)
        await self.vocabulary.close()
        await self.parser.aclose()
        await self.embeddings.aclose()
