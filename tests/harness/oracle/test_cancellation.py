"""Cancellation at period end on hand-made states: service runs to the end of the period
current when the contract asked, not less, not more."""

from __future__ import annotations

import datetime as dt

from harness.oracle import Severity, check, codes
from harness.oracle.snapshot import Snapshot
from tests.harness.oracle.states import DAY, T0, Row, deal, invoice

ASKED = T0 + 10 * DAY
PERIOD_END = T0 + 31 * DAY  # the first invoice's service period ends here


def _salesforce(unix: int) -> str:
    return dt.datetime.fromtimestamp(unix, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def cancelled(sub: Row, *, renewal: bool = False) -> Snapshot:
    invoices = [invoice()]
    if renewal:
        invoices.append(invoice("in_2", finalized=PERIOD_END, reason="subscription_cycle"))
    base = {"id": "sub_1", "customer": "cus_1", "currency": "usd", "items": {"data": []},
            "metadata": {"crm_opportunity_id": "006A", "crm_account_id": "001A"}}
    contract = {"Id": "800A", "Status": "Activated", "External_Id__c": "sub_1",
                "Billing_Subscription_Id__c": "sub_1", "Cancel_At_Period_End__c": True,
                "LastModifiedDate": _salesforce(ASKED)}
    return deal(invoices=invoices, subscription={**base, **sub}, contract=contract)


def _codes(snap: Snapshot) -> list[str]:
    return [c for c in check(snap, ["cancellation_at_period_end"]).codes()]


def test_set_to_cancel_or_cancelled_at_the_period_end_is_right() -> None:
    assert _codes(cancelled({"status": "active", "cancel_at_period_end": True,
                             "cancel_at": PERIOD_END})) == []
    assert _codes(cancelled({"status": "canceled", "ended_at": PERIOD_END,
                             "canceled_at": ASKED})) == []


def test_cancelled_at_once_is_early() -> None:
    report = check(cancelled({"status": "canceled", "ended_at": ASKED, "canceled_at": ASKED}),
                   ["cancellation_at_period_end"])
    [early] = report.violations
    assert early.code == codes.SUBSCRIPTION_CANCELLED_EARLY
    assert early.severity is Severity.REVENUE
    assert early.refs.crm == ("800A", "006A") and early.refs.billing == ("sub_1",)
    assert early.details == {"expected": PERIOD_END, "actual": ASKED}


def test_cancelled_a_period_later_or_renewed_is_late() -> None:
    assert _codes(cancelled({"status": "active", "cancel_at_period_end": False,
                             "cancel_at": PERIOD_END + 28 * DAY})) == [
        codes.SUBSCRIPTION_CANCELLED_LATE]
    renewed = cancelled({"status": "active", "cancel_at_period_end": True,
                         "cancel_at": PERIOD_END + 28 * DAY}, renewal=True)
    assert _codes(renewed) == [codes.SUBSCRIPTION_CANCELLED_LATE,
                               codes.SUBSCRIPTION_CANCELLED_LATE]


def test_not_set_to_cancel_at_all() -> None:
    assert _codes(cancelled({"status": "active", "cancel_at_period_end": False})) == [
        codes.SUBSCRIPTION_CANCELLATION_MISSING]
