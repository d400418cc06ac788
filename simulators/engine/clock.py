"""Business clocks, one per tenant, like Stripe test clocks.

Business time drives what a vendor does on its own (renewals, due dates,
dunning, token expiry). It is separate from wall time, which the transport
(latency, Retry-After, rate-limit windows) keeps, because a SUT lives in wall time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

AdvanceListener = Callable[[float, float], None]


@dataclass
class BusinessClock:
    """Either running (wall time plus an offset) or frozen at an instant.

    Frozen is what deterministic suites want: business timestamps then depend
    only on the scenario, not on when it ran.
    """

    frozen_at: float | None = None
    offset: float = 0.0
    wall: Callable[[], float] = time.time
    listeners: list[AdvanceListener] = field(default_factory=list, repr=False)
    # The last whole second handed out: records created in the same second then
    # share one int object (32 bytes each, and a create stamps two records).
    _last_int: int = field(default=0, repr=False, compare=False)

    def now(self) -> float:
        if self.frozen_at is not None:
            return self.frozen_at
        return self.wall() + self.offset

    def now_int(self) -> int:
        value = int(self.now())
        if value == self._last_int:
            return self._last_int
        self._last_int = value
        return value

    def freeze(self, at: float | None = None) -> None:
        self.frozen_at = self.now() if at is None else float(at)

    def unfreeze(self) -> None:
        if self.frozen_at is not None:
            self.offset = self.frozen_at - self.wall()
            self.frozen_at = None

    def advance(self, seconds: float) -> tuple[float, float]:
        """Move business time forward (never back) and tell the listeners."""
        if seconds < 0:
            raise ValueError("a business clock only moves forward")
        before = self.now()
        if self.frozen_at is not None:
            self.frozen_at += seconds
        else:
            self.offset += seconds
        after = self.now()
        for listener in list(self.listeners):
            listener(before, after)
        return before, after

    def advance_to(self, instant: float) -> tuple[float, float]:
        return self.advance(max(0.0, instant - self.now()))

    def to_json(self) -> dict[str, Any]:
        return {"frozen_at": self.frozen_at, "offset": self.offset, "now": self.now()}

    def load_json(self, data: dict[str, Any]) -> None:
        self.frozen_at = data.get("frozen_at")
        self.offset = float(data.get("offset", 0.0))
