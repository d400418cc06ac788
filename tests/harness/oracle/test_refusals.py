"""Vendor refusals on hand-made journals and DLQs: a permanent 4xx is parked, or made good
by the same work, and never sent again and again."""

from __future__ import annotations

from typing import Any

from harness.oracle import check, codes
from harness.oracle.snapshot import Evidence, Snapshot
from tests.harness.oracle.states import Row, deal

INVOICE = "/services/rest/record/v1/invoice"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
_seq = iter(range(1, 10_000))


def entry(status: int, *, method: str = "POST", path: str = INVOICE, trace: str | None = TRACE,
          code: str | None = "INVALID_FLD_VALUE", faults: tuple[str, ...] = (),
          digest: str = "ab12") -> Row:
    return {"seq": next(_seq), "method": method, "path": path, "query": "", "status": status,
            "trace_id": trace, "error_code": code if status >= 400 else None,
            "faults": list(faults), "body_digest": digest}


def world(erp: list[Row], parked: list[Any] | None = None) -> Snapshot:
    return deal(evidence=Evidence({"crm": [], "billing": [], "erp": erp}, parked))


def _codes(snap: Snapshot) -> list[str]:
    return check(snap, ["vendor_refusals"]).codes()


def test_a_refusal_parked_for_its_flow_is_right() -> None:
    parked = [{"event_id": "evt_1", "flow_id": TRACE, "reason": "VENDOR_REJECTED:INVALID_FLD"}]
    assert _codes(world([entry(400)], parked)) == []


def test_a_refusal_nobody_parked_was_dropped() -> None:
    report = check(world([entry(400)], parked=[]), ["vendor_refusals"])
    [dropped] = report.violations
    assert dropped.code == codes.VENDOR_REFUSAL_NOT_PARKED
    assert dropped.refs.erp == (INVOICE,) and dropped.details["error_code"] == "INVALID_FLD_VALUE"
    assert report.counts["refusals.permanent"] == 1 and report.counts["sut.parked"] == 0


def test_a_refusal_made_good_by_the_same_work_needs_no_park() -> None:
    """A credit memo's application refused, then the memo posted unapplied (same trace,
    same write path, accepted)."""
    assert _codes(world([entry(400), entry(200, digest="cd34")], parked=[])) == []
    other_work = entry(200, trace="0" * 31 + "1", digest="cd34")
    assert _codes(world([entry(400), other_work], parked=[])) == [
        codes.VENDOR_REFUSAL_NOT_PARKED]


def test_what_is_not_a_permanent_refusal() -> None:
    journal = [entry(429, code="RATE_LIMITED"), entry(401, code="INVALID_LOGIN"),
               entry(409, code="idempotency_key_in_use"),
               entry(400, code="DUP_RCRD"), entry(400, code="idempotency_error"),
               entry(503, code=None), entry(400, faults=("erp:error",)),
               entry(404, method="GET")]
    report = check(world(journal, parked=[]), ["vendor_refusals"])
    assert report.ok and report.counts["refusals.permanent"] == 0


def test_a_refusal_retried_again_and_again() -> None:
    journal = [entry(400) for _ in range(5)]
    assert _codes(world(journal, parked=None)) == [codes.VENDOR_REFUSAL_RETRIED]
    assert _codes(world(journal, parked=[])) == [codes.VENDOR_REFUSAL_NOT_PARKED,
                                                 codes.VENDOR_REFUSAL_RETRIED]
    assert _codes(world(journal[:3], parked=None)) == []


def test_a_refusal_without_a_trace_is_matched_by_its_error_code() -> None:
    untraced = entry(400, trace=None)
    assert _codes(world([untraced], ["VENDOR_REJECTED:INVALID_FLD_VALUE item inactive"])) == []
    assert _codes(world([untraced], ["VENDOR_REJECTED:USER_ERROR"])) == [
        codes.VENDOR_REFUSAL_NOT_PARKED]


def test_nothing_to_judge_without_journals() -> None:
    assert _codes(deal()) == []
