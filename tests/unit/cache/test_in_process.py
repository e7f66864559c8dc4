"""The caches without Redis: the LRU tier, statistics, keys, and the LLM/embedding wrappers."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from copilot_api.ai.cached_embeddings import CachedEmbeddingProvider
from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.ai.llm import (
    CachedLLM,
    CircuitBreaker,
    FallbackProvider,
    LocalProvider,
    OpenAIProvider,
    RetryPolicy,
)
from copilot_api.ai.llm.openai_provider import build_openai_client
from copilot_api.ai.prompts import PromptRegistry
from copilot_api.cache import CacheRegistry, JsonCodec, TieredCache, VectorCodec, cache_key
from copilot_api.cache.lru import LRUCache
from tests.harness import REPO_ROOT
from tests.unit.ai.listings import SUBJECT

PROMPTS = PromptRegistry.load(REPO_ROOT / "definitions/prompts")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lru_evicts_the_least_recently_used_and_expires_entries() -> None:
    clock = FakeClock()
    lru = LRUCache(2, ttl_seconds=10, clock=clock)
    lru.set("a", b"1")
    lru.set("b", b"2")
    assert lru.get("a") == b"1"  # a is now the most recent
    assert lru.set("c", b"3") == 1  # evicts b
    assert (lru.get("b"), lru.get("a"), lru.get("c")) == (None, b"1", b"3")
    assert lru.evictions == 1
    clock.now = 10
    assert lru.get("a") is None
    assert lru.expirations == 1
    assert len(lru) == 1


def test_size_zero_disables_the_local_tier() -> None:
    lru = LRUCache(0, ttl_seconds=10)
    lru.set("a", b"1")
    assert lru.get("a") is None


def test_tiered_cache_without_redis_counts_hits_and_misses() -> None:
    cache = TieredCache("prompt", max_size=2, ttl_seconds=60)

    async def scenario() -> None:
        assert await cache.get("k1") is None
        await cache.set("k1", {"text": "hello", "n": [1, 2]})
        assert await cache.get("k1") == {"text": "hello", "n": [1, 2]}
        await cache.set_many({"k2": 2, "k3": 3})  # evicts k1
        assert await cache.get_many(["k1", "k2", "k3", "k2"]) == {"k2": 2, "k3": 3}

    asyncio.run(scenario())
    stats = cache.stats()
    assert stats["hits"] == 3
    assert stats["local_hits"] == 3
    assert stats["redis_hits"] == 0
    assert stats["misses"] == 2
    assert stats["hit_rate"] == 0.6
    assert (stats["evictions"], stats["size"], stats["max_size"]) == (1, 2, 2)
    assert stats["redis"] == "disabled"


def test_callers_cannot_change_a_cached_value() -> None:
    cache = TieredCache("prompt", max_size=10, ttl_seconds=60)

    async def scenario() -> Any:
        await cache.set("k", {"items": [1]})
        first = await cache.get("k")
        assert isinstance(first, dict)
        first["items"].append(2)
        return await cache.get("k")

    assert asyncio.run(scenario()) == {"items": [1]}


def test_codecs_round_trip_and_reject_foreign_data() -> None:
    vector = np.arange(4, dtype=np.float32)
    assert np.array_equal(VectorCodec(4).decode(VectorCodec(4).encode(vector)), vector)
    with pytest.raises(ValueError, match="not a float32 vector"):
        VectorCodec(4).decode(b"\x00" * 12)
    with pytest.raises(ValueError, match="not JSON"):
        JsonCodec().decode(b"\xff")


def test_keys_change_with_model_and_prompt_version() -> None:
    base = cache_key("llm", "gpt-4o-mini", {"id": "p", "version": 1, "variant": "a"}, "text")
    assert base == cache_key(
        "llm", "gpt-4o-mini", {"variant": "a", "version": 1, "id": "p"}, "text"
    )
    assert base != cache_key("llm", "gpt-4o", {"id": "p", "version": 1, "variant": "a"}, "text")
    assert base != cache_key(
        "llm", "gpt-4o-mini", {"id": "p", "version": 2, "variant": "a"}, "text"
    )
    assert base != cache_key(
        "llm", "gpt-4o-mini", {"id": "p", "version": 1, "variant": "b"}, "text"
    )


def _listing_request(version_bump: int = 0, max_chars: int = 500) -> Any:
    rendered = PROMPTS.render("listing_description", {"listing": SUBJECT, "max_chars": max_chars})
    request = rendered.request()
    if version_bump:
        assert request.prompt is not None
        request = replace(
            request, prompt=replace(request.prompt, version=request.prompt.version + version_bump)
        )
    return request


def test_cached_llm_answers_repeats_from_the_cache() -> None:
    registry = CacheRegistry()
    registry.add("prompt", max_size=100, ttl_seconds=60)
    llm = CachedLLM(FallbackProvider(None, LocalProvider()), registry.prompt)

    async def scenario() -> list[Any]:
        return [
            await llm.generate(_listing_request()),
            await llm.generate(_listing_request()),
            await llm.generate(_listing_request(version_bump=1)),
            await llm.generate(_listing_request(max_chars=200)),
        ]

    first, repeat, new_version, other_facts = asyncio.run(scenario())
    assert (first.cached, repeat.cached) == (False, True)
    assert repeat.text == first.text
    assert (repeat.provider, repeat.model) == ("local", "local-templates-v1")
    assert repeat.usage.total_tokens == 0
    assert first.usage.total_tokens > 0
    assert repeat.prompt == first.prompt
    assert not new_version.cached  # a new prompt version is never served an old answer
    assert not other_facts.cached
    assert len(other_facts.text) <= 200
    assert registry.prompt.stats()["hits"] == 1
    assert registry.prompt.stats()["misses"] == 3


def test_fallback_answers_are_not_cached() -> None:
    async def scenario() -> list[Any]:
        client = build_openai_client("sk-x", base_url="http://127.0.0.1:9/v1", timeout=1)
        breaker = CircuitBreaker(1, reset_timeout=3600)
        breaker.record_failure()  # open: OpenAI is "down", nothing touches the network
        primary = OpenAIProvider(client, model="gpt-x", breaker=breaker, retry=RetryPolicy())
        cache = TieredCache("prompt", max_size=10, ttl_seconds=60)
        llm = CachedLLM(FallbackProvider(primary, LocalProvider()), cache)
        try:
            return [await llm.generate(_listing_request()) for _ in range(2)]
        finally:
            await llm.aclose()

    first, second = asyncio.run(scenario())
    assert (first.fallback_reason, second.fallback_reason) == ("circuit_open", "circuit_open")
    assert not second.cached


def test_embedding_provider_embeds_each_text_once() -> None:
    inner = LocalEmbeddingProvider(64)
    cache = TieredCache("embedding", max_size=100, ttl_seconds=60, codec=VectorCodec(64))
    cached = CachedEmbeddingProvider(inner, cache)

    async def scenario() -> tuple[Any, Any, Any]:
        first = await cached.embed(["pool house", "quiet street"])
        second = await cached.embed(["quiet street", "pool house", "big yard", "big yard"])
        direct = await inner.embed(["quiet street", "pool house", "big yard", "big yard"])
        return first, second, direct

    first, second, direct = asyncio.run(scenario())
    assert first.shape == (2, 64)
    assert second.shape == (4, 64)
    assert second.dtype == np.float32
    assert np.allclose(second, direct)
    stats = cache.stats()
    assert (stats["hits"], stats["misses"]) == (2, 3)  # "big yard" embedded once
    assert cached.space == inner.space
    assert asyncio.run(cached.embed([])).shape == (0, 64)


def test_registry_reports_every_cache() -> None:
    registry = CacheRegistry()
    registry.add("embedding", max_size=5, ttl_seconds=60, codec=VectorCodec())
    registry.add("prompt", max_size=5, ttl_seconds=60)
    with pytest.raises(ValueError, match="already exists"):
        registry.add("prompt", max_size=1, ttl_seconds=1)
    report = registry.report()
    assert report["status"] == "healthy"
    assert report["redis"] == "disabled"
    assert set(report["caches"]) == {"embedding", "prompt"}
