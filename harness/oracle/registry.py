"""The registry of checks: each invariant a named function over one read-only :class:`View`.

    @invariant(codes.ERP_TAX_MISMATCH, needs=())
    def tax_per_document(view: View) -> Iterator[Violation]:
        ...

A check is registered under its function name, declares the violation codes it may report
(a check reporting another code is a bug, refused at run time) and the evidence it reads
beyond business state (``journals``: the fakes' request journals; ``dlq``: the SUT's parked
events), so that the oracle reads a journal only when a selected check needs it. Checks do
not share state: each reads the view and yields violations, so any selection, in any
order, gives the same violations for the checks it runs (schemathesis registers its
response checks the same way, specs/openapi/checks.py with ``@schemathesis.check``).

:func:`run` runs a selection (by check name, or every check but those skipped) and
computes the reconciliation on its own (:mod:`harness.oracle.reconcile`). The check modules
(:mod:`harness.oracle.checks`) register on import; ``harness.oracle`` imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from harness.oracle import codes as C
from harness.oracle.evidence import counts as evidence_counts
from harness.oracle.model import Report, Violation
from harness.oracle.reconcile import currency_totals, tax_totals
from harness.oracle.snapshot import Snapshot
from harness.oracle.view import View

CheckFn = Callable[[View], Iterable[Violation]]
JOURNALS, DLQ = "journals", "dlq"
EVIDENCE = frozenset({JOURNALS, DLQ})


@dataclass(frozen=True)
class Check:
    """One registered invariant."""

    name: str
    fn: CheckFn
    codes: frozenset[str]
    needs: frozenset[str]
    doc: str

    def __call__(self, view: View) -> list[Violation]:
        found = list(self.fn(view))
        stray = {v.code for v in found} - self.codes
        if stray:
            raise AssertionError(f"check {self.name} reported {sorted(stray)}, which it does "
                                 f"not declare ({sorted(self.codes)})")
        return found


REGISTRY: dict[str, Check] = {}


def invariant(*codes: str, needs: Iterable[str] = ()) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated function as a check named after it, reporting ``codes``."""
    unknown = [c for c in codes if c not in C.SEVERITY]
    wanted = frozenset(needs)
    if unknown or not codes or wanted - EVIDENCE:
        raise ValueError(f"invariant: unknown codes {unknown} or evidence "
                         f"{sorted(wanted - EVIDENCE)} (or no code at all)")

    def register(fn: CheckFn) -> CheckFn:
        name = fn.__name__
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise ValueError(f"a check named {name!r} is registered already")
        doc = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        REGISTRY[name] = Check(name, fn, frozenset(codes), wanted, doc)
        return fn

    return register


def select(checks: Iterable[str] | None = None, skip: Iterable[str] = ()) -> list[Check]:
    """The checks named (every registered check when None), less those in ``skip``, in
    registration order. Unknown names are refused, listing the known ones."""
    names = list(REGISTRY) if checks is None else list(dict.fromkeys(checks))
    skipped = set(skip)
    unknown = [n for n in [*names, *skipped] if n not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown oracle checks {unknown}; known: {', '.join(REGISTRY)}")
    order = list(REGISTRY)
    return sorted((REGISTRY[n] for n in names if n not in skipped),
                  key=lambda c: order.index(c.name))


def needs_of(checks: Iterable[Check]) -> frozenset[str]:
    """The evidence a selection reads besides business state."""
    return frozenset().union(*(c.needs for c in checks))


def run(snapshot: Snapshot | View, checks: Iterable[str] | None = None,
        skip: Iterable[str] = ()) -> Report:
    """Run the selected checks over one snapshot; the reconciliation is computed beside
    them, whichever run."""
    view = snapshot if isinstance(snapshot, View) else View(snapshot)
    chosen = select(checks, skip)
    report = Report(counts={**view.counts, **evidence_counts(view)},
                    checks=tuple(c.name for c in chosen))
    for chosen_check in chosen:
        report.violations.extend(chosen_check(view))
    report.totals = currency_totals(view)
    report.tax = tax_totals(view)
    return report


def by_code(code: str) -> list[Check]:
    """The checks that may report ``code``."""
    return [c for c in REGISTRY.values() if code in c.codes]


def describe() -> Iterator[tuple[str, list[str], str]]:
    """(name, codes, first paragraph of its docstring) of every check, for docs and CLI."""
    for c in REGISTRY.values():
        yield c.name, sorted(c.codes), c.doc


__all__ = ["DLQ", "JOURNALS", "REGISTRY", "Check", "by_code", "describe", "invariant",
           "needs_of", "run", "select"]
