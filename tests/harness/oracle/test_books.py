"""The books on hand-made states: balanced journals, nothing posted into a closed period,
each posting dated by its business event and in that date's period (the fakes refuse some
of these writes, so the states are built, not posted)."""

from __future__ import annotations

from decimal import Decimal

from harness.oracle import Severity, check, codes
from harness.oracle.snapshot import BillingState, CrmState, ErpState, Snapshot
from tests.harness.oracle.states import DAY, T0, Row, close, deal, invoice, txn

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


# -- each posting dated by its business event, in that date's period ----------------------

JAN_31_LATE = T0 + 16 * DAY + 10 * 3600  # 2026-01-31 22:00 UTC
FEB_2 = T0 + 18 * DAY


def _dated(invoice_on: int, *, erp_invoice: Row, erp_payment: Row,
           paid_at: int | None = None) -> Snapshot:
    return deal(invoices=[invoice(finalized=invoice_on, paid_at=paid_at or invoice_on)],
                transactions=[erp_invoice, erp_payment])


def test_postings_dated_by_their_business_events_are_clean() -> None:
    snap = _dated(JAN_31_LATE, paid_at=FEB_2,
                  erp_invoice=txn("10", "CustInvc", "in_1", "100.00", on=JAN_31_LATE),
                  erp_payment=txn("11", "CustPymt", "pay:in_1", "100.00", on=FEB_2))
    assert check(snap).ok, check(snap).summary()


def test_an_invoice_dated_by_the_day_it_was_processed() -> None:
    """Finalized on 31 January, posted (and dated) on 2 February: wrong date, and in
    February although January was open."""
    snap = _dated(JAN_31_LATE, paid_at=FEB_2,
                  erp_invoice=txn("10", "CustInvc", "in_1", "100.00", on=FEB_2),
                  erp_payment=txn("11", "CustPymt", "pay:in_1", "100.00", on=FEB_2))
    report = check(snap)
    assert report.codes() == [codes.ERP_POSTING_WRONG_DATE, codes.ERP_POSTING_WRONG_PERIOD]
    wrong = report.by_code(codes.ERP_POSTING_WRONG_DATE)[0]
    assert wrong.refs.erp == ("10",) and wrong.refs.billing == ("in_1",)
    assert wrong.details == {"expected": "2026-01-31", "actual": "2026-02-02"}
    assert wrong.severity is Severity.COMPLIANCE
    period = report.by_code(codes.ERP_POSTING_WRONG_PERIOD)[0]
    assert "Feb 2026" in period.message and "Jan 2026, which is open" in period.message


def test_a_payment_dated_by_its_invoice_instead_of_its_payment() -> None:
    snap = _dated(JAN_31_LATE, paid_at=FEB_2,
                  erp_invoice=txn("10", "CustInvc", "in_1", "100.00", on=JAN_31_LATE),
                  erp_payment=txn("11", "CustPymt", "pay:in_1", "100.00", on=JAN_31_LATE,
                                  created=FEB_2))
    report = check(snap)
    assert report.codes() == [codes.ERP_POSTING_WRONG_DATE, codes.ERP_POSTING_WRONG_PERIOD]
    assert all(v.refs.erp == ("11",) for v in report.violations)
    assert "invoice paid" in report.violations[0].message


def test_a_credit_memo_dated_by_another_day_than_its_credit_note() -> None:
    note = {"id": "cn_1", "invoice": "in_1", "customer": "cus_1", "currency": "usd",
            "status": "issued", "total": 2500, "created": FEB_2, "effective_at": FEB_2}
    snap = deal(notes=[note], transactions=[
        txn("10", "CustInvc", "in_1", "100.00"), txn("11", "CustPymt", "pay:in_1", "100.00"),
        txn("12", "CustCred", "cn_1", "25.00", on=FEB_2 + DAY)])
    report = check(snap)
    assert report.codes() == [codes.ERP_POSTING_WRONG_DATE]
    assert "credit note created" in report.violations[0].message


def test_a_posting_after_the_finance_team_closed_its_period_goes_to_the_next_open_one() -> None:
    """January closed on 1 February: the late January invoice posted on 2 February keeps
    its date and lands in February. Had it landed in March, or had January still been open
    when it was posted, the period would be wrong."""
    def posted(period: str, paid: int = FEB_2) -> Snapshot:
        return _dated(JAN_31_LATE, paid_at=paid, erp_invoice=txn(
            "10", "CustInvc", "in_1", "100.00", on=JAN_31_LATE, period=period,
            created=FEB_2), erp_payment=txn("11", "CustPymt", "pay:in_1", "100.00", on=paid))

    feb, mar = "4", "5"
    closed_feb_1 = T0 + 17 * DAY
    assert check(close(posted(feb), "3", closed_feb_1)).ok
    skipped = check(close(posted(mar), "3", closed_feb_1))
    assert skipped.codes() == [codes.ERP_POSTING_WRONG_PERIOD]
    closed_later = check(close(posted(feb), "3", FEB_2 + DAY))
    assert closed_later.codes() == [codes.ERP_POSTING_WRONG_PERIOD]
    assert "not closed when the posting was made" in closed_later.violations[0].message
    march = T0 + 50 * DAY
    both_closed = close(close(posted(mar, paid=march), "3", closed_feb_1), "4", closed_feb_1)
    assert check(both_closed).ok


def test_nothing_posted_into_a_closed_period() -> None:
    snap = _dated(JAN_31_LATE, paid_at=FEB_2,
                  erp_invoice=txn("10", "CustInvc", "in_1", "100.00", on=JAN_31_LATE,
                                  created=FEB_2),
                  erp_payment=txn("11", "CustPymt", "pay:in_1", "100.00", on=FEB_2))
    report = check(close(snap, "3", T0 + 17 * DAY))
    [violation] = report.violations
    assert violation.code == codes.POSTED_IN_CLOSED_PERIOD and violation.refs.erp == ("10",)
