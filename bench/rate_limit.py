"""The rate limiter's added latency per request, Redis-backed and in-memory.

Times `RateLimiter.hit()` (what the security middleware awaits once per `/api` request) for
requests that are allowed (the common path: count, compare, record). Redis is a private
redis-server started on a free port, or REDIS_URL when set (keys under a unique name, deleted
afterwards). Prints one JSON object; latencies in microseconds.

    uv run python -m bench.rate_limit [--requests 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from copilot_api.security.rate_limit import RateLimiter
from copilot_api.storage.redis import connect_redis
from tests.harness import redis_server

LIMITS = (10**6, 10**7)  # never reached: every measured request is allowed


@contextmanager
def private_redis() -> Iterator[str | None]:
    """REDIS_URL when set, else a redis-server of our own (None when there is none)."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    if shutil.which("redis-server") is None:
        yield None
        return
    with tempfile.TemporaryDirectory() as directory, redis_server(Path(directory)) as server:
        yield server.url


async def measure(limiter: RateLimiter, key: str, requests: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        await limiter.hit(key, LIMITS)
    samples = []
    backends = set()
    for _ in range(requests):
        started = time.perf_counter()
        decision = await limiter.hit(key, LIMITS)
        samples.append((time.perf_counter() - started) * 1e6)
        backends.add(decision.backend)
        assert decision.allowed
    samples.sort()

    def percentile(fraction: float) -> float:
        return round(samples[min(len(samples) - 1, int(fraction * len(samples)))], 1)

    return {
        "backend": "/".join(sorted(backends)),
        "mean_us": round(statistics.fmean(samples), 1),
        "p50_us": percentile(0.50),
        "p95_us": percentile(0.95),
        "p99_us": percentile(0.99),
    }


async def run(requests: int, warmup: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "benchmark": "rate_limiter_added_latency_per_request",
        "requests": requests,
        "memory": await measure(RateLimiter(None), "bench", requests, warmup),
    }
    with private_redis() as url:
        if url is None:
            result["redis"] = {"skipped": "no redis-server on PATH and no REDIS_URL"}
            return result
        client: Redis = connect_redis(url)
        key = f"bench-{uuid.uuid4().hex}"
        try:
            result["redis"] = await measure(RateLimiter(client), key, requests, warmup)
            result["redis"]["server"] = "REDIS_URL" if os.environ.get("REDIS_URL") else "private"
        finally:
            stale = [k async for k in client.scan_iter(match=f"copilot:ratelimit:{{{key}}}:*")]
            if stale:
                await client.delete(*stale)
            await client.aclose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.requests, args.warmup))))


if __name__ == "__main__":
    main()
