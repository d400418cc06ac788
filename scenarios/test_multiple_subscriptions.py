"""More than one subscription per account, and a renewal after an amendment.

One customer signs a deal, then a second one on the same account (two subscriptions, two
contracts); an Upgrade Order amends the first only. A month on both renew, the first at
its amended quantities and the second as sold: every invoice posted once, each
subscription as its own deal and amendments say.
"""

from __future__ import annotations

from harness.scenario import Q2C, Q2CRunner

HOUR = 3600


def test_two_subscriptions_on_one_account_amended_and_renewed(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        first, second = q.deals(2, entities=("GB",))
        made = await q.sell(first)
        again = await q.sell_another(made.account_id, second)
        subs = [await q.subscription(m.opportunity_id) for m in (made, again)]
        for sub in subs:
            await q.invoice_of(sub, status="paid", reason="subscription_create")
        contract = await q.contract(made.opportunity_id)
        amended = {code: qty + 2 for code, qty in first.quantities().items()}
        await q.crm.amend(contract["Id"], amended, first.currency)
        await q.invoice_of(subs[0], status=("open", "paid"), reason="subscription_update")
        await q.settled_ok("two subscriptions, the first amended")

        ends = [int((await q.billing.get(f"/v1/subscriptions/{s}"))["current_period_end"])
                for s in subs]
        await q.advance_to(max(ends) + 2 * HOUR)
        renewals = [await q.invoice_of(s, status="paid", reason="subscription_cycle")
                    for s in subs]
        report = await q.settled_ok("both renewed")

        customers = {(await q.billing.get(f"/v1/subscriptions/{s}"))["customer"] for s in subs}
        q.chaos_happened(len(customers) == 1 and len(set(subs)) == 2,
                         f"not two subscriptions of one customer: {subs} {customers}")
        quantities = sorted(line["quantity"] for line in renewals[0]["lines"]["data"])
        q.chaos_happened(quantities == sorted(amended.values()),
                         f"the first renewal bills {quantities}, not the amended "
                         f"{sorted(amended.values())}")
        assert report.counts.get("billing.subscriptions") == 2, report.summary()

    q2c.run(scenario)
