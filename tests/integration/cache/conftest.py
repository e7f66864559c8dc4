"""Redis for the cache tests: the shared server (unique key prefixes) and a private one that a
test may stop and restart."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.harness import RedisServer, redis_server

SHARED_REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def shared_redis_url() -> str:
    try:
        redis.Redis.from_url(SHARED_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.fail(f"the shared Redis at {SHARED_REDIS_URL} is not running")
    return SHARED_REDIS_URL


@pytest.fixture
def namespace() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"test-cache-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(SHARED_REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server
