"""Cancellation at period end: service runs to the end of the paid period, then stops.

Three customers; one asks to cancel the day it signs, one ten days into its first month,
one stays. At the end of the month the first two subscriptions end (not earlier: they
were paid for the month; not later: no renewal is charged) and the CRM says Churned; the
third renews.
"""

from __future__ import annotations

from harness.scenario import Q2C, Q2CRunner

HOUR, DAY = 3600, 86400


def test_cancelled_subscriptions_run_to_the_end_of_the_paid_period(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        subs, contracts, accounts = [], [], []
        for deal in q.deals(3, entities=("US", "GB", "DE")):
            made = await q.sell(deal)
            subs.append(await q.subscription(made.opportunity_id))
            contracts.append((await q.contract(made.opportunity_id))["Id"])
            accounts.append(made.account_id)
            await q.invoice_of(subs[-1], status="paid")
        await q.crm.request_cancellation(contracts[0])
        await q.settled_ok("a cancellation asked for on day one")
        await q.clock.advance(10 * DAY)
        await q.crm.request_cancellation(contracts[1])
        await q.settled_ok("a cancellation asked for ten days in")

        ends = [int((await q.billing.get(f"/v1/subscriptions/{s}"))["current_period_end"])
                for s in subs]
        await q.advance_to(max(ends) + 2 * HOUR)
        for sub in subs[:2]:
            async def ended(sub: str = sub) -> bool:
                found = await q.billing.get(f"/v1/subscriptions/{sub}")
                return found["status"] == "canceled"

            await q.until(ended, what=f"{sub} ended at its period end")
        await q.invoice_of(subs[2], status="paid", reason="subscription_cycle",
                          what="the renewal of the subscription that stays")
        await q.settled_ok("the period end")

        for sub, end, account in zip(subs[:2], ends, accounts, strict=False):
            found = await q.billing.get(f"/v1/subscriptions/{sub}")
            q.chaos_happened(found.get("ended_at") == end,
                             f"{sub} did not end at its period end {end}: {found.get('ended_at')}")
            renewals = [i for i in await q.invoices(sub)
                        if i["billing_reason"] == "subscription_cycle"]
            q.chaos_happened(not renewals, f"{sub} was renewed after it was cancelled")
            status = await q.account_field(account, "Billing_Status__c")
            assert status == "Churned", f"account {account} is {status!r}, not Churned"

    q2c.run(scenario)
