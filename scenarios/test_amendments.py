"""Amendments: an activated CRM Order (Type Upgrade) on a synced contract changes the
subscription's quantities with ``always_invoice``; the proration invoice is posted to
the ERP exactly once and the subscription matches the amended deal."""

from __future__ import annotations

from harness.scenario import Q2C, Q2CRunner


def test_activated_order_prorates_and_the_proration_invoice_is_posted(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        amended = []
        for deal in q.deals(3):
            made = await q.sell(deal)
            sub = await q.subscription(made.opportunity_id)
            contract = await q.contract(made.opportunity_id)
            await q.until(lambda sub=sub: q.invoices(sub), what=f"first invoice of {sub}")
            quantities = {code: qty + 2 for code, qty in deal.quantities().items()}
            await q.crm.amend(contract["Id"], quantities, deal.currency)
            amended.append(sub)

        async def prorated() -> bool:
            for sub in amended:
                invoices = await q.invoices(sub)
                if len([i for i in invoices if i["status"] in ("open", "paid")]) < 2:
                    return False
            return True

        await q.until(prorated, what="a proration invoice on every amended subscription")
        await q.settled_ok("amendment with proration")

    q2c.run(scenario)
