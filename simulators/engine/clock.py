"""Business clocks, one per tenant, like Stripe test clocks.

Business time drives what a vendor does on its own (renewals, due dates,
dunning, token expiry). It is separate from wall time, which the transport
(latency, Retry-After, rate-limit windows) keeps, because a SUT lives in wall time.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The instants a clock may be set to: the unix epoch to the end of year 9999.
MIN_INSTANT = 0.0
MAX_INSTANT = 253402300799.0
AdvanceListener = Callable[[float, float], None]
ChangeWatcher = Callable[[], None]


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
    # Told after any change of business time (advance, freeze, set, unfreeze): what keeps
    # calendars ahead of the clock (the ERP's accounting periods) listens here.
    watchers: list[ChangeWatcher] = field(default_factory=list, repr=False)
    # The last whole second handed out: records created in the same second then
    # share one int object (32 bytes each, and a create stamps two records).
    _last_int: int = field(default=0, repr=False, compare=False)

    @classmethod
    def starting_at(cls, epoch: float | None, *, frozen: bool = False,
                    wall: Callable[[], float] = time.time) -> BusinessClock:
        """A clock that reads ``epoch`` now (wall time when None), frozen or running on."""
        if epoch is None:
            return cls(frozen_at=wall() if frozen else None, wall=wall)
        if frozen:
            return cls(frozen_at=float(epoch), wall=wall)
        return cls(offset=float(epoch) - wall(), wall=wall)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

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
        self._changed()

    def unfreeze(self) -> None:
        if self.frozen_at is not None:
            self.offset = self.frozen_at - self.wall()
            self.frozen_at = None
            self._changed()

    def set(self, at: float, *, frozen: bool = True) -> None:
        """Put the clock at ``at`` (either way: what a harness does to a new tenant before
        its first business event), frozen there or running on from it. Advance listeners
        are not told: nothing the vendor does on its own happened in between."""
        if frozen:
            self.frozen_at = float(at)
        else:
            self.frozen_at = None
            self.offset = float(at) - self.wall()
        self._changed()

    def _changed(self) -> None:
        for watcher in list(self.watchers):
            watcher()

    def advance(self, seconds: float) -> tuple[float, float]:
        """Move business time forward (never back) and tell the listeners."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("a business clock only moves forward, by a finite time")
        if self.now() + seconds > MAX_INSTANT:
            raise ValueError("a business clock cannot pass the end of year 9999")
        before = self.now()
        if self.frozen_at is not None:
            self.frozen_at += seconds
        else:
            self.offset += seconds
        after = self.now()
        for listener in list(self.listeners):
            listener(before, after)
        self._changed()
        return before, after

    def advance_to(self, instant: float) -> tuple[float, float]:
        return self.advance(max(0.0, instant - self.now()))

    def to_json(self) -> dict[str, Any]:
        return {"frozen_at": self.frozen_at, "offset": self.offset, "now": self.now()}

    def load_json(self, data: dict[str, Any]) -> None:
        self.frozen_at = data.get("frozen_at")
        self.offset = float(data.get("offset", 0.0))


def parse_instant(value: Any, *, wall: Callable[[], float] = time.time) -> float:
    """An instant as unix seconds, from unix seconds (number or digits), an ISO 8601
    date-time (``2026-12-31T23:59:30Z``; without a zone it is UTC), a date (midnight UTC)
    or ``now``. Raises ValueError naming what it could not read."""
    if isinstance(value, bool):
        raise ValueError(f"not an instant: {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if text.lower() == "now":
            return float(int(wall()))
        try:
            number = float(text)
        except ValueError:
            try:
                moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(
                    "z", "+00:00"))
            except ValueError as exc:
                raise ValueError(f"not an instant (ISO 8601, unix seconds or 'now'): "
                                 f"{text!r}") from exc
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            number = moment.timestamp()
    if not math.isfinite(number) or not MIN_INSTANT <= number <= MAX_INSTANT:
        raise ValueError(f"instant out of range (years 1970-9999): {value!r}")
    return number


def iso_instant(seconds: float) -> str:
    """``2026-12-31T23:59:30Z``: how reports and rerun commands name an epoch."""
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    text = moment.isoformat(timespec="seconds" if moment.microsecond == 0 else "microseconds")
    return text.replace("+00:00", "Z")
