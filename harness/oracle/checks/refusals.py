"""The check on vendor refusals no retry can fix (:mod:`harness.oracle.evidence` says
what counts as one, resolved, and parked)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from harness.oracle import codes as C
from harness.oracle.evidence import MAX_ATTEMPTS, Refusal, parked_for, refusals
from harness.oracle.model import Violation
from harness.oracle.registry import DLQ, JOURNALS, invariant
from harness.oracle.view import View, violation


@invariant(C.VENDOR_REFUSAL_NOT_PARKED, C.VENDOR_REFUSAL_RETRIED, needs=(JOURNALS, DLQ))
def vendor_refusals(view: View) -> Iterator[Violation]:
    """Every write a vendor refused for good is parked in the SUT's DLQ (when the SUT's
    manifest names one), or made good by the same work later; and no refused write is
    sent again and again."""
    journals = view.evidence.journals
    if journals is None:
        return
    _, unresolved = refusals(journals)
    repeats = Counter(r.fingerprint() for r in unresolved)
    reported: set[tuple[Any, ...]] = set()
    for refusal in unresolved:
        key = refusal.fingerprint()
        if repeats[key] > MAX_ATTEMPTS and key not in reported:
            reported.add(key)
            yield violation(C.VENDOR_REFUSAL_RETRIED,
                            f"the SUT sent a write the vendor refuses for good "
                            f"{repeats[key]} times: {refusal.describe()}",
                            **{refusal.vendor: [refusal.entry["path"]]},
                            attempts=repeats[key], trace=refusal.trace)
    parked = view.evidence.parked
    if parked is None:
        return
    unparked: dict[tuple[Any, ...], Refusal] = {}
    for refusal in unresolved:
        if not parked_for(refusal, parked):
            unparked.setdefault((refusal.vendor, refusal.trace, refusal.entry["path"]),
                                refusal)
    for refusal in unparked.values():
        yield violation(C.VENDOR_REFUSAL_NOT_PARKED,
                        f"{refusal.describe()} was refused for good and the SUT parked "
                        f"nothing for it (trace {refusal.trace or 'none'})",
                        **{refusal.vendor: [refusal.entry["path"]]}, trace=refusal.trace,
                        status=refusal.entry.get("status"), error_code=refusal.code)
