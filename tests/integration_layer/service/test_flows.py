"""The reference service through flows 1-3 against the three fakes, in process (SQLite,
and PostgreSQL through the ``pg_url`` fixture)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from harness.sandbox import World, world
from tests.integration_layer.service.support import chaos, posted, until


def test_close_won_deal_is_billed_posted_and_paid() -> None:
    async def run() -> None:
        async with world() as w:
            account = await w.account("Acme Corp")
            await w.card(account)
            opp = await w.deal(account, {"SKU-PLAT": 1, "SKU-SEAT": 3})
            rows = await until(lambda: posted(w, 2), "ERP invoice and payment")
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
    rows = await until(lambda: posted(w, 2), "ERP invoice and payment")
    return opp, rows


def _exactly_once(variant: str = "reference", database_url: str | None = None
                  ) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with world(variant=variant, database_url=database_url) as w:
            await chaos(w)
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


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_reference_is_exactly_once_under_lost_responses_and_duplicate_storms(
        database: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("pg_url") if database == "postgres" else None
    result = _exactly_once(database_url=url)
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
