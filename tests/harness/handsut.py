"""The SUT's job done by hand, for oracle tests without an integration layer.

Each function does one step of docs/quote-to-cash.md directly with the drivers, the way a
correct integration layer would; tests then break one thing and expect one violation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from harness.data import DataFactory, Deal, from_minor
from harness.drivers import CrmDeal, World


@dataclass
class Synced:
    """Ids the hand-SUT created for one deal across the three systems."""

    crm: CrmDeal
    customer_id: str = ""
    erp_customer_id: str = ""
    subscription_id: str = ""
    contract_id: str = ""
    erp_invoices: dict[str, str] = field(default_factory=dict)  # in_ -> ERP id
    erp_payments: dict[str, str] = field(default_factory=dict)  # in_ -> ERP id


class HandSut:
    """A correct integration layer, step by step, over one world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.items: dict[str, str] = {}  # ProductCode -> ERP item id
        self.subsidiaries: dict[str, str] = {}  # country -> subsidiary id
        self.currencies: dict[str, str] = {}  # symbol -> ERP currency id

    async def setup(self, factory: DataFactory) -> None:
        catalog = factory.catalog()
        await self.world.billing.seed_catalog(catalog)
        self.items = await self.world.erp.seed_items(catalog)
        await self.refresh_subsidiaries()
        self.currencies = {str(r["symbol"]): str(r["id"]) for r in
                           await self.world.erp.suiteql("SELECT id, symbol FROM currency")}

    async def refresh_subsidiaries(self) -> None:
        self.subsidiaries = {str(r["country"]): str(r["id"])
                             for r in await self.world.erp.subsidiaries() if r.get("country")}

    async def sync_account(self, crm_deal: CrmDeal) -> Synced:
        """Flow 1: billing customer, ERP customer (if the entity is mapped), write-backs."""
        deal, account = crm_deal.deal, crm_deal.account_id
        billing, erp, crm = self.world.billing, self.world.erp, self.world.crm
        customer = await billing.post("/v1/customers", {
            "name": deal.company.name, "email": deal.contacts[0].email,
            "metadata": {"crm_account_id": account}})
        await billing.set_card(customer["id"], fails=False)
        synced = Synced(crm_deal, customer_id=str(customer["id"]))
        fields: dict[str, Any] = {"Billing_Customer_Id__c": customer["id"]}
        subsidiary = self.subsidiaries.get(deal.entity.country)
        if subsidiary is not None:
            await erp.upsert("customer", account, {
                "companyName": deal.company.name, "subsidiary": {"id": subsidiary},
                "currency": {"id": self.currencies[deal.currency]}})
            synced.erp_customer_id = str((await erp.get("customer", f"eid:{account}"))["id"])
            fields["ERP_Customer_Id__c"] = synced.erp_customer_id
        await crm.update("Account", account, fields)
        return synced

    async def close_won(self, synced: Synced) -> list[dict[str, Any]]:
        """Flow 2: subscription, activated contract, write-back; returns its invoices."""
        deal, crm_deal = synced.crm.deal, synced.crm
        billing, crm = self.world.billing, self.world.crm
        await crm.close_won(crm_deal.opportunity_id)
        keys = [line.product.lookup_key(deal.currency) for line in deal.lines]
        prices = {p["lookup_key"]: p["id"] for p in
                  await billing.all("/v1/prices", {"lookup_keys": keys})}
        sub = await billing.post("/v1/subscriptions", {
            "customer": synced.customer_id,
            "items": [{"price": prices[line.product.lookup_key(deal.currency)],
                       "quantity": line.quantity} for line in deal.lines],
            "metadata": {"crm_opportunity_id": crm_deal.opportunity_id,
                         "crm_account_id": crm_deal.account_id}})
        synced.subscription_id = str(sub["id"])
        synced.contract_id = await crm.create("Contract", {
            "AccountId": crm_deal.account_id, "Status": "Draft", "StartDate": deal.close_date,
            "ContractTerm": 12, "External_Id__c": sub["id"],
            "Billing_Subscription_Id__c": sub["id"]})
        await crm.update("Contract", synced.contract_id, {"Status": "Activated"})
        await crm.update("Opportunity", crm_deal.opportunity_id,
                         {"Billing_Subscription_Id__c": sub["id"]})
        return await billing.invoices(subscription=synced.subscription_id)

    async def post_invoice(self, synced: Synced, invoice: dict[str, Any]) -> str:
        """Flow 3: the ERP invoice of a finalized billing invoice."""
        currency = str(invoice["currency"]).upper()
        lines = []
        for line in invoice["lines"]["data"]:
            code = str(line["price"]["lookup_key"]).rpartition(":")[0]
            lines.append({"item": {"id": self.items[code]}, "quantity": line["quantity"],
                          "amount": from_minor(int(line["amount"]), currency)})
        subsidiary = self.subsidiaries[synced.crm.deal.entity.country]
        erp_id = await self.world.erp.create("invoice", {
            "externalId": invoice["id"], "entity": {"id": synced.erp_customer_id},
            "tranDate": day(invoice["status_transitions"]["finalized_at"]),
            "subsidiary": {"id": subsidiary}, "currency": {"id": self.currencies[currency]},
            "item": {"items": lines}})
        synced.erp_invoices[str(invoice["id"])] = erp_id
        return erp_id

    async def post_payment(self, synced: Synced, invoice: dict[str, Any],
                           amount: Decimal | None = None) -> str:
        """Flow 3: the ERP customer payment of a paid billing invoice, applied to it."""
        currency = str(invoice["currency"]).upper()
        paid = amount if amount is not None else from_minor(int(invoice["amount_paid"]),
                                                            currency)
        erp_invoice = synced.erp_invoices[str(invoice["id"])]
        erp_id = await self.world.erp.create("customerPayment", {
            "externalId": f"pay:{invoice['id']}", "customer": {"id": synced.erp_customer_id},
            "tranDate": day(invoice["status_transitions"]["paid_at"]),
            "currency": {"id": self.currencies[currency]}, "payment": paid,
            "apply": {"items": [{"doc": {"id": erp_invoice}, "amount": paid}]}})
        synced.erp_payments[str(invoice["id"])] = erp_id
        return erp_id

    async def post_credit_memo(self, synced: Synced, note: dict[str, Any]) -> str:
        """Flow 3: the ERP credit memo of a billing credit note."""
        currency = str(note["currency"]).upper()
        code = synced.crm.deal.lines[0].product.code
        return await self.world.erp.create("creditMemo", {
            "externalId": note["id"], "entity": {"id": synced.erp_customer_id},
            "tranDate": day(note["created"]),
            "currency": {"id": self.currencies[currency]},
            "item": {"items": [{"item": {"id": self.items[code]},
                                "amount": from_minor(int(note["total"]), currency)}]}})

    async def quote_to_cash(self, crm_deal: CrmDeal) -> Synced:
        """Every flow for one deal: account sync, close-won, post invoices and payments."""
        synced = await self.sync_account(crm_deal)
        invoices = await self.close_won(synced)
        if not synced.erp_customer_id:
            return synced
        for invoice in invoices:
            if invoice["status"] in ("open", "paid") and invoice["total"] > 0:
                await self.post_invoice(synced, invoice)
                if invoice["status"] == "paid":
                    await self.post_payment(synced, invoice)
        return synced


def day(unix: int) -> str:
    """The UTC calendar day of a billing timestamp: the date its ERP posting carries."""
    return dt.datetime.fromtimestamp(int(unix), dt.UTC).date().isoformat()


async def new_deal(world: World, deal: Deal) -> CrmDeal:
    """The sales rep's part: account, contacts, opportunity and quote."""
    return await world.crm.create_deal(deal)
