"""Downgrades and product removals on amendment, and the renewal after them.

- D (US): the deal's first product goes down to one seat and its second is removed,
  invoiced at once: the proration credits outweigh the charges, so the invoice totals less
  than zero, nothing is due and the credit goes to the customer's balance. The ERP must
  hold it as the customer's credit (a credit memo ``cr:{invoice}``).
- M (GB): the first product goes up, the second is removed: one invoice with a charge and a
  credit (negative proration lines), netted in the ERP as an invoice and a credit memo.
- A month on, both renew at the amended quantities; D's renewal takes its credit off
  what is charged, and the ERP invoice of that renewal must be settled by the payment and
  the credit memo together.
"""

from __future__ import annotations

from harness.data import Deal
from harness.scenario import Q2C, Q2CRunner, with_line

HOUR = 3600


def two_products(q: Q2C, deal: Deal) -> Deal:
    """``deal`` with at least two products, the first with several seats."""
    others = [p for p in q.catalog if p.code not in deal.quantities()]
    if len(deal.lines) < 2:
        deal = with_line(deal, others[0], 2)
    return deal


def test_downgrades_and_removals_post_their_credits(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        down, mixed = (two_products(q, d) for d in q.deals(2, entities=("US", "GB")))
        subs = {}
        for name, deal in (("down", down), ("mixed", mixed)):
            made = await q.sell(deal)
            subs[name] = await q.subscription(made.opportunity_id)
            contract = await q.contract(made.opportunity_id)
            await q.invoice_of(subs[name], status="paid", reason="subscription_create")
            first, second = deal.lines[0].product.code, deal.lines[1].product.code
            seats = deal.quantities()[first]
            quantities = {first: 1 if name == "down" else seats + 3, second: 0}
            if name == "down" and seats == 1:
                quantities = {second: 0}
            await q.crm.amend(contract["Id"], quantities, deal.currency)

        credit = await q.invoice_of(subs["down"], status="paid", reason="subscription_update",
                                    what="the downgrade's credit invoice")
        charge = await q.invoice_of(subs["mixed"], status=("open", "paid"),
                                    reason="subscription_update",
                                    what="the amendment's invoice with a credit line")
        await q.settled_ok("downgrades and removals")

        end = int((await q.billing.get(f"/v1/subscriptions/{subs['down']}"))
                  ["current_period_end"])
        await q.advance_to(end + 2 * HOUR)
        renewal = await q.invoice_of(subs["down"], status="paid", reason="subscription_cycle")
        await q.settled_ok("the renewals after the amendments")

        q.chaos_happened(credit["total"] < 0 and credit["amount_due"] == 0,
                         f"the downgrade did not credit: total {credit['total']}")
        amounts = [line["amount"] for line in charge["lines"]["data"]]
        q.chaos_happened(any(a < 0 for a in amounts) and any(a > 0 for a in amounts),
                         f"the mixed amendment is not a charge and a credit: {amounts}")
        q.chaos_happened(renewal["starting_balance"] < 0
                         and renewal["amount_paid"] < renewal["total"],
                         f"the renewal did not use the downgrade's credit: {renewal}")

    q2c.run(scenario)
