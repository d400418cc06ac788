"""Flows 4 and 5 and the compensation, in process: amendment with proration,
cancellation at period end, dunning status in the CRM, and an unmapped legal entity held
and parked until its ERP subsidiary exists and the events are replayed."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from harness.drivers.world import World as Drivers
from harness.oracle import Oracle
from harness.sandbox import World, world
from tests.integration_layer.service.support import erp_rows, posted, until


@contextlib.asynccontextmanager
async def sandbox() -> AsyncIterator[tuple[World, Drivers]]:
    async with world() as w:
        drivers: Drivers = w.oracle_world()
        try:
            yield w, drivers
        finally:
            await drivers.aclose()


async def _contract(d: Drivers, opp: str) -> dict[str, Any]:
    async def activated() -> dict[str, Any] | None:
        contract = await d.crm.contract_for(opp)
        return contract if contract and contract["Status"] == "Activated" else None

    return await until(activated, "the activated contract")


async def _oracle_ok(w: World) -> None:
    await until(w.settled, "deliveries and the inbox drained")
    async with Oracle(w.oracle_world()) as oracle:
        report = await oracle.check()
    assert report.ok, report.summary()


def test_amendment_prorates_and_posts_invoice_and_credit_memo() -> None:
    async def run() -> None:
        async with sandbox() as (w, d):
            account = await w.account("Umbrella Corp")
            await w.card(account)
            opp = await w.deal(account, {"SKU-PLAT": 1, "SKU-SEAT": 2})
            await until(lambda: posted(w, 2), "the first invoice posted and paid")
            contract = await _contract(d, opp)
            # Seats up to 10 (a charge), the platform removed (a credit for unused time).
            await d.crm.amend(contract["Id"], {"SKU-SEAT": 10, "SKU-PLAT": 0}, "USD")

            async def memo() -> list[dict[str, Any]] | None:
                rows = await erp_rows(w, "CustCred")
                return rows or None

            credits = await until(memo, "the proration credit memo")
            await until(lambda: posted(w, 4), "the proration invoice posted and paid")
            sub = (await w.stripe("/v1/subscriptions"))["data"][0]
            items = {i["price"]["lookup_key"]: i["quantity"] for i in sub["items"]["data"]}
            assert items == {"SKU-SEAT:USD": 10}
            invoices = (await w.stripe("/v1/invoices", {"limit": 10}))["data"]
            assert len(invoices) == 2
            proration = next(i for i in invoices if i["billing_reason"] != "subscription_create")
            assert [c["externalid"] for c in credits] == [f"cr:{proration['id']}"]
            rows = await erp_rows(w, "CustInvc")
            assert sorted(r["externalid"] for r in rows) == sorted(i["id"] for i in invoices)
            erp = await d.erp.get("invoice", f"eid:{proration['id']}", expand=True)
            assert [line["description"] for line in erp["item"]["items"]] == ["SKU-SEAT"]
            memo_doc = await d.erp.get("creditMemo", f"eid:cr:{proration['id']}", expand=True)
            assert [line["description"] for line in memo_doc["item"]["items"]] == ["SKU-PLAT"]
            await _oracle_ok(w)

    asyncio.run(run())


def test_cancellation_at_period_end() -> None:
    async def run() -> None:
        async with sandbox() as (w, d):
            account = await w.account("Stark Industries")
            await w.card(account)
            opp = await w.deal(account, {"SKU-SUPPORT": 1})
            contract = await _contract(d, opp)
            await d.crm.request_cancellation(contract["Id"])

            async def cancelling() -> bool:
                sub = (await w.stripe("/v1/subscriptions"))["data"][0]
                return bool(sub["cancel_at_period_end"])

            await until(cancelling, "cancel_at_period_end on the subscription")
            sub = (await w.stripe("/v1/subscriptions"))["data"][0]
            assert sub["status"] == "active"
            await _oracle_ok(w)

    asyncio.run(run())


async def _billing_status(w: World, account: str, wanted: str) -> bool:
    acct = await w.sf("GET", f"/sobjects/Account/{account}")
    return bool(acct.get("Billing_Status__c") == wanted)


def test_dunning_sets_the_crm_account_delinquent_then_active() -> None:
    async def run() -> None:
        async with sandbox() as (w, d):
            account = await w.account("Wayne Enterprises")
            customer = await w.card(account, "pm_card_chargeCustomerFail")
            await w.deal(account, {"SKU-SEAT": 4})
            await until(lambda: _billing_status(w, account, "Delinquent"),
                        "Billing_Status__c Delinquent")
            invoice = (await w.stripe("/v1/invoices"))["data"][0]
            assert invoice["status"] == "open"
            await d.billing.fix_card(customer)
            await d.billing.pay_invoice(invoice["id"])
            await until(lambda: _billing_status(w, account, "Active"), "Billing_Status__c Active")
            await until(lambda: posted(w, 2), "the invoice and its payment posted")
            await _oracle_ok(w)

    asyncio.run(run())


def test_unmapped_legal_entity_is_held_parked_and_released_by_replay() -> None:
    async def run() -> None:
        async with sandbox() as (w, d):
            account = await w.account("Société Générale de Test", entity="FR", currency="EUR")
            await w.card(account)
            await w.deal(account, {"SKU-PLAT": 1}, currency="EUR")

            async def parked(n: int) -> list[dict[str, Any]] | None:
                rows = (await w.sut.get("/admin/dlq")).json()["data"]
                return rows if len(rows) >= n else None

            # The account sync, the first invoice and its payment: nothing reaches the ERP.
            await until(lambda: parked(3), "the account and first invoice parked")
            # To just past the renewal: the draft hour must not have passed yet.
            sub = (await w.stripe("/v1/subscriptions"))["data"][0]
            period_end = sub.get("current_period_end") or sub["items"]["data"][0].get(
                "current_period_end")
            now = float((await d.billing.clock())["now"])
            await d.billing.advance_clock(period_end - now + 60)

            async def held() -> dict[str, Any] | None:
                invoices = (await w.stripe("/v1/invoices", {"status": "draft"}))["data"]
                return invoices[0] if invoices and invoices[0]["auto_advance"] is False \
                    else None

            renewal = await until(held, "the renewal invoice held in draft")
            await until(w.settled, "deliveries and the inbox drained")
            dlq = (await w.sut.get("/admin/dlq")).json()["data"]
            assert {r["reason"] for r in dlq} == {"LEGAL_ENTITY_UNMAPPED"}, dlq
            assert await erp_rows(w) == []
            await d.erp.add_subsidiary("Fintwin France SAS", "FR", "EUR")
            r = await w.sut.post("/admin/replay", json={})
            assert r.json()["replayed"] == len(dlq)

            async def released() -> bool:
                inv = await w.stripe(f"/v1/invoices/{renewal['id']}")
                return bool(inv["status"] == "paid")

            await until(released, "the held invoice finalized and paid")
            await until(lambda: posted(w, 4), "both invoices and payments posted")
            await until(w.settled, "deliveries and the inbox drained")
            rows = await erp_rows(w)
            assert Counter(r["type"] for r in rows) == {"CustInvc": 2, "CustPymt": 2}
            assert len({r["externalid"] for r in rows}) == 4
            fr = [s for s in await d.erp.subsidiaries() if s["country"] == "FR"]
            erp = await d.erp.get("invoice", f"eid:{renewal['id']}")
            assert str(erp["subsidiary"]["id"]) == str(fr[0]["id"])
            assert (await w.sut.get("/admin/dlq")).json()["count"] == 0
            await _oracle_ok(w)

    asyncio.run(run())
