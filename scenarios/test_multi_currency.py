"""Multi-currency and multi-entity: deals in USD, GBP and EUR (with amounts in cents that
float money gets wrong) land in the ERP subsidiary of each account's legal entity, in the
invoice's currency, and every currency reconciles to the cent."""

from __future__ import annotations

from harness.scenario import Q2C, Q2CRunner, odd_cents_product, with_line


def test_each_currency_reconciles_in_its_own_legal_entity(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        addon = odd_cents_product("SKU-FXPACK")
        await q.add_product(addon)
        for deal in q.deals(6, entities=("GB", "DE", "US")):
            await q.sell(with_line(deal, addon, 2))
        report = await q.settled_ok("multi-currency")
        for currency in ("USD", "GBP", "EUR"):
            totals = report.totals_for(currency)
            assert totals.erp_invoiced and totals.reconciled, \
                f"{currency} does not reconcile: {totals.to_dict()}\n{report.summary()}"

    q2c.run(scenario)
