"""Caches any embedding provider: each text is embedded once per (provider, model, dimensions).

Wraps any `EmbeddingProvider` and is one itself, so callers cannot tell the difference except in
latency (it lives in `ai`, which uses the generic `cache` package, never the reverse). A batch
looks every text up at once (one Redis MGET), embeds only the misses in one provider call, and
stores them with one pipelined write.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from copilot_api.ai.embeddings import EmbeddingProvider, EmbeddingSpace
from copilot_api.ai.hashing_embedder import FloatMatrix
from copilot_api.cache.keys import cache_key
from copilot_api.cache.tiered import TieredCache


class CachedEmbeddingProvider:
    def __init__(self, inner: EmbeddingProvider, cache: TieredCache) -> None:
        self.inner = inner
        self.cache = cache

    @property
    def space(self) -> EmbeddingSpace:
        return self.inner.space

    def key(self, text: str) -> str:
        space = self.inner.space
        return cache_key("embedding", space.provider, space.model, space.dimensions, text)

    async def embed(self, texts: Sequence[str]) -> FloatMatrix:
        dimensions = self.inner.space.dimensions
        keys = [self.key(text) for text in texts]
        found = await self.cache.get_many(keys)
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
        if missing:
            fresh = await self.inner.embed(list(missing.values()))
            computed = dict(zip(missing, fresh, strict=True))
            await self.cache.set_many(computed)
            found.update(computed)
        if not keys:
            return np.zeros((0, dimensions), dtype=np.float32)
        return np.vstack([found[key] for key in keys]).astype(np.float32, copy=False)

    async def aclose(self) -> None:
        await self.inner.aclose()
