"""The Redis tier: shared across workers, TTLs, and graceful when Redis goes away."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import redis
from litestar.testing import TestClient
from redis.asyncio import Redis

from copilot_api.app import create_app
from copilot_api.cache import TieredCache, VectorCodec
from copilot_api.storage.redis import connect_redis
from copilot_config import Settings
from tests.harness import RedisServer


def _cache(client: Redis | None, namespace: str, **options: Any) -> TieredCache:
    return TieredCache(
        "prompt", max_size=100, ttl_seconds=120, redis=client, namespace=namespace, **options
    )


def test_a_value_written_by_one_worker_is_read_by_another(
    shared_redis_url: str, namespace: str
) -> None:
    async def scenario() -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
        client = connect_redis(shared_redis_url)
        try:
            worker_a, worker_b = _cache(client, namespace), _cache(client, namespace)
            await worker_a.set("answer", {"text": "hello"})
            from_redis = await worker_b.get("answer")
            from_local = await worker_b.get("answer")
            return from_redis, from_local, worker_a.stats(), worker_b.stats()
        finally:
            await client.aclose()

    from_redis, from_local, stats_a, stats_b = asyncio.run(scenario())
    assert from_redis == from_local == {"text": "hello"}
    assert (stats_b["redis_hits"], stats_b["local_hits"], stats_b["misses"]) == (1, 1, 0)
    assert stats_a["redis"] == stats_b["redis"] == "ok"
    raw = redis.Redis.from_url(shared_redis_url)
    key = f"{namespace}:prompt:answer"
    assert raw.get(key) == b'{"text":"hello"}'
    assert 0 < raw.ttl(key) <= 120  # the entry expires in Redis too
    raw.close()


def test_a_miss_everywhere_is_a_miss(shared_redis_url: str, namespace: str) -> None:
    async def scenario() -> tuple[Any, dict[str, Any]]:
        client = connect_redis(shared_redis_url)
        try:
            cache = _cache(client, namespace)
            return await cache.get_many(["nope", "nada"]), cache.stats()
        finally:
            await client.aclose()

    found, stats = asyncio.run(scenario())
    assert found == {}
    assert (stats["misses"], stats["hits"]) == (2, 0)


def test_embeddings_are_shared_as_float32_bytes(shared_redis_url: str, namespace: str) -> None:
    vector = np.linspace(-1, 1, 8, dtype=np.float32)

    async def scenario() -> Any:
        client = connect_redis(shared_redis_url)
        try:
            writer = TieredCache("embedding", max_size=10, ttl_seconds=60, codec=VectorCodec(8),
                                 redis=client, namespace=namespace)  # fmt: skip
            reader = TieredCache("embedding", max_size=10, ttl_seconds=60, codec=VectorCodec(8),
                                 redis=client, namespace=namespace)  # fmt: skip
            await writer.set("v", vector)
            return await reader.get("v")
        finally:
            await client.aclose()

    assert np.array_equal(asyncio.run(scenario()), vector)
    raw = redis.Redis.from_url(shared_redis_url)
    assert len(raw.get(f"{namespace}:embedding:v") or b"") == 32
    raw.close()


def test_redis_going_away_degrades_to_the_local_tier_and_recovers(own_redis: RedisServer) -> None:
    async def scenario() -> dict[str, Any]:
        client = connect_redis(own_redis.url)
        cache = _cache(client, "t", redis_backoff_seconds=0.3)
        try:
            await cache.set("kept", 1)
            own_redis.stop()
            started = time.perf_counter()
            kept = await cache.get("kept")  # local tier: no Redis call at all
            await cache.set("new", 2)  # Redis write fails quietly
            missing = await cache.get("absent")  # Redis read fails quietly
            again = await cache.get("absent2")  # within the back-off: Redis not even tried
            during = {
                "elapsed": time.perf_counter() - started,
                "values": (kept, await cache.get("new"), missing, again),
                "stats": cache.stats(),
            }
            own_redis.start()
            await asyncio.sleep(0.35)
            await cache.set("after", 3)
            fresh = _cache(client, "t")
            during["recovered"] = (await fresh.get("after"), cache.stats()["redis"])
            return during
        finally:
            await client.aclose()

    result = asyncio.run(scenario())
    assert result["values"] == (1, 2, None, None)
    assert result["elapsed"] < 3.0  # each failure costs at most one socket timeout
    assert result["stats"]["redis"] == "unavailable"
    assert 1 <= result["stats"]["redis_errors"] <= 2
    assert result["recovered"] == (3, "ok")


def test_caches_appear_in_health_detailed_with_and_without_redis(
    make_settings: Callable[..., Settings], database_url: str, shared_redis_url: str
) -> None:
    for redis_url, expected in ((None, "disabled"), (shared_redis_url, "ok")):
        settings = make_settings(database_url=database_url, redis_url=redis_url)
        with TestClient(create_app(settings)) as client:
            caches = client.get("/health/detailed").json()["services"]["caches"]
        assert caches["status"] == "healthy"
        assert caches["redis"] == expected
        assert set(caches["caches"]) >= {"embedding", "prompt"}
        embedding = caches["caches"]["embedding"]
        assert embedding["max_size"] == settings.cache.embedding_size
        assert embedding["ttl_seconds"] == settings.cache.embedding_ttl_seconds
        for key in ("hits", "misses", "evictions", "size", "hit_rate", "redis"):
            assert key in embedding
