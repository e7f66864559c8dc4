"""The circuit breaker and the retry policy, with a fake clock and a seeded random source."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from copilot_api.ai.llm import BreakerState, CircuitBreaker, RetryPolicy
from copilot_api.ai.llm.retry import parse_retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _state(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state  # a call, so the type checker does not narrow across assertions


def test_breaker_opens_after_n_consecutive_failures_then_half_opens() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=30, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert _state(breaker) is BreakerState.CLOSED
    breaker.record_success()  # a success resets the count: failures must be consecutive
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert _state(breaker) is BreakerState.OPEN
    assert not breaker.allow()
    assert breaker.snapshot()["retry_in_s"] == 30

    clock.now += 30
    assert _state(breaker) is BreakerState.HALF_OPEN
    assert breaker.allow()  # one trial call
    assert not breaker.allow()  # and only one
    breaker.record_failure()
    assert _state(breaker) is BreakerState.OPEN
    assert breaker.opened_count == 2

    clock.now += 30
    assert breaker.allow()
    breaker.record_success()
    assert _state(breaker) is BreakerState.CLOSED
    assert breaker.allow()
    assert breaker.allow()


def test_a_trial_call_that_never_reports_back_does_not_wedge_the_breaker() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.abandon()  # the trial's task was cancelled
    assert breaker.allow()
    clock.now += 10  # or it simply hangs past the reset timeout
    assert breaker.allow()


def test_breaker_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(failure_threshold=0, reset_timeout=1)


def test_backoff_grows_exponentially_with_jitter_and_is_bounded() -> None:
    policy = RetryPolicy(max_retries=5, base_delay=0.5, max_delay=4.0, rng=random.Random(7))
    for retry, ceiling in enumerate([0.5, 1.0, 2.0, 4.0, 4.0]):
        delays = [policy.delay(retry) for _ in range(200)]
        assert all(d is not None and ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered
    assert policy.delay(5) is None  # bounded


def test_retry_after_is_a_floor_unless_it_is_too_long() -> None:
    policy = RetryPolicy(max_retries=2, base_delay=0.2, max_retry_after=10, rng=random.Random(1))
    delay = policy.delay(0, retry_after=3.0)
    assert delay is not None
    assert 3.0 <= delay <= 3.1
    assert policy.delay(0, retry_after=60) is None  # the fallback answers instead of waiting


def test_retry_after_headers_are_parsed() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    date = format_datetime(now + timedelta(seconds=5), usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=now) == 5.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
