"""SQL for the listings table: the embedding space, the vector index, batched upserts, lookups.

Functions take an `AsyncConnection` in autocommit mode (the pool's, or the CLI's own) and open
their own transactions where atomicity matters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from copilot_api.ai.embeddings import EmbeddingSpace
from copilot_api.listings.validation import ValidListing
from copilot_api.listings.vectors import PgVector, register_vector_dumper, vector_column_type

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VectorGraph:
    """One HNSW index over a part of the listings, chosen by status (a partial index)."""

    index: str
    predicate: str  # over the listings row; a query must state it verbatim to use the graph


def graph_clause(graph: VectorGraph | None) -> str:
    """What a query adds to its WHERE to walk `graph` (nothing without one)."""
    return "" if graph is None else f" AND {graph.predicate}"


# Two graphs split the table by status: listings Active or without a status (what agents search:
# the default filter; the unstated ones are its "unknown" tier), and all others. A search walks
# the graph its status filter selects (ranking.py), so no graph visit is spent on a listing the
# status filter rejects: an Active search took 24 ms at 100k listings through one graph of all
# listings (a fifth of them skipped), 10 ms through its own. Together they cost what one did.
ACTIVE_GRAPH: Final = VectorGraph(
    "listings_embedding_hnsw_active",
    "(standard_status IS NULL OR lower(standard_status) = 'active')",
)
OTHER_GRAPH: Final = VectorGraph(
    "listings_embedding_hnsw_other",
    "NOT (standard_status IS NULL OR lower(standard_status) = 'active')",
)
VECTOR_GRAPHS: Final = (ACTIVE_GRAPH, OTHER_GRAPH)
# pgvector's defaults. The build is most of a bulk load's index time (30 s of 50 s for 100k
# listings), but smaller graphs lose recall, which the local embeddings can least afford.
# Measured at 100k (build s / tie-aware recall@10, ef_search 400, 400 candidates; the parallel
# build varies by about 0.02 from one build to the next): ef_construction 64 -> 30 s /
# 0.955-0.958 in three builds; 48 -> 24 s / 0.928-0.957; 32 -> 19 s / 0.94; m 12 -> 21 s / 0.937.
HNSW_M: Final = 16
HNSW_EF_CONSTRUCTION: Final = 64
# The graph holds half-precision copies of the vectors (an expression index): half the memory
# and disk, a faster build, and the search re-ranks its candidates by the exact distance.
# Queries must order by the very same expression (see ranking.py).
VECTOR_INDEX_EXPRESSION: Final = "(embedding::halfvec({dimensions})) halfvec_cosine_ops"
# The covering index keyed by city (migration 0070) and the half-precision copy of the vector it
# holds, for vectors of up to COVERED_DIMENSIONS (a btree entry holds about 2.7 KB).
CITY_COVER_INDEX: Final = "listings_city_vector_cover"
COVERED_DIMENSIONS: Final = 1024
HALF_VECTOR_COLUMN: Final = (
    "embedding_half halfvec GENERATED ALWAYS AS (CASE WHEN vector_dims(embedding) <= "
    f"{COVERED_DIMENSIONS} THEN embedding::halfvec END) STORED"
)
# Advisory lock serialising schema-level work on listings (binding, index builds, sample load).
LISTINGS_LOCK: Final = 7_361_204_916

REEMBED_HINT: Final = "run `copilot listings reembed` to re-embed every listing"


class EmbeddingSpaceMismatchError(RuntimeError):
    """The stored vectors come from another provider, model or dimension than configured."""

    def __init__(self, stored: EmbeddingSpace, configured: EmbeddingSpace) -> None:
        super().__init__(
            f"listings were embedded with {stored.describe()} but the service is configured "
            f"for {configured.describe()}; comparing them would return garbage, so {REEMBED_HINT}"
            " (or restore EMBEDDING_PROVIDER / EMBEDDING_MODEL / EMBEDDING_DIMENSIONS)"
        )
        self.stored = stored
        self.configured = configured


@dataclass(frozen=True, slots=True)
class PreparedRow:
    listing: ValidListing
    embedding: npt.NDArray[np.float32] | None  # None: keep the stored one (text unchanged)


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    inserted: int
    updated: int
    unchanged: int


async def advisory_lock(connection: AsyncConnection[Any]) -> None:
    """Transaction-scoped: call inside `connection.transaction()`."""
    await connection.execute("SELECT pg_advisory_xact_lock(%s)", (LISTINGS_LOCK,))


async def stored_space(connection: AsyncConnection[Any]) -> EmbeddingSpace | None:
    row = await (
        await connection.execute(
            "SELECT embedding_provider, embedding_model, embedding_dimensions FROM listings_meta"
        )
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return EmbeddingSpace(str(row[0]), str(row[1]), int(row[2]))


async def embedded_count(connection: AsyncConnection[Any]) -> int:
    row = await (
        await connection.execute(
            "SELECT count(*) FROM (SELECT 1 FROM listings WHERE embedding IS NOT NULL LIMIT 1) s"
        )
    ).fetchone()
    return int(row[0]) if row else 0


async def missing_embeddings(connection: AsyncConnection[Any]) -> int:
    row = await (
        await connection.execute("SELECT count(*) FROM listings WHERE embedding IS NULL")
    ).fetchone()
    return int(row[0]) if row else 0


async def bind_embedding_space(
    connection: AsyncConnection[Any], space: EmbeddingSpace, *, build_index: bool = True
) -> None:
    """Make `space` the table's embedding space, or raise `EmbeddingSpaceMismatchError`.

    Rebinding is free while no listing has a vector (a fresh database, or one that only holds
    rows without embeddings); otherwise only `copilot listings reembed` may change the space.
    """
    async with connection.transaction():
        await advisory_lock(connection)
        stored = await stored_space(connection)
        if stored != space:
            if stored is not None and await embedded_count(connection) > 0:
                raise EmbeddingSpaceMismatchError(stored, space)
            await _switch_space(connection, space)
    if build_index:
        await ensure_vector_index(connection, space.dimensions)


async def rebind_for_reembed(connection: AsyncConnection[Any], space: EmbeddingSpace) -> None:
    """Start a re-embedding: drop the index, clear every vector and record the new space in one
    transaction, so old and new vectors are never mixed (a crash leaves rows without vectors,
    which `reembed` fills when run again)."""
    async with connection.transaction():
        await advisory_lock(connection)
        await drop_vector_index(connection)
        await _switch_space(connection, space, clear=True)


async def _switch_space(
    connection: AsyncConnection[Any], space: EmbeddingSpace, *, clear: bool = False
) -> None:
    wanted = f"vector({space.dimensions})"
    if clear or await vector_column_type(connection) != wanted:
        await drop_vector_index(connection)
        # The half-precision copy is generated from the vector, so PostgreSQL refuses to retype
        # the vector under it: it is dropped and added again in the same statement, which drops
        # the covering index that holds it (recreated from its definition). Retyping resets the
        # storage modes: the vector stays in line, the copy (read by the index only) does not.
        cover = await _index_definition(connection, CITY_COVER_INDEX)
        await connection.execute(
            sql.SQL(
                "ALTER TABLE listings DROP COLUMN IF EXISTS embedding_half,"
                " ALTER COLUMN embedding TYPE {} USING NULL, ADD COLUMN {},"
                " ALTER COLUMN embedding SET STORAGE MAIN,"
                " ALTER COLUMN embedding_half SET STORAGE EXTERNAL,"
                " SET (toast_tuple_target = {})"
            ).format(
                sql.SQL(wanted),
                sql.SQL(HALF_VECTOR_COLUMN),
                sql.Literal(toast_tuple_target(space.dimensions)),
            )
        )
        if cover is not None:
            await connection.execute(cover.encode())
    await connection.execute(
        "UPDATE listings_meta SET embedding_provider = %s, embedding_model = %s,"
        " embedding_dimensions = %s, updated_at = now()",
        (space.provider, space.model, space.dimensions),
    )
    logger.info("listings embedding space set to %s", space.describe())


def toast_tuple_target(dimensions: int) -> int:
    """Row size above which PostgreSQL starts toasting: room for the vector (4 bytes a
    dimension), the tsvector and the typed columns, so ranking never reads TOAST. Above 8160
    (about 1,500 dimensions) the vector itself goes out of line: slower exact scans."""
    return max(2_032, min(8_160, 4 * dimensions + 2_000))


async def vector_index_exists(connection: AsyncConnection[Any]) -> bool:
    """Whether every HNSW graph exists."""
    return all([await _index_exists(connection, graph.index) for graph in VECTOR_GRAPHS])


async def ensure_vector_index(connection: AsyncConnection[Any], dimensions: int) -> bool:
    """Create the HNSW graphs that are missing (after a bulk load or a crash during one).
    Returns True when one had to be built."""
    if await vector_index_exists(connection):
        return False
    if await vector_column_type(connection) != f"vector({dimensions})":
        return False  # not bound yet; binding builds them
    built = False
    for graph in VECTOR_GRAPHS:
        async with connection.transaction():
            await advisory_lock(connection)
            if await _index_exists(connection, graph.index):
                continue
            logger.info("building the listings HNSW index %s", graph.index)
            await connection.execute(
                sql.SQL(
                    "CREATE INDEX {} ON listings USING hnsw ({})"
                    " WITH (m = {}, ef_construction = {}) WHERE {}"
                ).format(
                    sql.Identifier(graph.index),
                    sql.SQL(VECTOR_INDEX_EXPRESSION.format(dimensions=int(dimensions))),
                    sql.Literal(HNSW_M),
                    sql.Literal(HNSW_EF_CONSTRUCTION),
                    sql.SQL(graph.predicate),
                )
            )
            built = True
    return built


async def drop_vector_index(connection: AsyncConnection[Any]) -> None:
    for graph in VECTOR_GRAPHS:
        await connection.execute(
            sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(graph.index))
        )


async def defer_secondary_indexes(connection: AsyncConnection[Any]) -> list[str]:
    """Drop every index but the primary key, remembering the definitions (bulk loads)."""
    async with connection.transaction():
        await advisory_lock(connection)
        cursor = await connection.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i"
            " JOIN pg_class c ON c.relname = i.indexname"
            " JOIN pg_index x ON x.indexrelid = c.oid"
            " WHERE i.schemaname = current_schema() AND i.tablename = 'listings'"
            " AND NOT x.indisprimary"
        )
        indexes = await cursor.fetchall()
        for name, definition in indexes:
            await connection.execute(
                "INSERT INTO listings_deferred_indexes (name, definition) VALUES (%s, %s)"
                " ON CONFLICT (name) DO NOTHING",
                (name, definition),
            )
            await connection.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return [str(name) for name, _ in indexes]


async def restore_deferred_indexes(connection: AsyncConnection[Any]) -> list[str]:
    """Rebuild the indexes a bulk load dropped (also after a crash during one)."""
    cursor = await connection.execute(
        "SELECT name, definition FROM listings_deferred_indexes ORDER BY name"
    )
    pending = await cursor.fetchall()
    for name, definition in pending:
        async with connection.transaction():
            await advisory_lock(connection)
            if not await _index_exists(connection, name):
                logger.info("rebuilding index %s", name)
                await connection.execute(str(definition).encode())
            await connection.execute(
                "DELETE FROM listings_deferred_indexes WHERE name = %s", (name,)
            )
    return [str(name) for name, _ in pending]


async def _index_exists(connection: AsyncConnection[Any], name: str) -> bool:
    row = await (await connection.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))).fetchone()
    return bool(row and row[0])


async def _index_definition(connection: AsyncConnection[Any], name: str) -> str | None:
    """CREATE INDEX of an existing index (None: it does not exist, e.g. during a bulk load)."""
    cursor = await connection.execute("SELECT pg_get_indexdef(to_regclass(%s))", (name,))
    row = await cursor.fetchone()
    return None if row is None or row[0] is None else str(row[0])


async def existing_hashes(
    connection: AsyncConnection[Any], keys: Sequence[str]
) -> dict[str, tuple[bytes, bytes]]:
    """content_hash and text_hash of the stored listings among `keys`."""
    cursor = await connection.execute(
        "SELECT listing_key, content_hash, text_hash FROM listings WHERE listing_key = ANY(%s)",
        (list(keys),),
    )
    return {key: (bytes(content), bytes(text)) for key, content, text in await cursor.fetchall()}


_CREATE_STAGING: Final = """
CREATE TEMPORARY TABLE listings_ingest_batch (
    listing_key text NOT NULL,
    data text NOT NULL,
    content_hash bytea NOT NULL,
    text_hash bytea NOT NULL,
    embedding vector
) ON COMMIT DROP
"""

# Unchanged documents are skipped by the WHERE clause, so they neither count nor get rewritten.
# A staged row without a vector keeps the stored one only when its text is unchanged.
_UPSERT: Final = """
INSERT INTO listings AS l (listing_key, data, content_hash, text_hash, embedding)
SELECT listing_key, data::jsonb, content_hash, text_hash, embedding FROM listings_ingest_batch
ON CONFLICT (listing_key) DO UPDATE SET
    data = EXCLUDED.data,
    content_hash = EXCLUDED.content_hash,
    text_hash = EXCLUDED.text_hash,
    embedding = CASE
        WHEN EXCLUDED.embedding IS NOT NULL THEN EXCLUDED.embedding
        WHEN l.text_hash = EXCLUDED.text_hash THEN l.embedding
    END,
    updated_at = now()
