"""Compensation: an account of the FR legal entity, for which the ERP has no subsidiary.
Nothing may be posted to the ERP for it; after a month its renewal invoice must be held
as a draft. Then the ERP admin adds the FR subsidiary, the harness replays the SUT's
parked events, and everything is posted exactly once (the held invoice released)."""

from __future__ import annotations

from typing import Any

from harness.scenario import Q2C, Q2CRunner

HOUR = 3600


def test_unmapped_entity_is_held_then_posted_once_after_the_mapping(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        fr = q.deals(1, entities=("FR",))[0]
        made = await q.sell(fr)
        sub = await q.subscription(made.opportunity_id)
        await q.until(lambda: q.invoices(sub), what="the first FR invoice")
        report = await q.settled()
        assert not report.by_code("ERP_POSTED_UNMAPPED_ENTITY"), \
            f"posted to the ERP for an unmapped legal entity:\n{report.summary()}"
        assert report.counts.get("erp.transactions") == 0, report.summary()

        # A month on, to just past the period end: Stripe creates the renewal invoice as a
        # draft and finalizes it an hour later, unless the SUT holds it (auto_advance off).
        period_end = int((await q.billing.get(f"/v1/subscriptions/{sub}"))["current_period_end"])
        now = (await q.clock.now())["billing"]
        await q.clock.advance(period_end - now + 60)

        async def renewal() -> dict[str, Any] | None:
            found = [i for i in await q.invoices(sub)
                     if i["billing_reason"] == "subscription_cycle"]
            return found[0] if found and found[0].get("auto_advance") is False else None

        held = await q.until(renewal, what="the renewal invoice held (auto_advance false)")
        await q.clock.advance(2 * HOUR)  # past the hour Stripe would have waited
        invoice = await q.billing.get(f"/v1/invoices/{held['id']}")
        assert invoice["status"] == "draft", \
            f"the renewal of an unmapped entity was not held: {invoice['status']}"
        report = await q.settled()
        assert not report.by_code("INVOICE_NOT_HELD"), \
            f"the renewal of an unmapped entity was not held:\n{report.summary()}"
        assert not report.by_code("ERP_POSTED_UNMAPPED_ENTITY"), report.summary()

        await q.erp.add_subsidiary("Fintwin France SAS", "FR", "EUR")
        q.replay()

        async def released() -> bool:
            return all(i["status"] != "draft" for i in await q.invoices(sub))

        await q.until(released, what="the held renewal invoice released after replay")
        report = await q.settled_ok("compensation after the FR subsidiary was added")
        assert report.totals_for("EUR").erp_invoiced, report.summary()

    q2c.run(scenario)
