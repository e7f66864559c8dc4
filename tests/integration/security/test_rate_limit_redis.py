"""The shared limiter against a real redis-server of the test's own: atomic, exact, expiring,
and falling back to the process when Redis stops or hangs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from copilot_api.security.rate_limit import RateLimiter, RedisRateLimiter, Window
from copilot_api.storage.redis import connect_redis
from tests.harness import RedisServer

pytestmark = pytest.mark.anyio


@pytest.fixture
async def clients(redis_server: RedisServer) -> AsyncIterator[tuple[Redis, Redis]]:
    """Two connections, as two workers (or two tasks) would have."""
    first, second = connect_redis(redis_server.url), connect_redis(redis_server.url)
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_concurrent_workers_share_one_exact_count(clients: tuple[Redis, Redis]) -> None:
    workers = [RedisRateLimiter(client) for client in clients]
    decisions = await asyncio.gather(
        *(workers[i % 2].hit("cpk_shared0001", (20, 1000)) for i in range(60))
    )
    assert sum(d.allowed for d in decisions) == 20
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(20))
    refused = [d for d in decisions if not d.allowed]
    assert all(d.backend == "redis" and d.window == "minute" for d in refused)
    assert all(1 <= (d.retry_after_seconds or 0) <= 60 for d in refused)
    # The next request anywhere is refused too: refusals were not counted, nothing leaked.
    assert not (await workers[0].hit("cpk_shared0001", (20, 1000))).allowed
    assert (await workers[1].hit("cpk_other00001", (20, 1000))).allowed


async def test_counts_slide_out_of_the_window_and_keys_expire(clients: tuple[Redis, Redis]) -> None:
    short = (Window("second", 1, 10), Window("minute", 60, 60))
    limiter = RedisRateLimiter(clients[0], short)
    assert [(await limiter.hit("k", (2, 100))).allowed for _ in range(3)] == [True, True, False]
    await asyncio.sleep(1.1)
    assert (await limiter.hit("k", (2, 100))).allowed
    keys = sorted(
        key.decode() if isinstance(key, bytes) else key
        for key in await clients[0].keys("copilot:ratelimit:*")
    )
    assert keys == ["copilot:ratelimit:{k}:minute", "copilot:ratelimit:{k}:second"]
    for key in keys:
        assert 0 < await clients[0].pttl(key) <= 61_000  # never kept longer than its window


async def test_the_hour_window_is_enforced_in_redis(clients: tuple[Redis, Redis]) -> None:
    limiter = RedisRateLimiter(clients[0])
    decisions = [await limiter.hit("hourly", (100, 3)) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].window == "hour"
    assert 3540 <= (decisions[-1].retry_after_seconds or 0) <= 3600


async def test_redis_stopped_mid_flight_falls_back_and_recovers(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = connect_redis(redis_server.url)
    limiter = RateLimiter(client, retry_interval=0.2)
    try:
        assert (await limiter.hit("k", (5, 100))).backend == "redis"
        redis_server.stop()
        with caplog.at_level(logging.WARNING, logger="copilot_api.security.rate_limit"):
            during = [await limiter.hit("k", (5, 100)) for _ in range(7)]
        assert [d.backend for d in during] == ["memory"] * 7
        assert [d.allowed for d in during] == [True] * 5 + [False] * 2
        assert limiter.status()["status"] == "degraded"
        warnings = [r for r in caplog.records if "Redis failed" in r.getMessage()]
        assert len(warnings) == 1  # once per outage, not per request

        redis_server.start()
        await asyncio.sleep(0.25)
        after = await limiter.hit("k", (5, 100))
        assert after.backend == "redis"
        assert after.allowed
        assert limiter.status() == {"status": "healthy", "backend": "redis", "shared": True}
    finally:
        await client.aclose()


async def test_a_hung_redis_costs_one_timeout_then_the_local_limiter_answers(
    redis_server: RedisServer,
) -> None:
    client = connect_redis(redis_server.url)  # 1 s socket timeout, as in the service
    limiter = RateLimiter(client, retry_interval=30)
    try:
        assert (await limiter.hit("k", (5, 100))).backend == "redis"
        redis_server.pause()
        started = time.monotonic()
        first = await limiter.hit("k", (5, 100))
        first_took = time.monotonic() - started
        started = time.monotonic()
        rest = [await limiter.hit("k", (5, 100)) for _ in range(3)]
        rest_took = time.monotonic() - started
    finally:
        redis_server.resume()
        await client.aclose()
    assert first.backend == "memory"
    assert first.allowed
    assert first_took < 3
    assert {d.backend for d in rest} == {"memory"}
    assert rest_took < 0.1  # no further waiting on the hung server
