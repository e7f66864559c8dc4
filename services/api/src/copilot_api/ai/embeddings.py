"""Embedding providers behind one interface: OpenAI, or the offline feature-hashing provider.

Every vector a provider returns is float32 and L2-normalised, so cosine distance is meaningful.
The provider's `space` (provider, model, dimensions) is stored with the data: vectors from two
spaces are not comparable, and the listings store refuses to mix them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
from openai import AsyncOpenAI, OpenAIError

from copilot_api.ai.hashing_embedder import MODEL_NAME as LOCAL_MODEL_NAME
from copilot_api.ai.hashing_embedder import FloatMatrix, HashingEmbedder
from copilot_config import ListingsSection, OpenAISection

# Below this many texts the local provider runs inline: a thread hop costs more than the work.
_INLINE_BATCH: Final = 32
# OpenAI accepts up to 2048 inputs per request; smaller requests retry more cheaply.
_OPENAI_REQUEST_SIZE: Final = 256


@dataclass(frozen=True, slots=True)
class EmbeddingSpace:
    """What produced a vector. Two vectors are comparable only within one space."""

    provider: str
    model: str
    dimensions: int

    def describe(self) -> str:
        return f"{self.provider}/{self.model} ({self.dimensions} dimensions)"


class EmbeddingError(RuntimeError):
    """The provider could not embed the texts (network, quota, bad response)."""


class EmbeddingProvider(Protocol):
    @property
    def space(self) -> EmbeddingSpace: ...

    async def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """One L2-normalised float32 row per text (all zeros for a text with no words)."""
        ...

    async def aclose(self) -> None: ...


class LocalEmbeddingProvider:
    """Feature hashing; deterministic, offline and fast (numpy, off the event loop)."""

    def __init__(self, dimensions: int) -> None:
        self._embedder = HashingEmbedder(dimensions)
        self._space = EmbeddingSpace("local", LOCAL_MODEL_NAME, dimensions)

    @property
    def space(self) -> EmbeddingSpace:
        return self._space

    def embed_sync(self, texts: Sequence[str]) -> FloatMatrix:
        return self._embedder.embed(texts)

    async def embed(self, texts: Sequence[str]) -> FloatMatrix:
        if len(texts) <= _INLINE_BATCH:
            return self._embedder.embed(texts)
        return await asyncio.to_thread(self._embedder.embed, texts)

    async def aclose(self) -> None:
        return None


class OpenAIEmbeddingProvider:
    """OpenAI embeddings (`text-embedding-3-*` accept a `dimensions` parameter)."""

    def __init__(self, client: AsyncOpenAI, model: str, dimensions: int) -> None:
        self._client = client
        self._space = EmbeddingSpace("openai", model, dimensions)

    @property
    def space(self) -> EmbeddingSpace:
        return self._space

    async def embed(self, texts: Sequence[str]) -> FloatMatrix:
        rows: list[FloatMatrix] = []
        for start in range(0, len(texts), _OPENAI_REQUEST_SIZE):
            rows.append(await self._request(texts[start : start + _OPENAI_REQUEST_SIZE]))
        if not rows:
            return np.zeros((0, self._space.dimensions), dtype=np.float32)
        return np.concatenate(rows)

    async def _request(self, texts: Sequence[str]) -> FloatMatrix:
        # The API rejects empty strings; a single space embeds to a valid (meaningless) vector.
        inputs = [text if text.strip() else " " for text in texts]
        try:
            response = await self._client.embeddings.create(
                model=self._space.model,
                input=inputs,
                dimensions=self._space.dimensions,
                encoding_format="float",
            )
        except (OpenAIError, ValueError) as error:  # ValueError: an unreadable response body
            raise EmbeddingError(f"OpenAI embeddings failed: {type(error).__name__}") from error
        ordered = sorted(response.data, key=lambda item: item.index)
        matrix = np.asarray([item.embedding for item in ordered], dtype=np.float32)
        if matrix.shape != (len(inputs), self._space.dimensions):
            raise EmbeddingError(
                f"OpenAI returned {matrix.shape} embeddings for {len(inputs)} texts "
                f"of {self._space.dimensions} dimensions"
            )
        return _normalise(matrix)

    async def aclose(self) -> None:
        await self._client.close()


def _normalise(matrix: FloatMatrix) -> FloatMatrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


def _uses_openai_embeddings(config: ListingsSection, openai: OpenAISection) -> bool:
    if config.embedding_provider == "auto":
        return openai.api_key is not None
    return config.embedding_provider == "openai"


def create_embedding_provider(config: ListingsSection, openai: OpenAISection) -> EmbeddingProvider:
    """The provider the settings ask for (`EMBEDDING_PROVIDER`, auto = OpenAI when keyed)."""
    if _uses_openai_embeddings(config, openai) and openai.api_key is not None:
        client = AsyncOpenAI(
            api_key=openai.api_key.get_secret_value(),
            base_url=openai.base_url,
            timeout=30.0,
            max_retries=3,
        )
        return OpenAIEmbeddingProvider(client, config.embedding_model, config.embedding_dimensions)
    return LocalEmbeddingProvider(config.embedding_dimensions)
