"""Taxed invoices in several jurisdictions, one per legal entity: US sales tax added to the
price (exclusive), GB VAT and German USt inside it (inclusive). Finance sets the rates up
in billing; the SUT charges each entity's subscriptions at its rates; the ERP must book
exactly billing's tax, per invoice and credit note and per jurisdiction, and its totals
must be billing's (an inclusive tax is not revenue).

Some deals carry a 0.29 add-on, whose tax rounds; one is amended (its proration is
taxed too) and one credited (the credit note takes its share of the tax back).
"""

from __future__ import annotations

from typing import Any

from harness.scenario import Q2C, Q2CRunner, odd_cents_product, with_line

RATES: tuple[dict[str, Any], ...] = (
    {"display_name": "Sales tax", "percentage": "8.875", "inclusive": False, "country": "US",
     "state": "NY", "jurisdiction": "US-NY", "tax_type": "sales_tax"},
    {"display_name": "VAT", "percentage": "20", "inclusive": True, "country": "GB",
     "jurisdiction": "GB", "tax_type": "vat"},
    {"display_name": "USt", "percentage": "19", "inclusive": True, "country": "DE",
     "jurisdiction": "DE", "tax_type": "vat"},
)
JURISDICTIONS = {"US/USD", "GB/GBP", "DE/EUR"}


def test_taxes_are_booked_as_billed_per_invoice_and_jurisdiction(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        for rate in RATES:
            await q.billing.post("/v1/tax_rates", rate)
        addon = odd_cents_product("SKU-TAXPACK")
        await q.add_product(addon)
        deals = [with_line(d, addon, 3) if i % 2 else d
                 for i, d in enumerate(q.deals(6, entities=("US", "GB", "DE")))]
        subs = []
        for deal in deals:
            made = await q.sell(deal)
            subs.append((deal, made, await q.subscription(made.opportunity_id)))
        deal, made, sub = subs[0]
        contract = await q.contract(made.opportunity_id)
        await q.invoice_of(sub, status="paid", reason="subscription_create")
        await q.crm.amend(contract["Id"], {c: n + 1 for c, n in deal.quantities().items()},
                          deal.currency)
        _, _, credited = subs[1]
        invoice = await q.invoice_of(credited, status="paid", reason="subscription_create")
        await q.billing.credit_note(invoice["id"], invoice["total"] // 3,
                                    reason="order_change")
        report = await q.settled_ok("taxed invoices")

        behaviours = {bool(t.get("inclusive")) for s in subs
                      for i in await q.invoices(s[2]) for t in i["total_tax_amounts"]}
        q.chaos_happened(behaviours == {True, False},
                         f"not both inclusive and exclusive taxes were charged: {behaviours}")
        taxed = {k for k, t in report.tax.items() if t.billing_tax and t.erp_tax}
        q.chaos_happened(taxed == JURISDICTIONS,
                         f"tax booked in {sorted(taxed)}, not in {sorted(JURISDICTIONS)}")
        assert all(t.reconciled for t in report.tax.values()), report.to_dict()["tax"]

    q2c.run(scenario)
