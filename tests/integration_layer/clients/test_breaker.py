from __future__ import annotations

import pytest

from integration_layer.clients.breaker import BreakerState, CircuitBreaker
from integration_layer.clients.errors import CircuitOpen, TransientError


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(clock: FakeClock, threshold: int = 3) -> CircuitBreaker:
    return CircuitBreaker("stripe", failure_threshold=threshold, reset_timeout=10.0, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.before_call()
        breaker.record_failure()


def test_opens_after_threshold_consecutive_failures() -> None:
    clock = FakeClock()
    breaker = make(clock)
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpen) as info:
        breaker.before_call()
    assert isinstance(info.value, TransientError)
    assert info.value.retry_after == pytest.approx(10.0)


def test_success_resets_the_failure_count() -> None:
    breaker = make(FakeClock())
    fail(breaker, 2)
    breaker.before_call()
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED


def test_half_open_admits_one_trial_and_closes_on_success() -> None:
    clock = FakeClock()
    breaker = make(clock)
    fail(breaker, 3)
    clock.now += 9.9
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 0.2
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.before_call()  # the trial
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # a second caller while the trial runs
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    breaker.before_call()


def test_half_open_failure_reopens_for_a_full_timeout() -> None:
    clock = FakeClock()
    breaker = make(clock)
    fail(breaker, 3)
    clock.now += 10.0
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now += 9.0
    with pytest.raises(CircuitOpen):
        breaker.before_call()


def test_release_frees_a_cancelled_trial_slot() -> None:
    clock = FakeClock()
    breaker = make(clock)
    fail(breaker, 3)
    clock.now += 10.0
    breaker.before_call()
    breaker.release()
    breaker.before_call()  # admitted again
    assert breaker.state is BreakerState.HALF_OPEN
