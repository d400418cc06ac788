"""A business digest of one tenant's end state: what the three fakes hold, as ids, amounts,
statuses and business dates, in a canonical form and hashed per collection.

Two runs with the same seed and epoch (and a plan of faults that hits the same requests)
must give the same digest on any calendar day: nothing in the fakes' business state may
come from the wall clock. The SUT's own trace ids (random in any real service) are
masked. ``tests/harness/test_any_day.py`` checks it with the process believing it is
another day (libfaketime).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

import orjson

from harness.oracle.snapshot import Snapshot

Row = Mapping[str, Any]
# The SUT's own correlation and trace ids (W3C trace-ids, uuid4 hex) that it writes into
# memos and metadata: random by design in any real service, so not the fakes' state.
TRACE_ID = re.compile(rb"\b[0-9a-f]{32}\b")


def _canonical(rows: Iterable[Any]) -> list[bytes]:
    """Each row as sorted-key JSON (Decimals as strings), the rows in sorted order."""
    return sorted(TRACE_ID.sub(b"<trace>", orjson.dumps(row, option=orjson.OPT_SORT_KEYS,
                                                        default=str)) for row in rows)


def _hash(rows: list[bytes]) -> str:
    return hashlib.sha256(b"\n".join(rows)).hexdigest()[:16]


def business_digest(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """``{"billing.invoices": {"n": 3, "sha256": "..."}, ...}`` for every collection the
    oracle reads (the ERP's trial balance and currencies as one row each)."""
    out: dict[str, dict[str, Any]] = {}
    for system, state in (("crm", snapshot.crm), ("billing", snapshot.billing),
                          ("erp", snapshot.erp)):
        for f in fields(state):
            value = getattr(state, f.name)
            rows = list(value) if isinstance(value, list) else [value]
            canonical = _canonical(rows)
            out[f"{system}.{f.name}"] = {"n": len(rows), "sha256": _hash(canonical)}
    return out
