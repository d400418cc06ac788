"""Settling by observation: idle twice with nothing in between, the quiet window only for a
SUT without an idle probe, and a deadline that bounds the wait but never decides."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from harness.settling import DEADLINE, IDLE, QUIET, Observation, Settled, settle


class Script:
    """Observations in order (the last one repeats), and a clock that moves ``step`` per
    look."""

    def __init__(self, seen: Iterable[Observation], step: float = 1.0) -> None:
        self.seen = list(seen)
        self.looks = 0
        self.now = 0.0
        self.step = step

    async def observe(self) -> Observation:
        self.looks += 1
        self.now += self.step
        return self.seen[min(self.looks, len(self.seen)) - 1]

    def clock(self) -> float:
        return self.now


def run(script: Script, *, timeout: float = 100.0, quiet: float = 4.0) -> Settled:
    return asyncio.run(settle(script.observe, timeout=timeout, quiet=quiet, interval=0,
                              clock=script.clock))


def obs(outbox: int, pending: int | None, activity: int = 0) -> Observation:
    return Observation(outbox=outbox, sut_pending=pending, activity=activity)


def test_idle_twice_with_the_same_activity_settles_at_once() -> None:
    script = Script([obs(2, 1), obs(0, 1, 1), obs(0, 0, 2), obs(0, 0, 2)])
    done = run(script)
    assert done.how == IDLE and done.ok and script.looks == 4


def test_work_between_two_idle_looks_is_not_missed() -> None:
    # Both looks idle, but a webhook was delivered and processed in between (activity 5->6).
    script = Script([obs(0, 0, 5), obs(0, 0, 6), obs(0, 0, 6)])
    done = run(script)
    assert done.how == IDLE and script.looks == 3


def test_a_sut_waiting_out_a_backoff_is_not_idle_however_quiet() -> None:
    script = Script([obs(0, 1, 7)])  # nothing happens, but the SUT has a retry scheduled
    done = run(script, timeout=30, quiet=4)
    assert done.how == DEADLINE and not done.ok
    assert "NOT settled" in done.describe() and "1 pending" in done.describe()


def test_without_a_probe_only_silence_can_settle_and_the_verdict_says_so() -> None:
    script = Script([obs(1, None, 1), obs(0, None, 2)] + [obs(0, None, 2)] * 10)
    done = run(script, quiet=4)
    assert done.how == QUIET and done.ok
    assert script.looks == 6  # four seconds of nothing after the last change
    assert "quiet window" in done.describe()


def test_the_deadline_reports_what_was_still_owed() -> None:
    done = run(Script([obs(3, None, 1), obs(3, None, 2), obs(3, None, 3)]), timeout=2.5)
    assert done.how == DEADLINE
    assert done.to_dict()["outbox"] == 3 and "3 webhooks" in done.describe()
