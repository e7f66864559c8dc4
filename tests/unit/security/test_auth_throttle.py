"""The failed-auth throttle in one process (no Redis): N failures a rolling minute, then a block
that ends when the oldest failure leaves the window; other IPs are counted separately."""

from __future__ import annotations

import asyncio

from copilot_api.security.auth_throttle import FailedAuthThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_blocks_after_the_limit_and_unblocks_when_the_window_moves() -> None:
    async def scenario() -> None:
        clock = Clock()
        throttle = FailedAuthThrottle(None, 3, clock=clock)
        assert [await throttle.record_failure("10.0.0.1") for _ in range(3)] == [None] * 3
        assert await throttle.retry_after("10.0.0.1") is None
        blocked_for = await throttle.record_failure("10.0.0.1")
        assert blocked_for is not None
        assert 1 <= blocked_for <= 60
        assert await throttle.retry_after("10.0.0.1") == blocked_for
        assert await throttle.retry_after("10.0.0.2") is None  # another client
        assert await throttle.record_failure("10.0.0.2") is None

        clock.now += blocked_for
        assert await throttle.retry_after("10.0.0.1") is None

    asyncio.run(scenario())
