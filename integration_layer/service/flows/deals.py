"""Flow 2, quote-to-cash: Opportunity Closed Won -> billing subscription -> CRM Contract
activated, billing ids written back. Flow 4 (amendments) and the cancellation half of
flow 5 act on the same subscription."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from integration_layer.service.flows.accounts import ACCOUNT_FIELDS, billing_customer
from integration_layer.service.flows.context import FlowContext, iso_date
from integration_layer.service.outcomes import Park

CLOSED_WON = "Closed Won"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


async def _lines(ctx: FlowContext, opp: dict[str, Any]) -> dict[str, int]:
    # Salesforce copies a synced quote's lines onto the opportunity's line items and
    # keeps them in step ("Quote Syncing", Salesforce Help), so those are the deal.
    rows = await ctx.vendors.crm.query(
        "SELECT Product2.ProductCode, Quantity FROM OpportunityLineItem"
        f" WHERE OpportunityId = {_quote(opp['Id'])}")
    return _quantities(rows)


def _quantities(rows: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for row in rows:
        code = (row.get("Product2") or {}).get("ProductCode")
        if not code:
            raise Park("PRODUCT_CODE_MISSING", f"line {row} has no product code")
        out[str(code)] += int(row.get("Quantity") or 0)
    return dict(out)


async def prices_for(ctx: FlowContext, codes: list[str], currency: str) -> dict[str, str]:
    """Billing price ids by product code, matched by lookup_key ``{code}:{CURRENCY}``."""
    keys = {f"{code}:{currency.upper()}": code for code in codes}
    found = await ctx.vendors.billing.list_prices(lookup_keys=list(keys), active=True)
    out = {keys[p["lookup_key"]]: str(p["id"]) for p in found if p.get("lookup_key") in keys}
    missing = sorted(set(codes) - set(out))
    if missing:
        raise Park("PRICE_NOT_FOUND", f"no billing price for {missing} in {currency}")
    for code, price in out.items():
        await ctx.links.put("price_code", price, code)
    return out


async def tax_rates_for(ctx: FlowContext, account_id: str) -> list[str]:
    """The billing account's active tax rates for the account's legal entity (a rate's
    ``country`` is the entity's: docs/quote-to-cash.md), which its subscriptions charge."""
    country = await ctx.links.get("account_entity", account_id)
    if country is None:
        account = await ctx.vendors.crm.get("Account", account_id, fields=ACCOUNT_FIELDS)
        country = str(account.get("Legal_Entity__c") or "").upper()
        await ctx.links.put("account_entity", account_id, country)
    rates = ctx.vendors.billing.auto_paginate("/v1/tax_rates", {"active": True, "limit": 100},
                                              path_template="/v1/tax_rates")
    return sorted([str(r["id"]) async for r in rates
                   if str(r.get("country") or "").upper() == country and country])


async def close_won(ctx: FlowContext, opp_id: str) -> None:
    crm = ctx.vendors.crm
    rows = await crm.query(
        "SELECT Id, AccountId, StageName, CurrencyIsoCode, CloseDate,"
        f" Billing_Subscription_Id__c FROM Opportunity WHERE Id = {_quote(opp_id)}")
    if not rows or rows[0].get("StageName") != CLOSED_WON:
        return
    opp = rows[0]
    account_id = str(opp["AccountId"])
    customer_id = await ctx.links.get("billing_customer", account_id)
    if customer_id is None:
        # The account sync may not have run yet (events out of order): create the
        # billing customer here, with the same account-derived key the sync uses, so
        # that whichever runs first creates it and the other replays it.
        account = await crm.get("Account", account_id, fields=ACCOUNT_FIELDS)
        customer_id = await billing_customer(ctx, account)
    sub_id = await ctx.links.get("subscription", opp_id)
    if sub_id is None:
        quantities = await _lines(ctx, opp)
        if not quantities:
            raise Park("NO_LINE_ITEMS", f"opportunity {opp_id} has no line items")
        currency = str(opp.get("CurrencyIsoCode") or "USD")
        prices = await prices_for(ctx, sorted(quantities), currency)
        taxes = await tax_rates_for(ctx, account_id)

        async def create(resumed: bool) -> str:
            billing = ctx.vendors.billing
            params: dict[str, Any] = {
                "customer": customer_id,
                "items": [{"price": prices[c], "quantity": q}
                          for c, q in sorted(quantities.items()) if q > 0],
                "metadata": {"crm_opportunity_id": opp_id, "crm_account_id": account_id,
                             "correlation_id": ctx.flow_id}}
            if taxes:
                params["default_tax_rates"] = taxes

            async def send(key: str | None) -> str:
                sub = await billing.create_subscription(params, idempotency_key=key or "")
                return str(sub["id"])

            async def lookup() -> str | None:
                # The deal's subscription carries its opportunity id in metadata.
                async for sub in billing.auto_paginate(
                        "/v1/subscriptions", {"customer": customer_id, "status": "all",
                                              "limit": 100}):
                    if (sub.get("metadata") or {}).get("crm_opportunity_id") == opp_id:
                        return str(sub["id"])
                return None

            return await ctx.billing_create(f"crm-opportunity:{opp_id}",
                                            "billing.subscription.create", send, lookup)

        sub_id = await ctx.step("billing.subscription", create)
        await ctx.links.put("subscription", opp_id, sub_id)
        await ctx.links.put("subscription_account", sub_id, account_id)
        await ctx.links.put("flow", sub_id, ctx.flow_id)

    async def contract(resumed: bool) -> str:
        result = await crm.upsert("Contract", "External_Id__c", sub_id, {
            "AccountId": account_id, "Status": "Draft", "ContractTerm": 12,
            "StartDate": opp.get("CloseDate") or iso_date(0),
            "Billing_Subscription_Id__c": sub_id})
        contract_id = result.id
        if contract_id is None:
            found = await crm.query(
                f"SELECT Id FROM Contract WHERE External_Id__c = {_quote(sub_id)}")
            contract_id = str(found[0]["Id"])
        await crm.update("Contract", contract_id, {"Status": "Activated"})
        return contract_id

    contract_id = await ctx.step("crm.contract", contract)
    await ctx.links.put("contract_sub", contract_id, sub_id)
    if opp.get("Billing_Subscription_Id__c") != sub_id:
        await crm.update("Opportunity", opp_id, {"Billing_Subscription_Id__c": sub_id})


async def _contract_subscription(ctx: FlowContext, contract_id: str) -> str:
    sub_id = await ctx.links.get("contract_sub", contract_id)
    if sub_id:
        return sub_id
    contract = await ctx.vendors.crm.get("Contract", contract_id,
                                         fields=["Billing_Subscription_Id__c"])
    found = contract.get("Billing_Subscription_Id__c")
    if not found:
        raise ctx.missing(f"the subscription of contract {contract_id}")
    return str(found)


async def amend(ctx: FlowContext, order_id: str) -> None:
    """Flow 4: an activated Order on a synced contract sets the subscription's
    quantities (0 removes a product), prorated and invoiced at once."""
    crm = ctx.vendors.crm
    rows = await crm.query(
        "SELECT Id, ContractId, Status FROM Order"
        f" WHERE Id = {_quote(order_id)}")
    if not rows or rows[0].get("Status") != "Activated" or not rows[0].get("ContractId"):
        return
    sub_id = await _contract_subscription(ctx, str(rows[0]["ContractId"]))
    wanted = _quantities(await crm.query(
        "SELECT Product2.ProductCode, Quantity FROM OrderItem"
        f" WHERE OrderId = {_quote(order_id)}"))
    billing = ctx.vendors.billing
    sub = await billing.retrieve_subscription(sub_id)
    currency = str(sub.get("currency") or "usd")
    current: dict[str, dict[str, Any]] = {}
    for item in (sub.get("items") or {}).get("data") or []:
        price_id = str((item.get("price") or {}).get("id"))
        code = await ctx.links.get("price_code", price_id)
        if code:
            current[code] = item
    prices = await prices_for(ctx, sorted(set(wanted) - set(current)), currency)
    items: list[dict[str, Any]] = []
    for code, qty in sorted(wanted.items()):
        if code in current:
            if qty <= 0:
                items.append({"id": current[code]["id"], "deleted": True})
            elif int(current[code].get("quantity") or 0) != qty:
                items.append({"id": current[code]["id"], "quantity": qty})
        elif qty > 0:
            items.append({"price": prices[code], "quantity": qty})
    if not items:
        return

    async def update(resumed: bool) -> str:
        key = ctx.key(f"crm-order:{order_id}", "billing.subscription.amend")
        await billing.update_subscription(
            sub_id, {"items": items, "proration_behavior": "always_invoice"},
            idempotency_key=key or "")
        return sub_id

    await ctx.step("billing.amend", update)


async def cancel_at_period_end(ctx: FlowContext, contract_id: str) -> None:
    contract = await ctx.vendors.crm.get("Contract", contract_id,
                                         fields=["Cancel_At_Period_End__c"])
    if not contract.get("Cancel_At_Period_End__c"):
        return
    sub_id = await _contract_subscription(ctx, contract_id)

    async def cancel(resumed: bool) -> str:
        key = ctx.key(f"crm-contract:{contract_id}", "billing.subscription.cancel")
        await ctx.parts.cancellation.cancel(ctx.vendors.billing, sub_id, key)
        return sub_id

    await ctx.step("billing.cancel", cancel)
