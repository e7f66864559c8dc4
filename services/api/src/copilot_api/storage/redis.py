"""The shared Redis client, when `REDIS_URL` is set."""

from __future__ import annotations

import time

from redis.asyncio import Redis


def connect_redis(url: str) -> Redis:
    # Short timeouts: every caller has an in-process fallback, so a hung Redis must fail fast.
    return Redis.from_url(
        url,
        socket_connect_timeout=1.0,
        socket_timeout=1.0,
        health_check_interval=15,
        decode_responses=False,
    )


async def ping_redis(client: Redis) -> float:
    """Round-trip PING; returns the latency in milliseconds."""
    started = time.perf_counter()
    await client.ping()
    return (time.perf_counter() - started) * 1000
