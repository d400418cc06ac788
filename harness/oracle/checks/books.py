"""The books: balanced journals, a zero trial balance, each posting dated by the business
event it records and landing in that date's period, and nothing posted into a closed one.

Business dates are the UTC calendar days of billing's timestamps: an invoice's
``status_transitions.finalized_at``, a payment's ``status_transitions.paid_at``, a credit
note's ``effective_at`` (its ``created`` unless backdated). A posting whose period was
closed by the finance team before it was made belongs in the first period after it that
was still open then (NetSuite refuses a closed period; an accountant posts the late item
into the next open one, keeping its date). When a period was closed is its last
modification; SuiteQL gives minutes, so a posting in the same minute as the close is given
the benefit of the doubt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from harness.oracle import codes as C
from harness.oracle.model import Violation
from harness.oracle.registry import invariant
from harness.oracle.snapshot import Row
from harness.oracle.view import (
    PAYMENT_PREFIX,
    PRORATION_CREDIT_PREFIX,
    View,
    day_of,
    dec,
    erp_date,
    erp_moment,
    violation,
)


@invariant(C.JOURNAL_UNBALANCED, C.TRIAL_BALANCE_NONZERO)
def ledger(view: View) -> Iterator[Violation]:
    """Every ERP transaction debits what it credits; each subsidiary's trial balance is
    zero."""
    for row in view.erp.balances:
        debit, credit = dec(row.get("debit")), dec(row.get("credit"))
        if debit != credit:
            yield violation(C.JOURNAL_UNBALANCED, f"ERP transaction {row['transaction']} "
                            f"debits {debit} and credits {credit}", erp=[row["transaction"]],
                            debit=debit, credit=credit)
    for sub, balance in sorted(view.erp.trial_balance.items()):
        if balance != 0:
            yield violation(C.TRIAL_BALANCE_NONZERO,
                            f"trial balance of subsidiary {sub} is {balance}, not zero",
                            erp=[f"subsidiary:{sub}"], balance=balance)


@invariant(C.POSTED_IN_CLOSED_PERIOD)
def closed_periods(view: View) -> Iterator[Violation]:
    """Nothing is posted into a period after the finance team closed it."""
    closed = {str(p["id"]): p for p in view.erp.closed_periods}
    for txn in view.erp.transactions:
        period = closed.get(str(txn.get("postingperiod")))
        if period is None:
            continue
        created = erp_moment(txn.get("createddate"))
        closed_at = view.closed_at.get(str(period["id"]))
        if created is not None and closed_at is not None and created > closed_at:
            yield violation(C.POSTED_IN_CLOSED_PERIOD,
                            f"ERP {txn.get('type')} {txn['id']} was posted into "
                            f"{period.get('periodname')} after it closed",
                            billing=[str(txn.get("externalid") or "")], erp=[txn["id"]])


def business_events(view: View) -> Iterator[tuple[str, str, str, dt.date, tuple[Row, ...]]]:
    """(what, event, billing id, business day, ERP postings) of every mirrored business
    event."""
    for inv_id, txns in view.erp_invoices.items():
        inv = view.invoices.get(inv_id)
        day = day_of(((inv or {}).get("status_transitions") or {}).get("finalized_at"))
        if day is not None:
            yield "invoice", "finalized", inv_id, day, txns
            credits = view.proration_credits(inv_id)
            if credits:
                yield "proration credit memo", "invoice finalized", inv_id, day, credits
    for key, txns in view.erp_payments.items():
        inv = view.invoices.get(key.removeprefix(PAYMENT_PREFIX))
        if inv is None or len(txns) != 1:
            continue  # payments in parts: each has its own date, billing names the last
        day = day_of((inv.get("status_transitions") or {}).get("paid_at"))
        if day is not None:
            yield "payment", "invoice paid", str(inv["id"]), day, txns
    for note_id, txns in view.erp_memos.items():
        if note_id.startswith(PRORATION_CREDIT_PREFIX):
            continue
        note = view.credit_notes.get(note_id)
        day = day_of((note or {}).get("effective_at") or (note or {}).get("created"))
        if day is not None:
            yield "credit memo", "credit note created", note_id, day, txns


@invariant(C.ERP_POSTING_WRONG_DATE, C.ERP_POSTING_WRONG_PERIOD)
def posting_dates(view: View) -> Iterator[Violation]:
    """Each ERP posting is dated by the business event it records (an invoice by its
    finalization, a payment by its payment, a credit memo by its credit note) and lands in
    the period of that date, or, when the finance team had closed that period before the
    posting was made, in the first period after it that was still open."""
    for what, event, source, day, txns in business_events(view):
        expected = view.period_of(day)
        for txn in txns:
            posted_day = erp_date(txn.get("trandate"))
            if posted_day is not None and posted_day != day:
                yield violation(C.ERP_POSTING_WRONG_DATE,
                                f"ERP {what} {txn['id']} of {source} is dated {posted_day}; "
                                f"the business event ({event}) was on {day}",
                                billing=[source], erp=[txn["id"]],
                                expected=day.isoformat(), actual=posted_day.isoformat())
            if expected is None or str(txn.get("postingperiod")) == str(expected["id"]):
                continue
            if not _moved_past_close(view, expected, txn):
                period = next((p for p in view.periods
                               if str(p["id"]) == str(txn.get("postingperiod"))), {})
                yield violation(C.ERP_POSTING_WRONG_PERIOD,
                                f"ERP {what} {txn['id']} of {source} posted "
                                f"into {period.get('periodname', txn.get('postingperiod'))}; "
                                f"its business date {day} is in {expected.get('periodname')}"
                                f"{_why(view, expected, txn)}", billing=[source],
                                erp=[txn["id"]], expected=expected.get("periodname"),
                                actual=period.get("periodname"))


def _closed_before(view: View, period: Row, created: dt.datetime | None) -> bool:
    closed_at = view.closed_at.get(str(period["id"]))
    return closed_at is not None and (created is None or closed_at <= created)


def _moved_past_close(view: View, expected: Row, txn: Row) -> bool:
    """Posted into the first period after ``expected`` that was open when it was made,
    all the ones from ``expected`` up to it having been closed by then."""
    created = erp_moment(txn.get("createddate"))
    order = [str(p["id"]) for p in view.periods]
    start, posted = str(expected["id"]), str(txn.get("postingperiod"))
    if start not in order or posted not in order or order.index(posted) <= order.index(start):
        return False
    skipped = view.periods[order.index(start):order.index(posted)]
    if not all(_closed_before(view, p, created) for p in skipped):
        return False
    return not _closed_before(view, view.periods[order.index(posted)], created)


def _why(view: View, expected: Row, txn: Row) -> str:
    if str(expected["id"]) not in view.closed_at:
        return ", which is open"
    return ", and it was not closed when the posting was made (or a later one was skipped)"
