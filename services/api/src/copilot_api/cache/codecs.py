"""How values become bytes for both tiers. A value that cannot be decoded counts as a miss."""

from __future__ import annotations

import json
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt


class Codec(Protocol):
    def encode(self, value: Any) -> bytes: ...

    def decode(self, data: bytes) -> Any:
        """Raises ValueError for data this codec did not write."""
        ...


class JsonCodec:
    """JSON-able values (dicts, lists, strings, numbers): prompt responses, workflow results."""

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    def decode(self, data: bytes) -> Any:
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"not JSON: {error}") from None


class VectorCodec:
    """One float32 vector as its raw little-endian bytes: 4 bytes a dimension, no parsing."""

    def __init__(self, dimensions: int | None = None) -> None:
        self.dimensions = dimensions

    def encode(self, value: Any) -> bytes:
        return np.asarray(value, dtype="<f4").tobytes()

    def decode(self, data: bytes) -> npt.NDArray[np.float32]:
        if len(data) % 4 or (self.dimensions is not None and len(data) != 4 * self.dimensions):
            raise ValueError(f"{len(data)} bytes is not a float32 vector of this cache")
        return np.frombuffer(data, dtype="<f4").astype(np.float32)
