"""harness.scenario: requests sent again before Retry-After allowed (from the journals),
and awaited effects that never came explained by the oracle and the SUT's parked events."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from harness.oracle.model import Report, Severity, Violation
from harness.scenario import Q2C, early_retries
from harness.verify import NOT_HAPPENED, failure_codes
from harness.waiting import NotYet

PATCH = "/services/data/v59.0/sobjects/Account/001A"


def entry(seq: int, wall: float, method: str = "PATCH", path: str = PATCH, *,
          status: int = 200, retry_after: str | None = None, key: str | None = None,
          body: str | None = "b1", duration_ms: float = 1.0,
          trace: str | None = None) -> dict[str, Any]:
    """A journal entry as the fakes write it (``wall``: when the response went out)."""
    return {"seq": seq, "wall": wall, "method": method, "path": path, "query": "",
            "status": status, "duration_ms": duration_ms, "idempotency_key": key,
            "faults": [], "retry_after": retry_after, "body_digest": body, "trace_id": trace}


def limited(seq: int, wall: float, **kwargs: Any) -> dict[str, Any]:
    return entry(seq, wall, status=429, retry_after="0.5", **kwargs)


def test_the_same_keyless_write_sent_early_is_certain() -> None:
    found = early_retries("crm", [limited(1, 10.0), entry(2, 10.2)])
    assert [(f.vendor, round(f.early_by, 3), f.certain) for f in found] == [("crm", 0.301, True)]
    assert "same body" in found[0].describe()


def test_a_keyed_write_sent_early_is_certain() -> None:
    found = early_retries("billing", [limited(1, 10.0, key="k1", path="/v1/customers"),
                                      entry(2, 10.1, key="k1", path="/v1/customers")])
    assert [f.certain for f in found] == [True]


def test_waiting_out_retry_after_is_not_early() -> None:
    assert early_retries("erp", [limited(1, 10.0), entry(2, 10.6)]) == []


def test_other_work_on_the_same_path_is_not_a_retry() -> None:
    # Another body (another write) came early; the refused one came back in time.
    journal = [limited(1, 10.0), entry(2, 10.1, body="b2"), entry(3, 10.55)]
    assert early_retries("crm", journal) == []


def test_an_early_bodiless_read_is_counted_but_not_certain() -> None:
    read = "/services/data/v59.0/query"
    found = early_retries("crm", [limited(1, 10.0, method="GET", path=read, body=None),
                                  entry(2, 10.1, method="GET", path=read, body=None)])
    assert [f.certain for f in found] == [False]


def test_the_same_write_by_another_trace_is_counted_not_certain() -> None:
    # Another flow made the same write at once; this flow's own retry waited.
    journal = [limited(1, 10.0, trace="t1"), entry(2, 10.1, trace="t2"),
               entry(3, 10.55, trace="t1")]
    found = early_retries("crm", journal)
    assert [(f.retry["seq"], f.other_work, f.certain) for f in found] == [(2, True, False)]
    assert "other work" in found[0].describe()
    # The same trace sending it early is the retry, and certain.
    journal[1]["trace_id"] = "t1"
    assert [(f.retry["seq"], f.certain) for f in early_retries("crm", journal)] == [(2, True)]


def test_a_retry_is_early_by_when_it_arrived_not_when_it_was_answered() -> None:
    # Answered at 10.6 after 300 ms: it arrived at 10.3, 0.2 s before 10.0 + 0.5.
    found = early_retries("erp", [limited(1, 10.0), entry(2, 10.6, duration_ms=300.0)])
    assert [round(f.early_by, 3) for f in found] == [0.2]


class _Oracle:
    def __init__(self, report: Report) -> None:
        self.report = report

    async def check(self) -> Report:
        return self.report


class _Stack:
    manifest = SimpleNamespace(admin=SimpleNamespace(dlq="/admin/dlq"))

    def dlq(self, tenant: Any) -> Any:
        return SimpleNamespace(status_code=200, json=lambda: {"data": [
            {"type": "Account.CREATE", "event_id": "e1", "reason": "VENDOR_UNAVAILABLE",
             "detail": "circuit 'salesforce' is open"}]})


def _q2c(report: Report, record: Any) -> Q2C:
    q = Q2C.__new__(Q2C)
    q.oracle, q.stack, q.tenant = _Oracle(report), _Stack(), None  # type: ignore[assignment]
    q.record, q.timeout, q.last = record, 0.05, None
    return q


def test_an_awaited_effect_that_never_came_names_what_went_wrong() -> None:
    missing = Violation("ERP_INVOICE_MISSING", Severity.REVENUE,
                        "billing invoice in_1 (10.00 USD) has no ERP invoice")
    recorded: list[Any] = []
    record = SimpleNamespace(violations=recorded.extend, note=lambda key, value: None)

    async def never() -> None:
        return None

    with pytest.raises(NotYet) as failed:
        asyncio.run(_q2c(Report([missing]), record).until(never, what="the invoice posted",
                                                          timeout=0.05))
    text = str(failed.value)
    assert "the invoice posted did not hold" in text
    assert "ERP_INVOICE_MISSING: billing invoice in_1" in text
    assert "the SUT parked 1 events:\n  Account.CREATE e1: VENDOR_UNAVAILABLE" in text
    assert recorded == [missing]
    assert failure_codes({"violations": [v.to_dict() for v in recorded],
                          "longrepr": f"E   harness.waiting.NotYet: {text}"}) == \
        ["ERP_INVOICE_MISSING", NOT_HAPPENED]
