"""Invoices not paid in full by a card: what billing collected is what the ERP payment
must say, and the ERP invoice must end settled.

- A (US): the card fails, so the first invoice stays open; finance issues a credit note of
  a quarter on the open invoice; the card is fixed and the invoice paid: three quarters.
- B (GB): the first invoice is paid; a credit note credits a third of it to the customer's
  balance; a month on, the renewal takes the balance off what is charged.
- C (DE): the card fails; the customer pays by bank transfer and finance marks the invoice
  paid out of band: nothing is charged, everything is paid.
"""

from __future__ import annotations

from harness.drivers.billing import CARD_FAILS
from harness.scenario import Q2C, Q2CRunner

HOUR = 3600


def test_credit_notes_balances_and_out_of_band_payments_post_what_was_paid(
        q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        a, b, c = q.deals(3, entities=("US", "GB", "DE"))
        sold_a = await q.sell(a, card=CARD_FAILS)
        sold_b = await q.sell(b)
        sold_c = await q.sell(c, card=CARD_FAILS)
        sub_a, sub_b, sub_c = [await q.subscription(s.opportunity_id)
                               for s in (sold_a, sold_b, sold_c)]

        open_a = await q.invoice_of(sub_a, status="open")
        await q.billing.credit_note(open_a["id"], open_a["total"] // 4,
                                    reason="order_change")
        await q.billing.fix_card(await q.billing_customer(sold_a.account_id))
        await q.billing.pay_invoice(open_a["id"])

        paid_b = await q.invoice_of(sub_b, status="paid")
        credit = paid_b["total"] // 3
        await q.billing.credit_note(paid_b["id"], credit, reason="product_unsatisfactory")

        open_c = await q.invoice_of(sub_c, status="open")
        await q.billing.pay_out_of_band(open_c["id"])
        await q.billing.fix_card(await q.billing_customer(sold_c.account_id))
        await q.settled_ok("credit note on an open invoice, balance, out of band")

        # A month on: every subscription renews; B's renewal uses the balance.
        end = int((await q.billing.get(f"/v1/subscriptions/{sub_b}"))["current_period_end"])
        await q.advance_to(end + 2 * HOUR)
        renewal_b = await q.invoice_of(sub_b, status="paid", reason="subscription_cycle")
        await q.settled_ok("the renewals, B's paid partly from its balance")

        paid_a = await q.billing.get(f"/v1/invoices/{open_a['id']}")
        q.chaos_happened(paid_a["status"] == "paid" and 0 < paid_a["amount_paid"]
                         < paid_a["total"], f"A's invoice was not paid in part: {paid_a}")
        q.chaos_happened(renewal_b["starting_balance"] == -credit
                         and renewal_b["amount_paid"] == renewal_b["total"] - credit,
                         f"B's renewal did not use its balance of {credit}: "
                         f"starting {renewal_b['starting_balance']}, paid "
                         f"{renewal_b['amount_paid']} of {renewal_b['total']}")
        paid_c = await q.billing.get(f"/v1/invoices/{open_c['id']}")
        q.chaos_happened(bool(paid_c.get("paid_out_of_band")),
                         "C's invoice was not paid out of band")

    q2c.run(scenario)
