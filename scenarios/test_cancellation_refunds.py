"""Cancellation, refunds and credit memos: a contract asks to cancel at period end (the
subscription must say so); credit notes on paid invoices (refunded, or credited to the
balance) become ERP credit memos applied to the ERP invoice, exactly once."""

from __future__ import annotations

from harness.scenario import Q2C, Q2CRunner


def test_cancel_at_period_end_and_credit_notes_become_credit_memos(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        deals = q.deals(3)
        for i, deal in enumerate(deals):
            made = await q.sell(deal)
            sub = await q.subscription(made.opportunity_id)
            contract = await q.contract(made.opportunity_id)

            async def paid(sub: str = sub) -> list[dict]:
                return [i for i in await q.invoices(sub) if i["status"] == "paid"]

            invoice = (await q.until(paid, what=f"a paid invoice on {sub}"))[0]
            if i % 3 != 2:
                await q.billing.credit_note(invoice["id"], invoice["amount_paid"] // 4,
                                            refund=i % 3 == 0, reason="product_unsatisfactory")
            await q.crm.request_cancellation(contract["Id"])

            async def cancelling(sub: str = sub) -> bool:
                got = await q.billing.get(f"/v1/subscriptions/{sub}")
                return bool(got.get("cancel_at_period_end"))

            await q.until(cancelling, what=f"{sub} set to cancel at period end")
        report = await q.settled_ok("cancellation and credit notes")
        assert report.counts.get("billing.credit_notes") == 2, report.summary()

    q2c.run(scenario)
