"""The reference service through flows 1-3 against the three fakes, in process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from harness.sandbox import World, world

T = TypeVar("T")


async def until(probe: Callable[[], Awaitable[T | None]], what: str,
                timeout: float = 20.0) -> T:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def _posted(w: World, n: int) -> list[dict[str, Any]] | None:
    rows = await w.suiteql("SELECT externalid, foreigntotal, type FROM transaction"
                           " WHERE type IN ('CustInvc', 'CustPymt')")
    return rows if len(rows) >= n else None


def test_close_won_deal_is_billed_posted_and_paid() -> None:
    async def run() -> None:
        async with world() as w:
            account = await w.account("Acme Corp")
            await w.card(account)
            opp = await w.deal(account, {"SKU-PLAT": 1, "SKU-SEAT": 3})
            rows = await until(lambda: _posted(w, 2), "ERP invoice and payment")
            subs = (await w.stripe("/v1/subscriptions"))["data"]
            assert len(subs) == 1 and subs[0]["metadata"]["crm_opportunity_id"] == opp
            inv = (await w.stripe("/v1/invoices"))["data"][0]
            totals = {r["type"]: r["foreigntotal"] for r in rows}
            assert str(totals["CustInvc"]) in ("179.97", "179.970")
            assert inv["total"] == 17_997
            acct = await w.sf("GET", f"/sobjects/Account/{account}")
            assert acct["Billing_Customer_Id__c"] == subs[0]["customer"]
            assert acct["ERP_Customer_Id__c"]
            stats = await w.stats()
            assert stats["inbox"].get("parked", 0) == 0, stats

    asyncio.run(run())


async def _deal_posted(w: World, lines: dict[str, int]) -> tuple[str, list[dict[str, Any]]]:
    account = await w.account("Globex GmbH", entity="DE", currency="EUR")
    await w.card(account)
    opp = await w.deal(account, lines, currency="EUR")
    rows = await until(lambda: _posted(w, 2), "ERP invoice and payment")
    return opp, rows


LOST_SUBSCRIPTION_CREATE = {"rules": [
    {"name": "lost-sub", "match": {"method": "POST", "path": "/v1/subscriptions", "first": 1},
     "fault": {"commit_then_fail": {"mode": "reset"}}}]}
LOST_ERP_INVOICE = {"rules": [
    {"name": "lost-inv", "match": {"method": "POST", "path": "/services/rest/record/v1/invoice",
                                   "first": 1},
     "fault": {"commit_then_fail": {"mode": "502"}}}]}
STORM = {"deliveries": {"duplicate": {"probability": 1, "copies": 3, "spacing": "1ms"},
                        "reorder": {"window": 4}}}


def _exactly_once(variant: str = "reference") -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with world(variant=variant) as w:
            plans = ((w.billing, {**LOST_SUBSCRIPTION_CREATE, **STORM}),
                     (w.erp, LOST_ERP_INVOICE), (w.crm, STORM))
            for client, plan in plans:
                r = await client.put("/_sim/faults", json=plan)
                assert r.status_code == 200, r.text
            await _deal_posted(w, {"SKU-SUPPORT": 2})
            await until(w.settled, "deliveries and the inbox drained")
            subs = (await w.stripe("/v1/subscriptions"))["data"]
            rows = await w.suiteql("SELECT externalid, type FROM transaction")
            log = (await w.billing.get("/_sim/faults/log",
                                       params={"tenant": w.api_key})).json()["data"]
            stats = await w.stats()
            from harness.oracle import Oracle

            async with Oracle(w.oracle_world()) as oracle:
                report = await oracle.check()
            return {"report": report, "subscriptions": len(subs),
                    "erp": sorted(r["type"] for r in rows),
                    "faults": [e["rule"] for e in log], "stats": stats}

    return asyncio.run(run())


def test_reference_is_exactly_once_under_lost_responses_and_duplicate_storms() -> None:
    result = _exactly_once()
    assert "lost-sub" in result["faults"]
    assert result["subscriptions"] == 1
    assert result["erp"] == ["CustInvc", "CustPymt"]
    assert result["stats"]["inbox"]["duplicates_absorbed"] > 0
    assert result["stats"]["inbox"].get("parked", 0) == 0
    assert result["report"].ok, result["report"].summary()


def test_recreate_on_timeout_variant_duplicates_the_subscription() -> None:
    result = _exactly_once("recreates-on-timeout")
    assert result["subscriptions"] == 2
    assert not result["report"].ok
