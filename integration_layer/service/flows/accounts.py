"""Flow 1, account sync: CRM Account -> billing customer and ERP customer, ids written
back to the Account. Also the dunning status sync (flow 5) that lands on the Account."""

from __future__ import annotations

from typing import Any

from integration_layer.service.flows.context import FlowContext

WRITE_BACK = {"Billing_Customer_Id__c", "ERP_Customer_Id__c", "Billing_Status__c",
              "LastModifiedDate", "LastModifiedById", "SystemModstamp"}
ACCOUNT_FIELDS = ["Id", "Name", "Legal_Entity__c", "CurrencyIsoCode",
                  "Billing_Customer_Id__c", "ERP_Customer_Id__c", "Billing_Status__c"]


def needs_sync(change: dict[str, Any]) -> bool:
    """Our own write-backs come back as change events; they need no sync."""
    header = change.get("ChangeEventHeader") or {}
    if header.get("changeType") == "CREATE":
        return True
    changed = set(header.get("changedFields") or [])
    return bool(changed - WRITE_BACK)


async def billing_customer(ctx: FlowContext, account: dict[str, Any]) -> str:
    account_id = account["Id"]
    existing = await ctx.links.get("billing_customer", account_id)
    if existing:
        return existing

    async def create(resumed: bool) -> str:
        billing = ctx.vendors.billing

        async def send(key: str | None) -> str:
            # Only stable fields: a create keyed by the account must send the same
            # parameters every time (Stripe refuses a reused key with other params).
            created = await billing.create_customer(
                {"name": account.get("Name") or account_id,
                 "metadata": {"crm_account_id": account_id}},
                idempotency_key=key or "")
            return str(created["id"])

        return await ctx.billing_create(f"crm-account:{account_id}",
                                        "billing.customer.create", send)

    customer_id = await ctx.step("billing.customer", create)
    await ctx.links.put("billing_customer", account_id, customer_id)
    await ctx.links.put("customer_account", customer_id, account_id)
    return customer_id


async def erp_customer(ctx: FlowContext, account: dict[str, Any]) -> str:
    account_id = account["Id"]
    existing = await ctx.links.get("erp_customer", account_id)
    if existing:
        return existing
    subsidiary = await ctx.subsidiary_for(account.get("Legal_Entity__c"))
    currency = await ctx.erp_id("currency", account.get("CurrencyIsoCode") or "USD")

    async def upsert(resumed: bool) -> str:
        erp = ctx.vendors.erp
        body = {"companyName": account.get("Name") or account_id,
                "subsidiary": {"id": subsidiary}, "currency": {"id": currency}}
        internal = await erp.upsert("customer", account_id, body)
        if internal is None:
            found = await erp.get_by_external_id("customer", account_id)
            assert found is not None
            internal = str(found["id"])
        return internal

    erp_id = await ctx.step("erp.customer", upsert)
    await ctx.links.put("erp_customer", account_id, erp_id)
    return erp_id


async def sync_account(ctx: FlowContext, account_id: str) -> None:
    account = await ctx.vendors.crm.get("Account", account_id, fields=ACCOUNT_FIELDS)
    # The legal entity decides the subscriptions' tax rates (flows.deals.tax_rates_for).
    await ctx.links.put("account_entity", account_id,
                        str(account.get("Legal_Entity__c") or "").upper())
    customer_id = await billing_customer(ctx, account)
    if account.get("Billing_Customer_Id__c") != customer_id:
        await ctx.vendors.crm.update("Account", account_id, {
            "Billing_Customer_Id__c": customer_id,
            **({} if account.get("Billing_Status__c") else {"Billing_Status__c": "Active"})})
    erp_id = await erp_customer(ctx, account)
    if account.get("ERP_Customer_Id__c") != erp_id:
        await ctx.vendors.crm.update("Account", account_id, {"ERP_Customer_Id__c": erp_id})


async def account_of_customer(ctx: FlowContext, customer_id: str) -> str:
    account_id = await ctx.links.get("customer_account", customer_id)
    if account_id:
        return account_id
    customer = await ctx.vendors.billing.retrieve_customer(customer_id)
    found = (customer.get("metadata") or {}).get("crm_account_id")
    if not found:
        raise ctx.missing(f"the CRM account of billing customer {customer_id}")
    await ctx.links.put("customer_account", customer_id, str(found))
    return str(found)


async def sync_billing_status(ctx: FlowContext, customer_id: str) -> None:
    """Dunning: the Account's Billing_Status__c follows billing's current truth (the
    customer's ``delinquent`` flag, and no live subscription left -> Churned), so the
    order the events arrive in does not matter."""
    billing = ctx.vendors.billing
    account_id = await account_of_customer(ctx, customer_id)
    customer = await billing.retrieve_customer(customer_id)
    subs = await billing.request("GET", "/v1/subscriptions",
                                 {"customer": customer_id, "status": "all", "limit": 100})
    live = [s for s in subs.get("data") or []
            if s.get("status") not in ("canceled", "incomplete_expired")]
    if customer.get("delinquent"):
        status = "Delinquent"
    elif subs.get("data") and not live:
        status = "Churned"
    else:
        status = "Active"
    account = await ctx.vendors.crm.get("Account", account_id, fields=["Billing_Status__c"])
    if account.get("Billing_Status__c") != status:
        await ctx.vendors.crm.update("Account", account_id, {"Billing_Status__c": status})
