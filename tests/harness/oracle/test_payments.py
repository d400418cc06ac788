"""Payments on hand-made states: the ERP payment is what billing collected, not the
invoice total, when a credit note, the customer's balance, parts or an out-of-band payment
came between."""

from __future__ import annotations

from harness.oracle import Severity, check, codes
from harness.oracle.snapshot import Snapshot
from tests.harness.oracle.states import T0, Row, deal, invoice, txn

PRE_PAYMENT_NOTE = {"id": "cn_1", "invoice": "in_1", "customer": "cus_1", "currency": "usd",
                    "status": "issued", "total": 3000, "type": "pre_payment", "created": T0}


def collected(paid: int, *payments: Row, status: str = "paid", notes: list[Row] | None = None,
              erp_open: bool = False) -> Snapshot:
    """A 100.00 invoice of which billing collected ``paid`` (minor units)."""
    memos = [txn("12", "CustCred", "cn_1", "30.00")] if notes else []
    return deal(invoices=[invoice(paid=paid, status=status)], notes=notes,
                transactions=[txn("10", "CustInvc", "in_1", "100.00",
                                  status="A" if erp_open else "B"), *payments, *memos])


def test_a_credit_note_on_the_open_invoice_leaves_less_to_pay() -> None:
    right = collected(7000, txn("11", "CustPymt", "pay:in_1", "70.00"),
                      notes=[PRE_PAYMENT_NOTE])
    assert check(right).ok, check(right).summary()
    total = collected(7000, txn("11", "CustPymt", "pay:in_1", "100.00"),
                      notes=[PRE_PAYMENT_NOTE])
    [wrong] = check(total).violations
    assert wrong.code == codes.ERP_PAYMENT_AMOUNT_MISMATCH
    assert wrong.severity is Severity.REVENUE
    assert str(wrong.details["difference"]) == "30.00" and wrong.refs.erp == ("11",)


def test_the_customer_balance_applied_to_a_renewal_was_not_collected() -> None:
    """Billing charged 70.00 of a 100.00 renewal, the customer's credit covering the rest:
    the ERP payment is 70.00 and the ERP invoice must be settled (the credit applied)."""
    total = collected(7000, txn("11", "CustPymt", "pay:in_1", "100.00"))
    assert check(total).codes() == [codes.ERP_PAYMENT_AMOUNT_MISMATCH]
    unapplied = collected(7000, txn("11", "CustPymt", "pay:in_1", "70.00"), erp_open=True)
    assert check(unapplied).codes() == [codes.ERP_PAYMENT_NOT_APPLIED]


def test_payments_in_parts_add_up_to_what_was_collected() -> None:
    parts = collected(10000, txn("11", "CustPymt", "pay:in_1:ip_1", "40.00"),
                      txn("12", "CustPymt", "pay:in_1:ip_2", "60.00"))
    assert check(parts).ok, check(parts).summary()
    partly = collected(4000, txn("11", "CustPymt", "pay:in_1:ip_1", "40.00"), status="open",
                       erp_open=True)
    assert check(partly).ok, check(partly).summary()
    as_if_all = collected(4000, txn("11", "CustPymt", "pay:in_1", "100.00"), status="open",
                          erp_open=True)
    assert check(as_if_all).codes() == [codes.ERP_PAYMENT_AMOUNT_MISMATCH]
    missing = collected(4000, status="open", erp_open=True)
    assert check(missing).codes() == [codes.ERP_PAYMENT_MISSING]


def test_twice_the_same_payment_is_a_duplicate_not_parts() -> None:
    twice = collected(10000, txn("11", "CustPymt", "pay:in_1", "100.00"),
                      txn("12", "CustPymt", "", "100.00"))
    assert check(twice).codes() == [codes.ERP_PAYMENT_DUPLICATE]


def test_a_payment_posted_for_an_invoice_billing_has_not_collected_on() -> None:
    early = collected(0, txn("11", "CustPymt", "pay:in_1", "100.00"), status="open",
                      erp_open=True)
    assert check(early).codes() == [codes.ERP_PAYMENT_ORPHANED]
