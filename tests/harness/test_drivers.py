"""Drivers against the real fakes in-process: tenants, a rep's deal, admin actions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from harness.data import DataFactory
from harness.drivers import DriverError, TenantCredentials, World
from tests.harness.support import Stack, run


async def _provision(stack: Stack, scope: str) -> World:
    return await World.provision(stack.endpoints, 3, scope)


def test_tenants_are_deterministic_and_isolated() -> None:
    assert TenantCredentials.derive(3, "a") == TenantCredentials.derive(3, "a")
    assert TenantCredentials.derive(3, "a") != TenantCredentials.derive(3, "b")

    async def go() -> None:
        stack = Stack(admin_token="tok")  # locked control planes: drivers send the token
        one, two = await _provision(stack, "one"), await _provision(stack, "two")
        factory = DataFactory(3, "iso")
        await one.crm.create_account(factory.deal("US"))
        await one.billing.post("/v1/customers", {"name": "x"})
        assert len(await one.crm.query("SELECT Id FROM Account")) == 1
        assert await two.crm.query("SELECT Id FROM Account") == []
        assert len(await one.billing.customers()) == 1
        assert await two.billing.customers() == []
        body = one.connection(billing_webhook_secret="whsec_x")
        assert body["billing"]["api_key"].startswith("sk_test_")
        assert body["erp"]["account_id"] == one.tenant.erp_account_id
        await one.aclose()
        await two.aclose()

    run(go())


def test_crm_deal_quote_close_amend_cancel() -> None:
    async def go() -> None:
        world = await _provision(Stack(), "crm")
        deal = DataFactory(3, "crm").deal("GB", lines=2)
        made = await world.crm.create_deal(deal)
        account = await world.crm.get("Account", made.account_id)
        assert account["Legal_Entity__c"] == "GB" and account["CurrencyIsoCode"] == "GBP"
        opp = await world.crm.get("Opportunity", made.opportunity_id)
        assert opp["Amount"] == deal.monthly_total()
        quote_lines = await world.crm.query(
            f"SELECT Quantity, OpportunityLineItemId FROM QuoteLineItem "
            f"WHERE QuoteId = '{made.quote_id}'")
        assert {q["OpportunityLineItemId"] for q in quote_lines} == set(made.line_ids.values())
        await world.crm.close_won(made.opportunity_id)
        opp = await world.crm.get("Opportunity", made.opportunity_id)
        assert opp["IsWon"] is True and opp["StageName"] == "Closed Won"
        contract = await world.crm.create("Contract", {
            "AccountId": made.account_id, "Status": "Draft", "External_Id__c": "sub_x"})
        await world.crm.update("Contract", contract, {"Status": "Activated"})
        code = deal.lines[0].product.code
        order = await world.crm.amend(contract, {code: 7}, "GBP")
        got = await world.crm.get("Order", order)
        assert got["Status"] == "Activated" and got["Type"] == "Upgrade"
        items = await world.crm.query(
            f"SELECT Quantity, Product2.ProductCode FROM OrderItem WHERE OrderId = '{order}'")
        assert [(i["Product2"]["ProductCode"], i["Quantity"]) for i in items] == [
            (code, Decimal("7.00"))]
        await world.crm.request_cancellation(contract)
        assert (await world.crm.get("Contract", contract))["Cancel_At_Period_End__c"] is True
        sub = await world.crm.subscribe("http://sut.test/webhooks/crm/t", "s3cret")
        assert sub["url"] == "http://sut.test/webhooks/crm/t" and sub["secret"] == "s3cret"
        await world.aclose()

    run(go())


def test_billing_catalog_webhook_cards_credit_and_version() -> None:
    async def go() -> None:
        world = await _provision(Stack(), "billing")
        catalog = DataFactory(3, "billing").catalog(2)
        prices = await world.billing.seed_catalog(catalog)
        key = catalog[0].lookup_key("EUR")
        [price] = await world.billing.all("/v1/prices", {"lookup_keys": [key]})
        assert price["id"] == prices[key]
        assert price["unit_amount"] == catalog[0].price_minor("EUR")
        assert price["recurring"]["interval"] == "month"
        endpoint, secret = await world.billing.register_webhook("http://sut.test/hook")
        assert endpoint.startswith("we_") and secret.startswith("whsec_")
        customer = await world.billing.post("/v1/customers", {"name": "Acme"})
        await world.billing.fix_card(customer["id"])
        sub = await world.billing.post("/v1/subscriptions", {
            "customer": customer["id"], "items": [{"price": prices[key], "quantity": 2}]})
        [invoice] = await world.billing.invoices(subscription=sub["id"])
        assert invoice["status"] == "paid"
        note = await world.billing.credit_note(invoice["id"], 100, refund=True)
        assert note["total"] == 100
        refund = await world.billing.refund_invoice(invoice["id"], 50)
        assert refund["amount"] == 50
        failing = await world.billing.fail_card(customer["id"])
        got = await world.billing.get(f"/v1/customers/{customer['id']}")
        assert got["invoice_settings"]["default_payment_method"] == failing
        failed = await world.billing.post("/v1/subscriptions", {
            "customer": customer["id"], "items": [{"price": prices[key], "quantity": 1}]})
        [open_invoice] = await world.billing.invoices(subscription=failed["id"])
        assert open_invoice["status"] == "open"
        with pytest.raises(DriverError) as declined:
            await world.billing.pay_invoice(open_invoice["id"])
        assert declined.value.status == 402
        result = await world.billing.set_api_version("2025-03-31.basil")
        assert result["api_version"] == "2025-03-31.basil"
        await world.aclose()

    run(go())


def test_erp_items_subsidiary_periods_and_world_clock() -> None:
    async def go() -> None:
        world = await _provision(Stack(), "erp")
        catalog = DataFactory(3, "erp").catalog(2)
        items = await world.erp.seed_items(catalog)
        assert await world.erp.seed_items(catalog) == items  # idempotent
        rows = await world.erp.suiteql("SELECT itemid FROM item")
        assert {p.code for p in catalog} <= {r["itemid"] for r in rows}
        sub = await world.erp.add_subsidiary("Fintwin SAS", "FR", "EUR")
        assert {"FR": sub}.items() <= {r["country"]: r["id"] for r in
                                       await world.erp.subsidiaries()}.items()
        today = await world.erp.today()
        period = await world.erp.period_for(today)
        closed = await world.erp.close_period(today)
        assert closed["closed"] is True
        customer = await world.erp.create("customer", {"companyName": "X",
                                                       "subsidiary": {"id": sub}})
        with pytest.raises(DriverError):
            await world.erp.create("invoice", {
                "entity": {"id": customer}, "tranDate": today.isoformat(),
                "item": {"items": [{"item": {"id": items[catalog[0].code]}, "amount": 10}]}})
        await world.erp.reopen_period(str(period["id"]))
        await world.erp.create("invoice", {
            "entity": {"id": customer}, "tranDate": today.isoformat(),
            "item": {"items": [{"item": {"id": items[catalog[0].code]}, "amount": 10}]}})
        assert set((await world.erp.trial_balance()).values()) == {Decimal(0)}
        before = await world.clock.now()
        await world.clock.advance_days(2)
        after = await world.clock.now()
        assert {k: after[k] - before[k] for k in after} == {
            "crm": 172800.0, "billing": 172800.0, "erp": 172800.0}
        # Sessions expired in business time: the drivers log in again by themselves.
        assert await world.crm.query("SELECT Id FROM Account") == []
        assert await world.erp.today() > today
        await world.aclose()

    run(go())
