"""Invoices with proration credits on hand-made states: a downgrade's credit invoice is a
credit memo in the ERP; a mixed one an invoice of its charges and a memo of its credits."""

from __future__ import annotations

from decimal import Decimal

from harness.oracle import check, codes
from tests.harness.oracle.states import deal, invoice, txn


def test_a_downgrade_credit_becomes_a_credit_memo() -> None:
    down = invoice("in_2", total=-2500, status="paid", paid=0, reason="subscription_update")
    right = deal(invoices=[invoice(), down], transactions=[
        txn("10", "CustInvc", "in_1", "100.00"), txn("11", "CustPymt", "pay:in_1", "100.00"),
        txn("12", "CustCred", "cr:in_2", "25.00")])
    report = check(right)
    assert report.ok, report.summary()
    assert report.totals["USD"].billing_invoiced == Decimal("75.00") \
        == report.totals["USD"].erp_invoiced
    dropped = deal(invoices=[invoice(), down], transactions=[
        txn("10", "CustInvc", "in_1", "100.00"), txn("11", "CustPymt", "pay:in_1", "100.00")])
    [missing] = check(dropped).violations
    assert missing.code == codes.ERP_CREDIT_MEMO_MISSING and missing.refs.billing == ("in_2",)
    short = deal(invoices=[invoice(), down], transactions=[
        txn("10", "CustInvc", "in_1", "100.00"), txn("11", "CustPymt", "pay:in_1", "100.00"),
        txn("12", "CustCred", "cr:in_2", "20.00")])
    assert check(short).codes() == [codes.ERP_CREDIT_MEMO_AMOUNT_MISMATCH]


def test_charges_and_credits_of_one_amendment_net_out() -> None:
    """One product up (+40.00), another removed (-15.00): ERP invoice 40.00 and credit
    memo 15.00 make billing's 25.00; the invoice alone (credits dropped) does not."""
    mixed = invoice("in_2", total=2500, reason="subscription_update")
    right = deal(invoices=[mixed], transactions=[
        txn("10", "CustInvc", "in_2", "40.00"), txn("11", "CustCred", "cr:in_2", "15.00"),
        txn("12", "CustPymt", "pay:in_2", "25.00")])
    assert check(right).ok, check(right).summary()
    dropped = deal(invoices=[mixed], transactions=[
        txn("10", "CustInvc", "in_2", "40.00"), txn("12", "CustPymt", "pay:in_2", "25.00")])
    assert check(dropped).codes() == [codes.ERP_INVOICE_AMOUNT_MISMATCH]


def test_an_invoice_posted_before_its_discounts() -> None:
    """Billing charged 75.00 after a 25.00 coupon: an ERP invoice of 100.00 is an amount
    mismatch whose evidence names the discount; one of 75.00 is right. One cause is one
    violation: no second code for the same posting."""
    discounted = {**invoice(total=7500), "total_discount_amounts": [
        {"amount": 2500, "discount": "di_1"}]}
    right = deal(invoices=[discounted], transactions=[
        txn("10", "CustInvc", "in_1", "75.00"), txn("11", "CustPymt", "pay:in_1", "75.00")])
    assert check(right).ok, check(right).summary()
    gross = deal(invoices=[discounted], transactions=[
        txn("10", "CustInvc", "in_1", "100.00"), txn("11", "CustPymt", "pay:in_1", "75.00")])
    [mismatch] = check(gross).violations
    assert mismatch.code == codes.ERP_INVOICE_AMOUNT_MISMATCH
    assert mismatch.details["discount"] == Decimal("25.00") == mismatch.details["difference"]
    assert "discounts" in mismatch.message
    other = deal(invoices=[discounted], transactions=[
        txn("10", "CustInvc", "in_1", "90.00"), txn("11", "CustPymt", "pay:in_1", "75.00")])
    [off] = check(other).violations
    assert off.code == codes.ERP_INVOICE_AMOUNT_MISMATCH and "discount" not in off.details
