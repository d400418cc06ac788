"""Dunning: a customer's card fails, the invoice's payment fails, and the SUT flags the
CRM Account ``Billing_Status__c = Delinquent``; the card is fixed and the invoice paid,
and the account is Active again with the payment posted to the ERP."""

from __future__ import annotations

from harness.drivers.billing import CARD_FAILS
from harness.scenario import Q2C, Q2CRunner


def test_failed_payment_flags_delinquent_and_fixing_it_restores_active(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        deal = q.deals(1)[0]
        made = await q.sell(deal, card=CARD_FAILS)
        account = made.account_id

        async def status(wanted: str) -> bool:
            return await q.account_field(account, "Billing_Status__c") == wanted

        await q.until(lambda: status("Delinquent"),
                      what="Account.Billing_Status__c = Delinquent after the payment failed")
        report = await q.settled()
        assert not report.by_code("BILLING_STATUS_MISMATCH"), report.summary()
        sub = await q.subscription(made.opportunity_id)
        customer = await q.billing_customer(account)
        await q.billing.fix_card(customer)
        for invoice in await q.invoices(sub):
            if invoice["status"] == "open":
                await q.billing.pay_invoice(invoice["id"])
        await q.until(lambda: status("Active"),
                      what="Account.Billing_Status__c back to Active after the invoice was paid")
        await q.settled_ok("dunning")

    q2c.run(scenario)
