"""The prompt/response cache in front of a provider.

The key covers the model that normally answers, the prompt id, version and variant, the task,
the rendered messages, the facts, the generation parameters and (for JSON output) the schema.
Fallback answers are not cached: once OpenAI recovers, callers should get its answer again.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from copilot_api.ai.llm.fallback import FallbackProvider
from copilot_api.ai.llm.types import JsonSchema, LLMRequest, LLMResponse, TokenUsage
from copilot_api.cache.keys import cache_key
from copilot_api.cache.tiered import TieredCache


class CachedLLM:
    def __init__(self, inner: FallbackProvider, cache: TieredCache) -> None:
        self.inner = inner
        self.cache = cache

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def model(self) -> str:
        return self.inner.model

    async def aclose(self) -> None:
        await self.inner.aclose()

    def snapshot(self) -> dict[str, Any]:
        return self.inner.snapshot()

    def key(self, request: LLMRequest, schema: JsonSchema | None = None) -> str:
        return cache_key(
            "llm",
            self.inner.model,
            request.prompt.as_dict() if request.prompt else None,
            request.task,
            [[message.role, message.content] for message in request.messages],
            request.context,
            request.options,
            request.max_tokens,
            request.temperature,
            schema,
        )

    async def generate(self, request: LLMRequest) -> LLMResponse:
        started = time.perf_counter()
        key = self.key(request)
        hit = await self._lookup(key, started)
        if hit is not None:
            return hit
        response = await self.inner.generate(request)
        await self._store(key, response)
        return response

    async def generate_json(
        self, request: LLMRequest, schema: JsonSchema, *, name: str = "result"
    ) -> LLMResponse:
        started = time.perf_counter()
        key = self.key(request, schema)
        hit = await self._lookup(key, started)
        if hit is not None:
            return hit
        response = await self.inner.generate_json(request, schema, name=name)
        await self._store(key, response)
        return response

    async def _lookup(self, key: str, started: float) -> LLMResponse | None:
        body = await self.cache.get(key)
        if not isinstance(body, dict):
            return None
        try:
            response = LLMResponse.from_dict(body)
        except (KeyError, TypeError):
            return None  # written by an incompatible version: treat as a miss
        # A hit spends no tokens: usage is zero so per-execution accounting stays true; the
        # provider and model still say what produced the text.
        return replace(
            response,
            cached=True,
            usage=TokenUsage(),
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    async def _store(self, key: str, response: LLMResponse) -> None:
        if not response.fallback:
            await self.cache.set(key, response.as_dict())
