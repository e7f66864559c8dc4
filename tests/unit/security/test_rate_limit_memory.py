"""The sliding-window algorithm, in process, against a controlled clock."""

from __future__ import annotations

import pytest

from copilot_api.security.rate_limit import (
    DEFAULT_WINDOWS,
    Decision,
    MemoryRateLimiter,
    RateLimiter,
)

# On an hour boundary, so bucket edges fall on whole seconds and minutes from here.
START = 1_699_999_200.0


class Clock:
    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **kwargs: int) -> MemoryRateLimiter:
    return MemoryRateLimiter(DEFAULT_WINDOWS, clock=clock, **kwargs)


def test_exactly_n_requests_pass_then_the_next_is_refused_with_headers() -> None:
    clock = Clock()
    memory = limiter(clock)
    decisions = [memory.hit("k", (3, 100)) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert {d.limit for d in decisions} == {3}
    assert {d.window for d in decisions} == {"minute"}
    assert decisions[-1].headers() == {
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "60",
    }

    refused = memory.hit("k", (3, 100))
    assert not refused.allowed
    assert refused.retry_after_seconds == 60
    assert refused.headers() == {
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "60",
        "Retry-After": "60",
    }


def test_refused_requests_do_not_count() -> None:
    clock = Clock()
    memory = limiter(clock)
    for _ in range(2):
        memory.hit("k", (2, 100))
    for _ in range(50):
        assert not memory.hit("k", (2, 100)).allowed
    clock.now += 60
    assert memory.hit("k", (2, 100)).allowed
    assert memory.hit("k", (2, 100)).allowed


def test_the_window_slides_one_bucket_at_a_time() -> None:
    start = START
    clock = Clock(start)
    memory = limiter(clock)
    memory.hit("k", (3, 100))
    memory.hit("k", (3, 100))
    clock.now = start + 30
    memory.hit("k", (3, 100))

    clock.now = start + 59.5
    refused = memory.hit("k", (3, 100))
    assert not refused.allowed
    assert refused.retry_after_seconds == 1  # the t=0 bucket leaves at t=60

    clock.now = start + 60.0
    allowed = memory.hit("k", (3, 100))
    assert allowed.allowed
    # Both t=0 requests left together; the t=30 one and this one remain.
    assert allowed.remaining == 1
    assert allowed.reset_seconds == 30  # when the t=30 bucket leaves


def test_the_hour_window_applies_on_top_of_the_minute() -> None:
    start = START
    clock = Clock(start)
    memory = limiter(clock)
    for minute in range(5):
        clock.now = start + minute * 60
        decision = memory.hit("k", (100, 5))
        assert decision.allowed
        assert decision.window == "hour"  # closer to its limit than the minute window
        assert decision.remaining == 4 - minute
    clock.now = start + 5 * 60
    refused = memory.hit("k", (100, 5))
    assert not refused.allowed
    assert refused.window == "hour"
    assert refused.limit == 5
    assert refused.retry_after_seconds == 55 * 60  # the first minute's bucket leaves at 60 min
    clock.now = start + 3600
    assert memory.hit("k", (100, 5)).allowed


def test_a_lowered_limit_waits_for_enough_buckets_to_leave() -> None:
    start = START
    clock = Clock(start)
    memory = limiter(clock)
    for second in range(5):
        clock.now = start + second
        memory.hit("k", (10, 100))
    clock.now = start + 10
    refused = memory.hit("k", (2, 100))  # the key's override was lowered to 2
    # 5 counted: buckets t=0,1,2,3 must leave (t=3 leaves at t=63) for a third request to fit.
    assert refused.retry_after_seconds == 53


def test_keys_are_independent() -> None:
    memory = limiter(Clock())
    assert memory.hit("a", (1, 10)).allowed
    assert not memory.hit("a", (1, 10)).allowed
    assert memory.hit("b", (1, 10)).allowed


def test_memory_is_bounded_by_least_recently_used_eviction() -> None:
    memory = limiter(Clock(), max_keys=2)
    memory.hit("a", (1, 10))
    memory.hit("b", (1, 10))
    memory.hit("a", (1, 10))  # refused, but touches "a"
    memory.hit("c", (1, 10))  # evicts "b", the least recently used
    assert not memory.hit("a", (1, 10)).allowed
    assert memory.hit("b", (1, 10)).allowed


@pytest.mark.parametrize("limits", [(1,), (0, 10), (10, -1), (1, 2, 3)])
def test_one_positive_limit_per_window(limits: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="one positive limit per window"):
        limiter(Clock()).hit("k", limits)


@pytest.mark.anyio
async def test_without_redis_the_limiter_counts_in_process() -> None:
    rate_limiter = RateLimiter(None)
    decisions: list[Decision] = [await rate_limiter.hit("k", (2, 10)) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert {d.backend for d in decisions} == {"memory"}
    assert rate_limiter.status() == {"status": "healthy", "backend": "memory", "shared": False}
