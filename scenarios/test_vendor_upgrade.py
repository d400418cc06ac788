"""Vendor API upgrade: mid-run the billing account's default API version flips to
2025-03-31.basil (invoice.subscription, charge and paid move or disappear in the webhook
payloads). Invoices finalized and paid after the flip must still be posted."""

from __future__ import annotations

from harness.scenario import Q2C, Q2CRunner

BASIL = "2025-03-31.basil"
PRE_BASIL = "2024-06-20"


def test_billing_flips_to_basil_mid_run_and_posting_goes_on(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        await q.set_billing_api_version(PRE_BASIL)
        deals = q.deals(4)
        for deal in deals[:2]:
            await q.sell(deal)
        await q.settled_ok(f"before the upgrade ({PRE_BASIL})")
        await q.set_billing_api_version(BASIL)
        for deal in deals[2:]:
            await q.sell(deal)
        report = await q.settled_ok(f"after the upgrade to {BASIL}")
        assert report.counts.get("billing.subscriptions") == 4, report.summary()
        versions = {str(e.body.get("api_version")) for e in q.delivered("billing")
                    if e.event_type == "invoice.finalized"}
        q.chaos_happened(versions == {PRE_BASIL, BASIL},
                         f"invoice.finalized events were delivered in {sorted(versions)}, "
                         f"not in both {PRE_BASIL} and {BASIL}")

    q2c.run(scenario)
