"""Discounted deals: sales ops gives the customer a coupon before the deal closes (a
percentage for one deal, a fixed amount in the deal's currency for another), so the
first invoice is discounted (Stripe: a customer's discount applies to its subscriptions'
invoices); the SUT must post what the customer is charged, net of the discount, and the
oracle must be clean. Run under chaos too (``--fintwin-chaos default-chaos``)."""

from __future__ import annotations

from harness.scenario import Q2C, Q2CRunner


def test_a_deal_with_a_coupon_posts_its_discounted_amounts(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        deals = q.deals(2)
        discounted = []
        for i, deal in enumerate(deals):
            made = await q.open(deal)
            customer = await q.billing_customer(made.account_id)
            if i == 0:
                await q.billing.give_discount(customer, percent_off="12.5")
            else:
                await q.billing.give_discount(customer, amount_off=1234,
                                              currency=deal.currency)
            await q.crm.close_won(made.opportunity_id)
            discounted.append(await q.subscription(made.opportunity_id))

        async def invoiced() -> bool:
            for sub in discounted:
                invoices = [i for i in await q.invoices(sub) if i["status"] == "paid"]
                if not invoices or not invoices[0].get("total_discount_amounts"):
                    return False
            return True

        await q.until(invoiced, what="a paid, discounted first invoice on every deal")
        report = await q.settled_ok("discounted deals")
        for deal, sub in zip(deals, discounted, strict=True):
            invoice = (await q.invoices(sub))[-1]
            off = sum(d["amount"] for d in invoice["total_discount_amounts"])
            assert 0 < off < deal.monthly_total_minor() <= invoice["subtotal"], invoice["id"]
        assert report.totals, report.summary()

    q2c.run(scenario)
