"""The registry: checks selectable by name, skippable, alone or together with the same
verdicts, over a view no check can change; the reconciliation beside whichever ran."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal

import pytest

from harness.oracle import REGISTRY, View, codes, describe, run, select
from harness.oracle.model import Violation
from harness.oracle.registry import Check, invariant, needs_of
from harness.oracle.snapshot import Snapshot
from harness.oracle.view import violation
from tests.harness.oracle.states import deal, invoice, txn


def broken() -> Snapshot:
    """A deal with three things wrong: a cent off, a payment missing, a write-back empty."""
    snap = deal(invoices=[invoice("in_1"), invoice("in_2", total=5000)],
                transactions=[txn("10", "CustInvc", "in_1", "99.99"),
                              txn("11", "CustPymt", "pay:in_1", "100.00"),
                              txn("12", "CustInvc", "in_2", "50.00")])
    account = {**snap.crm.accounts[0], "ERP_Customer_Id__c": None}
    return dataclasses.replace(snap, crm=dataclasses.replace(snap.crm, accounts=[account]))


def test_every_check_is_registered_with_declared_codes_and_a_doc() -> None:
    assert len(REGISTRY) >= 20
    covered = set().union(*(c.codes for c in REGISTRY.values()))
    assert covered == set(codes.SEVERITY), "every code is reported by some check"
    for name, check_codes, doc in describe():
        assert doc and check_codes, name


def test_selecting_and_skipping_by_name() -> None:
    snap = broken()
    everything = run(snap)
    assert everything.codes() == [codes.ERP_INVOICE_AMOUNT_MISMATCH, codes.ERP_PAYMENT_MISSING,
                                  codes.WRITEBACK_MISSING]
    only = run(snap, ["invoices"])
    assert only.codes() == [codes.ERP_INVOICE_AMOUNT_MISMATCH] and only.checks == ("invoices",)
    skipped = run(snap, skip=["writebacks", "payments"])
    assert skipped.codes() == [codes.ERP_INVOICE_AMOUNT_MISMATCH]
    assert "writebacks" not in skipped.checks
    with pytest.raises(ValueError, match=r"unknown oracle checks.*'nope'"):
        select(["invoices", "nope"])


def test_each_check_alone_finds_what_it_finds_among_all() -> None:
    """No check depends on another having run first (the old Checker's totals did)."""
    snap = broken()
    together = sorted((v.code, v.message) for v in run(snap).violations)
    alone = sorted((v.code, v.message) for name in reversed(list(REGISTRY))
                   for v in run(snap, [name]).violations)
    assert alone == together


def test_reconciliation_does_not_depend_on_the_checks_run() -> None:
    snap = broken()
    full = run(snap).totals["USD"]
    none = run(snap, skip=list(REGISTRY)).totals["USD"]
    assert full == none
    # 149.99 posted of 150.00 invoiced; in_2's 50.00 collected, not posted.
    assert (full.invoiced_gap, full.paid_gap) == (Decimal("0.01"), Decimal("50.00"))
    assert str(full.billing_invoiced) == "150.00" and str(full.erp_invoiced) == "149.99"


def test_the_view_is_read_only() -> None:
    view = View(deal())
    with pytest.raises(TypeError):
        view.billing.invoices[0]["total"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        view.billing.invoices[0]["lines"]["data"][0]["amount"] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.billing.invoices = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        view.erp_invoices["in_1"] = ()  # type: ignore[index]


def test_a_check_reporting_an_undeclared_code_is_refused() -> None:
    def sloppy(view: View) -> Iterator[Violation]:
        yield violation(codes.ERP_PAYMENT_MISSING, "not mine to say")

    rogue = Check("sloppy", sloppy, frozenset({codes.ERP_INVOICE_MISSING}), frozenset(), "")
    with pytest.raises(AssertionError, match="does not declare"):
        rogue(View(deal()))


def test_registration_refuses_unknown_codes_evidence_and_a_second_check_of_a_name() -> None:
    with pytest.raises(ValueError):
        invariant("NOT_A_CODE")
    with pytest.raises(ValueError):
        invariant(codes.ERP_INVOICE_MISSING, needs=["telepathy"])
    with pytest.raises(ValueError, match="registered already"):
        @invariant(codes.ERP_INVOICE_MISSING)
        def invoices(view: View) -> Iterator[Violation]:
            yield from ()


def test_checks_declare_the_evidence_they_read() -> None:
    assert needs_of(select(["invoices", "payments"])) == frozenset()
    assert needs_of(select(["vendor_refusals"])) == {"journals", "dlq"}
