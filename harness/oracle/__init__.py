"""The invariant oracle: reads the three fakes as an observer and checks quote-to-cash.

    oracle = Oracle(world)            # a World from harness.drivers (any tenant)
    report = await oracle.check()     # Report: violations, per-currency totals, counts
    assert report.ok, report.summary()

    Oracle(world, checks=["invoices", "payments"])   # only these checks
    Oracle(world, skip=["billing_status"])           # every check but these
    Oracle(world, dlq=read_parked)                   # the SUT's DLQ too (its manifest's)

Every check is a named function over one read-only view of the three systems
(:mod:`harness.oracle.registry`, the checks in :mod:`harness.oracle.checks`); the
reconciliation is computed on its own (:mod:`harness.oracle.reconcile`). The oracle reads
only the three fakes (and the SUT's DLQ when it is given a reader for it), never the SUT's
internals. Inside ``eventually``, call ``await oracle.check()`` until ``report.ok``; each
check is a few list calls per fake (observer reads: no faults, no limits, no journal
entries), plus the fakes' request journals when a selected check needs them.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.drivers.world import World
from harness.oracle import checks as _checks  # noqa: F401  (registers every check)
from harness.oracle import codes
from harness.oracle.model import CurrencyTotals, Refs, Report, Severity, TaxTotals, Violation
from harness.oracle.registry import (
    DLQ,
    JOURNALS,
    REGISTRY,
    Check,
    describe,
    needs_of,
    run,
    select,
)
from harness.oracle.snapshot import DlqReader, Snapshot, read
from harness.oracle.view import View


class Oracle:
    """Checks one tenant's world. Holds its own observer drivers (close with aclose).

    ``checks`` names the checks to run (None: all), ``skip`` those to leave out; ``dlq``
    reads the SUT's parked events for this tenant (checks that need them are given none
    without it)."""

    def __init__(self, world: World, *, checks: Iterable[str] | None = None,
                 skip: Iterable[str] = (), dlq: DlqReader | None = None) -> None:
        self.world = world.observer()
        self.selected = select(checks, skip)
        self.names = [c.name for c in self.selected]
        self.needs = needs_of(self.selected)
        self.dlq = dlq
        self.last: Report | None = None
        self.last_snapshot: Snapshot | None = None

    async def snapshot(self) -> Snapshot:
        return await read(self.world, journals=JOURNALS in self.needs,
                          dlq=self.dlq if DLQ in self.needs else None)

    async def check(self) -> Report:
        """Read the three fakes and run the selected checks."""
        self.last_snapshot = await self.snapshot()
        self.last = run(self.last_snapshot, self.names)
        return self.last

    async def aclose(self) -> None:
        await self.world.aclose()

    async def __aenter__(self) -> Oracle:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def check(snapshot: Snapshot, checks: Iterable[str] | None = None,
          skip: Iterable[str] = ()) -> Report:
    """The selected invariants (all by default) over one snapshot."""
    return run(snapshot, checks, skip)


__all__ = ["REGISTRY", "Check", "CurrencyTotals", "Oracle", "Refs", "Report", "Severity",
           "Snapshot", "TaxTotals", "View", "Violation", "check", "codes", "describe", "read",
           "run", "select"]
