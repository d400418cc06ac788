"""Dates and periods: each ERP posting is dated by the business event it records and lands
in that date's period, across a month end and a year end, with a period closed by the
finance team mid-run (and nothing posted into it after).

Month end: late on the month's last day one customer's card fails (the invoice is dated
that day, the payment the next month, when the card is fixed) and another's invoice is
paid at once, but its webhooks are held back; the business day turns, the finance team
closes the month, and only then are the held webhooks delivered. The late invoice keeps
its date and goes into the next open period; a SUT that dates postings by the day it
processes them books it in the wrong month.

Year end: an invoice finalized on 31 December and paid on 1 January, and a credit note
issued on 1 January on a December invoice: the postings straddle two fiscal years.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time

from harness.deliveries import Delivered
from harness.drivers.billing import CARD_FAILS
from harness.plugin import FaultPlanControl
from harness.scenario import Q2C, Q2CRunner

HOUR = 3600
# Held back until the harness lets them go (far longer than the steps in between).
HOLD = {"hold": {"for": "120s"}}


def _utc(unix: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(unix, dt.UTC)


def month_end_evening(now: float) -> float:
    """22:00 UTC on the last day of this month, or of the next when that has passed."""
    day = _utc(now)
    for months in (0, 1):
        year, month = divmod(day.month - 1 + months, 12)
        year, month = day.year + year, month + 1
        last = calendar.monthrange(year, month)[1]
        moment = dt.datetime(year, month, last, 22, tzinfo=dt.UTC).timestamp()
        if moment > now + 60:
            return moment
    raise AssertionError("unreachable")


def year_end_evening(now: float) -> float:
    """22:00 UTC on 31 December of this year, or of the next when that has passed."""
    year = _utc(now).year
    moment = dt.datetime(year, 12, 31, 22, tzinfo=dt.UTC).timestamp()
    return moment if moment > now + 60 else dt.datetime(year + 1, 12, 31, 22,
                                                        tzinfo=dt.UTC).timestamp()


async def _now(q: Q2C) -> float:
    return (await q.clock.now())["billing"]


def test_month_end_with_a_period_closed_mid_run(q2c: Q2CRunner,
                                                fault_plan: FaultPlanControl) -> None:
    async def scenario(q: Q2C) -> None:
        await q.advance_to(month_end_evening(await _now(q)))
        failing, held = q.deals(2, entities=("US", "GB"))
        sold = await q.sell(failing, card=CARD_FAILS)
        sub = await q.subscription(sold.opportunity_id)
        unpaid = await q.invoice_of(sub, status="open")
        await q.settled_ok("the month-end invoice whose payment failed")

        fault_plan.add("billing", deliveries=HOLD)
        late = await q.sell(held)
        late_sub = await q.subscription(late.opportunity_id)
        late_invoice = await q.invoice_of(late_sub, status="paid")
        await q.clock.advance(3 * HOUR)  # the next month, 01:00
        month = _utc(float(late_invoice["status_transitions"]["finalized_at"])).date()
        await q.erp.close_period(month)
        closed = time.time()
        fault_plan.clear()  # the held webhooks go now, after the close

        await q.billing.fix_card(await q.billing_customer(sold.account_id))
        await q.billing.pay_invoice(unpaid["id"])
        await q.settled_ok("late postings after the month was closed")

        paid = await q.billing.get(f"/v1/invoices/{unpaid['id']}")
        moments = paid["status_transitions"]
        q.chaos_happened(_utc(moments["finalized_at"]).month != _utc(moments["paid_at"]).month,
                         f"invoice {unpaid['id']} was finalized and paid in one month")
        finalized = [e for e in q.delivered("billing") if e.event_type == "invoice.finalized"
                     and e.object_id == late_invoice["id"]]
        q.chaos_happened(_after(finalized, closed),
                         f"invoice.finalized of {late_invoice['id']} reached the SUT before "
                         "the finance team closed its month")

    q2c.run(scenario)


def _after(events: list[Delivered], moment: float) -> bool:
    return bool(events) and all(e.first_ok is not None and e.first_ok > moment
                                for e in events)


def test_year_end_invoice_paid_and_credited_in_the_new_year(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        await q.advance_to(year_end_evening(await _now(q)))
        failing, paid_now = q.deals(2, entities=("DE", "US"))
        sold = await q.sell(failing, card=CARD_FAILS)
        other = await q.sell(paid_now)
        sub = await q.subscription(sold.opportunity_id)
        other_sub = await q.subscription(other.opportunity_id)
        unpaid = await q.invoice_of(sub, status="open")
        december = await q.invoice_of(other_sub, status="paid")
        await q.settled_ok("31 December")

        await q.clock.advance(3 * HOUR)  # 1 January, 01:00
        await q.billing.fix_card(await q.billing_customer(sold.account_id))
        await q.billing.pay_invoice(unpaid["id"])
        note = await q.billing.credit_note(december["id"], december["total"] // 5,
                                           refund=True, reason="duplicate")
        await q.settled_ok("1 January: a December invoice paid, another credited")

        paid = await q.billing.get(f"/v1/invoices/{unpaid['id']}")
        moments = paid["status_transitions"]
        q.chaos_happened(_utc(moments["finalized_at"]).year + 1 == _utc(moments["paid_at"]).year,
                         f"invoice {unpaid['id']} was not finalized and paid across a year end")
        q.chaos_happened(_utc(note["created"]).year == _utc(moments["paid_at"]).year,
                         "the credit note was not issued in the new year")

    q2c.run(scenario)
