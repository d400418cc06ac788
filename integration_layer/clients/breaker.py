"""A circuit breaker per vendor (closed -> open -> half-open -> closed).

Closed: calls pass; ``failure_threshold`` consecutive failures open the circuit.
Open: calls fail fast with :class:`CircuitOpen` until ``reset_timeout`` has passed.
Half-open: up to ``half_open_max_calls`` trial calls pass; a success closes the circuit,
a failure opens it again for another ``reset_timeout``.

"Failure" means the vendor is unwell (5xx, timeouts, resets), as decided by the caller;
4xx answers, rate limits included, show the vendor is up and count as successes.
The clock is injectable (monotonic seconds) so tests control time.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

from integration_layer.clients.errors import CircuitOpen


class BreakerState(enum.Enum):
    """The three states of a circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failures of one vendor and fails fast while it is down."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        half_open_max_calls: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or half_open_max_calls < 1:
            raise ValueError("failure_threshold and half_open_max_calls must be >= 1")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.half_open_max_calls = half_open_max_calls
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trials = 0

    @property
    def state(self) -> BreakerState:
        """The current state; an open circuit whose timeout has passed reads half-open."""
        if self._state is BreakerState.OPEN and self._remaining_open() <= 0:
            return BreakerState.HALF_OPEN
        return self._state

    def before_call(self) -> None:
        """Admit a call or raise :class:`CircuitOpen`. Every admitted call must end in
        exactly one of :meth:`record_success`, :meth:`record_failure` or :meth:`release`.
        """
        if self._state is BreakerState.OPEN:
            remaining = self._remaining_open()
            if remaining > 0:
                raise CircuitOpen(
                    f"circuit {self.name!r} is open",
                    vendor=self.name,
                    retry_after=remaining,
                )
            self._state = BreakerState.HALF_OPEN
            self._trials = 0
        if self._state is BreakerState.HALF_OPEN:
            if self._trials >= self.half_open_max_calls:
                raise CircuitOpen(
                    f"circuit {self.name!r} is half-open and its trial call is running",
                    vendor=self.name,
                    retry_after=None,
                )
            self._trials += 1

    def record_success(self) -> None:
        """The vendor answered sanely: close the circuit."""
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._trials = 0

    def record_failure(self) -> None:
        """The vendor failed: count it, and open the circuit at the threshold (or at once
        when half-open)."""
        if self._state is BreakerState.HALF_OPEN:
            self._open()
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._open()

    def release(self) -> None:
        """An admitted call ended without a verdict (cancelled): free its trial slot."""
        if self._state is BreakerState.HALF_OPEN and self._trials > 0:
            self._trials -= 1

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._trials = 0

    def _remaining_open(self) -> float:
        return self._opened_at + self.reset_timeout - self._clock()
