"""The reference service through flows 1-3 against the three fakes, in process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tests.integration_layer.service.world import World, world

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
