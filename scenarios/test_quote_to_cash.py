"""Quote-to-cash, the happy path: many deals across the US, GB and DE legal entities
(USD, GBP, EUR), each closed won, subscribed, invoiced, charged and posted to the ERP
exactly once, to the cent (some deals carry a 0.29 add-on, an amount float money gets a
cent wrong); the oracle must be clean."""

from __future__ import annotations

from harness.scenario import Q2C, Q2CRunner, odd_cents_product, with_line

DEALS = 9


def test_many_deals_across_three_entities_reconcile(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        addon = odd_cents_product()
        await q.add_product(addon)
        deals = [with_line(d, addon, 1 + i % 2) if i % 3 == 0 else d
                 for i, d in enumerate(q.deals(DEALS))]
        sold = [await q.sell(deal) for deal in deals]
        report = await q.settled_ok("quote-to-cash")
        assert report.counts.get("billing.subscriptions") == DEALS, \
            f"expected one subscription per closed-won deal:\n{report.summary()}"
        for made in sold:
            await q.contract(made.opportunity_id)
        currencies = {c for c, t in report.totals.items() if t.erp_invoiced}
        assert currencies == {"USD", "GBP", "EUR"}, \
            f"ERP invoices posted in {sorted(currencies)}, expected USD, GBP and EUR"

    q2c.run(scenario)
