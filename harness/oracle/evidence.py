"""Vendor refusals no retry can fix: a write a vendor refused with a permanent 4xx must be
parked in the SUT's DLQ with its reason, not retried again and again, and not dropped.

Read from the fakes' request journals (the SUT's requests only) and the SUT's parked
events. A permanent refusal is a write answered 4xx that no fault injected, other than
401 (log in again), 408 and 409 (try again), 429 (wait), and other than the vendor saying
the write was made already (NetSuite ``DUP_RCRD``, Stripe ``idempotency_error``: the SUT
finds the object it made). It is resolved when the same work (the same W3C trace) later
had the same write accepted (a credit memo posted unapplied after its application was
refused, a posting moved to the next open period). An unresolved one must be matched by a
parked event: of the same trace (the item's ``trace_id``, or its ``flow_id`` when that is
the trace-id the SUT sends), or, for a request without a trace, naming the vendor's error
code in its reason or detail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.oracle.snapshot import Row
from harness.oracle.view import View

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NOT_PERMANENT = frozenset({401, 408, 409, 429})
ALREADY_DONE = frozenset({"DUP_RCRD", "idempotency_error"})
#: More identical refused attempts than this is retrying a refusal no retry can fix (an
#: attempt, a replay after a fix that did not take, and one more for luck).
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Refusal:
    vendor: str
    entry: Row

    @property
    def trace(self) -> str | None:
        value = self.entry.get("trace_id")
        return str(value) if value else None

    @property
    def code(self) -> str | None:
        value = self.entry.get("error_code")
        return str(value) if value else None

    def fingerprint(self) -> tuple[Any, ...]:
        e = self.entry
        return (self.vendor, e["method"], e["path"], e.get("query") or "",
                e.get("body_digest"), self.trace)

    def describe(self) -> str:
        e = self.entry
        code = f" {self.code}" if self.code else ""
        return f"{self.vendor} {e['method']} {e['path']} -> {e['status']}{code}"


def permanent(entry: Row) -> bool:
    status = int(entry.get("status") or 0)
    return (entry.get("method") in WRITES and 400 <= status < 500
            and status not in NOT_PERMANENT and not entry.get("faults")
            and str(entry.get("error_code") or "") not in ALREADY_DONE)


def refusals(journals: Mapping[str, Sequence[Row]]) -> tuple[list[Refusal], list[Refusal]]:
    """(every permanent refusal, those not resolved later by the same work)."""
    found: list[Refusal] = []
    open_: list[Refusal] = []
    for vendor, journal in sorted(journals.items()):
        entries = sorted(journal, key=lambda e: int(e.get("seq") or 0))
        for index, entry in enumerate(entries):
            if not permanent(entry):
                continue
            refusal = Refusal(vendor, entry)
            found.append(refusal)
            resolved = refusal.trace is not None and any(
                later.get("trace_id") == refusal.trace and later["method"] == entry["method"]
                and later["path"] == entry["path"] and 200 <= int(later["status"]) < 300
                for later in entries[index + 1:])
            if not resolved:
                open_.append(refusal)
    return found, open_


def _item_text(item: Any) -> str:
    if isinstance(item, Mapping):
        return f"{item.get('reason') or ''} {item.get('detail') or ''}"
    return str(item)


def parked_for(refusal: Refusal, parked: Sequence[Any]) -> bool:
    for item in parked:
        if isinstance(item, Mapping) and refusal.trace is not None and refusal.trace in (
                item.get("trace_id"), item.get("flow_id")):
            return True
        if refusal.trace is None and refusal.code and refusal.code in _item_text(item):
            return True
    return False


def counts(view: View) -> dict[str, int]:
    """What the harness counts: permanent refusals in the journals, those unresolved, and
    the SUT's parked events."""
    out: dict[str, int] = {}
    if view.evidence.journals is not None:
        found, unresolved = refusals(view.evidence.journals)
        out["refusals.permanent"] = len(found)
        out["refusals.unresolved"] = len(unresolved)
    if view.evidence.parked is not None:
        out["sut.parked"] = len(view.evidence.parked)
    return out