WHERE l.content_hash IS DISTINCT FROM EXCLUDED.content_hash
RETURNING l.listing_key, (xmax = 0) AS inserted, l.embedding IS NULL AS needs_vector
"""


async def write_batch(
    connection: AsyncConnection[Any],
    rows: Sequence[PreparedRow],
    encoded_documents: Sequence[str],
) -> tuple[WriteOutcome, list[str]]:
    """Upsert one batch in the *current* transaction; returns the outcome and the keys that
    still need a vector (a staged row reused a vector that a concurrent write changed)."""
    async with connection.cursor() as cursor:
        vector_oid = await register_vector_dumper(cursor)
        await cursor.execute(_CREATE_STAGING)
        async with cursor.copy(
            "COPY listings_ingest_batch (listing_key, data, content_hash, text_hash, embedding)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "text", "bytea", "bytea", vector_oid])
            for row, document in zip(rows, encoded_documents, strict=True):
                vector = None if row.embedding is None else PgVector(row.embedding)
                listing = row.listing
                await copy.write_row(
                    (listing.key, document, listing.content_hash, listing.text_hash, vector)
                )
        await cursor.execute(_UPSERT)
        written = await cursor.fetchall()
        if written:
            await cursor.execute("UPDATE listings_meta SET catalog_version = catalog_version + 1")
    inserted = sum(1 for _, was_inserted, _ in written if was_inserted)
    needs_vector = [key for key, _, missing in written if missing]
    outcome = WriteOutcome(inserted, len(written) - inserted, len(rows) - len(written))
    return outcome, needs_vector


async def store_embeddings(
    connection: AsyncConnection[Any], keys: Sequence[str], vectors: npt.NDArray[np.float32]
) -> None:
    async with connection.cursor() as cursor:
        await register_vector_dumper(cursor)
        await cursor.executemany(
            "UPDATE listings SET embedding = %s WHERE listing_key = %s",
            [(PgVector(vector), key) for key, vector in zip(keys, vectors, strict=True)],
        )


async def listings_without_embedding(
    connection: AsyncConnection[Any], after: str, limit: int
) -> list[tuple[str, dict[str, Any]]]:
    cursor = await connection.execute(
        "SELECT listing_key, data FROM listings WHERE embedding IS NULL AND listing_key > %s"
        " ORDER BY listing_key LIMIT %s",
        (after, limit),
    )
    return [(str(key), data) for key, data in await cursor.fetchall()]


async def fetch_listing(connection: AsyncConnection[Any], key: str) -> dict[str, Any] | None:
    cursor = connection.cursor(row_factory=dict_row)
    await cursor.execute("SELECT data FROM listings WHERE listing_key = %s", (key,))
    row = await cursor.fetchone()
    return None if row is None else dict(row["data"])


async def delete_listing(connection: AsyncConnection[Any], key: str) -> bool:
    async with connection.transaction():
        cursor = await connection.execute(
            "DELETE FROM listings WHERE listing_key = %s RETURNING 1", (key,)
        )
        deleted = await cursor.fetchone() is not None
        if deleted:
            await connection.execute(
                "UPDATE listings_meta SET catalog_version = catalog_version + 1"
            )
    return deleted


async def catalog_version(connection: AsyncConnection[Any]) -> int:
    row = await (await connection.execute("SELECT catalog_version FROM listings_meta")).fetchone()
    return int(row[0]) if row else 0


async def is_empty(connection: AsyncConnection[Any]) -> bool:
    row = await (await connection.execute("SELECT NOT EXISTS (SELECT 1 FROM listings)")).fetchone()
    return bool(row and row[0])


async def count_listings(connection: AsyncConnection[Any]) -> int:
    row = await (await connection.execute("SELECT count(*) FROM listings")).fetchone()
    return int(row[0]) if row else 0
