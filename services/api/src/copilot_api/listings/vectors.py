"""Sending pgvector values with psycopg: binary COPY for bulk loads, text literals for queries."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection, AsyncCursor
from psycopg.adapt import Dumper
from psycopg.pq import Format


class PgVector:
    """One embedding on its way to a `vector` column (wraps a float32 row)."""

    __slots__ = ("values",)

    def __init__(self, values: npt.NDArray[np.float32]) -> None:
        self.values = values


class _VectorBinaryDumper(Dumper):
    """pgvector's binary format: uint16 dimensions, uint16 unused, big-endian float32s."""

    format = Format.BINARY

    def dump(self, obj: PgVector) -> bytes:
        values = obj.values
        return struct.pack(">HH", len(values), 0) + values.astype(">f4", copy=False).tobytes()


async def register_vector_dumper(cursor: AsyncCursor[Any]) -> int:
    """Teach this cursor (only) to send `PgVector` values; the pool's connections are shared
    with other capabilities, so we leave their adapters alone. Returns the type's OID."""
    row = await (await cursor.execute("SELECT 'vector'::regtype::oid")).fetchone()
    assert row is not None
    dumper = type("VectorBinaryDumper", (_VectorBinaryDumper,), {"oid": int(row[0])})
    cursor.adapters.register_dumper(PgVector, dumper)
    return int(row[0])


def vector_literal(values: npt.NDArray[np.float32]) -> str:
    """A query vector as pgvector text (`[0.1,0.2,...]`), bound with an explicit `::vector`."""
    return "[" + ",".join(f"{value:.7g}" for value in values.tolist()) + "]"


async def vector_column_type(connection: AsyncConnection[Any]) -> str:
    """`vector(384)`, or `vector` while no embedding space has been bound."""
    row = await (
        await connection.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'listings'::regclass AND attname = 'embedding'"
        )
    ).fetchone()
    assert row is not None
    return str(row[0])
