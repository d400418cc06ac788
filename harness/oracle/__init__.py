"""The invariant oracle: reads the three fakes as an observer and checks quote-to-cash.

    oracle = Oracle(world)            # a World from harness.drivers (any tenant)
    report = await oracle.check()     # Report: violations, per-currency totals, counts
    assert report.ok, report.summary()

Inside ``eventually``, call ``await oracle.check()`` until ``report.ok``; each check is a
few list calls per fake (observer reads: no faults, no limits, no journal entries).
"""

from __future__ import annotations

from harness.drivers.world import World
from harness.oracle import codes
from harness.oracle.checks import check
from harness.oracle.model import CurrencyTotals, Refs, Report, Severity, Violation
from harness.oracle.snapshot import Snapshot, read


class Oracle:
    """Checks one tenant's world. Holds its own observer drivers (close with aclose)."""

    def __init__(self, world: World) -> None:
        self.world = world.observer()
        self.last: Report | None = None
        self.last_snapshot: Snapshot | None = None

    async def snapshot(self) -> Snapshot:
        return await read(self.world)

    async def check(self) -> Report:
        """Read the three fakes and check every invariant."""
        self.last_snapshot = await self.snapshot()
        self.last = check(self.last_snapshot)
        return self.last

    async def aclose(self) -> None:
        await self.world.aclose()

    async def __aenter__(self) -> Oracle:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


__all__ = ["CurrencyTotals", "Oracle", "Refs", "Report", "Severity", "Snapshot", "Violation",
           "check", "codes", "read"]
