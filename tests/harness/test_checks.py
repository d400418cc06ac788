"""Checks the fakes cannot be made to violate (they refuse the write), on built snapshots."""

from __future__ import annotations

from decimal import Decimal

from harness.oracle import Severity, check, codes
from harness.oracle.snapshot import BillingState, CrmState, ErpState, Snapshot

SUBS = [{"id": "1", "country": "US", "currency": "1"}]


def _snap(erp: ErpState | None = None, billing: BillingState | None = None,
          crm: CrmState | None = None) -> Snapshot:
    return Snapshot(crm or CrmState(), billing or BillingState(),
                    erp or ErpState(subsidiaries=SUBS, currencies={"1": "USD"}))


def test_unbalanced_journal_and_nonzero_trial_balance() -> None:
    erp = ErpState(subsidiaries=SUBS, currencies={"1": "USD"},
                   balances=[{"transaction": "9", "debit": "10.00", "credit": "9.99"}],
                   trial_balance={"1": Decimal("0.01")})
    report = check(_snap(erp))
    assert report.codes() == [codes.JOURNAL_UNBALANCED, codes.TRIAL_BALANCE_NONZERO]
    assert {v.severity for v in report.violations} == {Severity.COMPLIANCE}
    assert report.by_code(codes.JOURNAL_UNBALANCED)[0].refs.erp == ("9",)


def test_posting_after_a_period_closed() -> None:
    txn = {"id": "5", "type": "Journal", "postingperiod": "3",
           "createddate": "1/20/2026 09:30", "subsidiary": "1"}
    before = dict(txn, id="4", createddate="1/10/2026 09:30")
    erp = ErpState(subsidiaries=SUBS, currencies={"1": "USD"}, transactions=[txn, before],
                   closed_periods=[{"id": "3", "periodname": "Jan 2026",
                                    "lastModifiedDate": "2026-01-15T12:00:00Z"}])
    report = check(_snap(erp))
    [violation] = report.violations
    assert violation.code == codes.POSTED_IN_CLOSED_PERIOD and violation.refs.erp == ("5",)


def test_unmapped_entity_renewal_must_be_held() -> None:
    crm = CrmState(accounts=[{"Id": "001A", "Legal_Entity__c": "FR",
                              "Billing_Customer_Id__c": "cus_1"}])
    billing = BillingState(
        customers=[{"id": "cus_1", "metadata": {"crm_account_id": "001A"}}],
        invoices=[{"id": "in_1", "customer": "cus_1", "status": "open", "currency": "eur",
                   "total": 1000, "billing_reason": "subscription_cycle"},
                  {"id": "in_2", "customer": "cus_1", "status": "draft", "currency": "eur",
                   "total": 1000, "billing_reason": "subscription_cycle"}])
    report = check(_snap(billing=billing, crm=crm))
    [violation] = report.violations
    assert violation.code == codes.INVOICE_NOT_HELD and violation.refs.billing == ("in_1",)
    assert violation.severity is Severity.REVENUE
    assert report.totals_for("EUR").held == Decimal("10.00")


def test_every_code_has_a_severity() -> None:
    names = [n for n in dir(codes) if n.isupper() and n not in ("R", "P", "S", "SEVERITY")]
    assert {getattr(codes, n) for n in names} == set(codes.SEVERITY)
