"""Every faulty variant misbehaves, visibly, under the fault it is sensitive to, while the
reference stays clean under the same fault (recreates-on-timeout: test_flows.py).

Each case closes one deal in the in-process sandbox with one fault on, waits until the
service has finished what it will do, and reads the three fakes (their end state and
request journals) and the oracle."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from harness.drivers import World as DriverWorld
from harness.oracle import Oracle, Report
from harness.sandbox import World, world
from tests.integration_layer.service.support import (
    LOST_SUBSCRIPTION_CREATE,
    erp_rows,
    put_faults,
    until,
)

ERP_INVOICE = "/services/rest/record/v1/invoice"


@dataclass
class Outcome:
    report: Report
    subscriptions: int
    erp: Counter[str]
    erp_rows: list[dict[str, Any]]
    dlq: list[dict[str, Any]]
    journal: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    invoices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def violations(self) -> set[str]:
        return {v.code for v in self.report.violations}


@dataclass(frozen=True)
class Case:
    fault: Callable[[World], Awaitable[None]]
    lines: dict[str, int]
    entity: str = "US"
    currency: str = "USD"
    finished: str = "settled"  # or the inbox event type that must be finished
    tenant: str | None = None  # a fixed tenant meets the same seeded faults every run
    extra_lines: dict[str, int] = field(default_factory=dict)  # of _micro_price products
    percent_off: str | None = None  # a coupon on the billing customer before the deal closes


async def _inbox_finished(w: World, event_type: str) -> bool:
    rows = await w.service.db.fetchall(  # type: ignore[union-attr]
        "SELECT status FROM inbox WHERE type = ?", (event_type,))
    return bool(rows) and all(r["status"] != "pending" for r in rows)


def _run(variant: str, case: Case) -> Outcome:
    async def run() -> Outcome:
        async with world(variant=variant, tenant=case.tenant) as w:
            await case.fault(w)
            account = await w.account("Cyberdyne Systems", entity=case.entity,
                                      currency=case.currency)
            customer = await w.card(account)
            if case.percent_off is not None:
                async with DriverWorld(w.driver_endpoints(), w.credentials(),
                                       observer=True) as drivers:
                    await drivers.billing.give_discount(customer, percent_off=case.percent_off)
            opp = await w.deal(account, case.lines, currency=case.currency,
                               close=not case.extra_lines)
            if case.extra_lines:
                for code, qty in case.extra_lines.items():
                    await w.sf("POST", "/sobjects/OpportunityLineItem/", {
                        "OpportunityId": opp, "Quantity": qty, "UnitPrice": 0.29,
                        "PricebookEntryId": w.pricebook_entries[(code, case.currency)]})
                await w.sf("PATCH", f"/sobjects/Opportunity/{opp}", {"StageName": "Closed Won"})
            if case.finished == "settled":
                await until(w.settled, "the service done with the deal")
            else:
                await until(lambda: _inbox_finished(w, case.finished),
                            f"{case.finished} handled")
                if variant == "reference":
                    await until(w.settled, "the service done with the deal")
            rows = await erp_rows(w)
            journal = {name: (await client.get("/_sim/journal", params={"tenant": tenant})
                              ).json()["data"]
                       for name, client, tenant in (("billing", w.billing, w.api_key),
                                                    ("erp", w.erp, w.erp_account))}
            async with Oracle(w.oracle_world()) as oracle:
                report = await oracle.check()
            return Outcome(
                report=report,
                subscriptions=len((await w.stripe("/v1/subscriptions"))["data"]),
                erp=Counter(str(r["type"]) for r in rows), erp_rows=rows,
                dlq=(await w.sut.get("/admin/dlq")).json()["data"], journal=journal,
                invoices=(await w.stripe("/v1/invoices"))["data"])

    return asyncio.run(run())


def _both(variant: str, case: Case) -> tuple[Outcome, Outcome]:
    reference = _run("reference", case)
    assert reference.report.ok, reference.report.summary()
    assert reference.dlq == [] or case.entity != "US", reference.dlq
    return reference, _run(variant, case)


def _billing_faults(plan: dict[str, Any]) -> Callable[[World], Awaitable[None]]:
    async def apply(w: World) -> None:
        await put_faults(w.billing, plan)
    return apply


def _erp_faults(plan: dict[str, Any]) -> Callable[[World], Awaitable[None]]:
    async def apply(w: World) -> None:
        await put_faults(w.erp, plan)
    return apply


async def _no_fault(w: World) -> None:
    return None


def _erp_invoice_posts(outcome: Outcome) -> list[int]:
    return [e["status"] for e in outcome.journal["erp"]
            if e["method"] == "POST" and e["path"] == ERP_INVOICE]


def test_no_dedupe_reruns_duplicate_deliveries_into_the_erp() -> None:
    storm = {"deliveries": {"duplicate": {"probability": 1, "copies": 3, "spacing": "1ms"}}}
    reference, faulty = _both("no-dedupe", Case(_billing_faults(storm), {"SKU-SEAT": 2}))
    assert _erp_invoice_posts(reference) == [204]
    posts = _erp_invoice_posts(faulty)
    assert len(posts) > 1, posts  # the same invoice written again...
    assert any(status >= 400 for status in posts), posts  # ...and refused as a duplicate


def test_no_idempotency_keys_duplicates_a_subscription_after_a_lost_response() -> None:
    reference, faulty = _both("no-idempotency-keys",
                              Case(_billing_faults(LOST_SUBSCRIPTION_CREATE), {"SKU-SEAT": 2}))
    assert reference.subscriptions == 1
    assert faulty.subscriptions == 2
    assert "SUBSCRIPTION_DUPLICATE" in faulty.violations, faulty.report.summary()


def _retry_gaps(outcome: Outcome, path: str) -> list[tuple[float, float]]:
    """(seconds between a 429 and the next try of the same call, Retry-After)."""
    calls = [e for e in outcome.journal["billing"]
             if e["method"] == "POST" and e["path"] == path]
    return [(nxt["wall"] - cur["wall"], float(cur["retry_after"]))
            for cur, nxt in pairwise(calls) if cur["status"] == 429]


def test_ignores_retry_after_retries_before_the_time_allowed() -> None:
    plan = {"rules": [{"name": "slow-down", "match": {"method": "POST", "path": "/v1/customers",
                                                       "first": 1},
                       "fault": {"rate_limit": {"retry_after": "1s"}}}]}
    reference, faulty = _both("ignores-retry-after", Case(_billing_faults(plan), {"SKU-SEAT": 1}))
    ref_gaps, gaps = _retry_gaps(reference, "/v1/customers"), _retry_gaps(faulty, "/v1/customers")
    assert ref_gaps and all(gap >= allowed for gap, allowed in ref_gaps), ref_gaps
    assert gaps and all(gap < allowed for gap, allowed in gaps), gaps


def test_drops_on_5xx_never_posts_an_invoice_after_an_erp_outage() -> None:
    outage = {"rules": [{"name": "erp-down", "match": {"method": "POST", "path": ERP_INVOICE,
                                                        "first": 6},
                         "fault": {"error": {"status": 503}}}]}
    case = Case(_erp_faults(outage), {"SKU-SEAT": 2}, finished="invoice.finalized")
    reference, faulty = _both("drops-on-5xx", case)
    assert reference.erp["CustInvc"] == 1
    assert faulty.erp["CustInvc"] == 0
    assert 503 in _erp_invoice_posts(faulty)


async def _micro_price(w: World) -> None:
    """SKU-API at 0.29 USD a unit, in the three systems."""
    code, minor = "SKU-API", 29
    prod = await w.sf("POST", "/sobjects/Product2/", {"Name": code, "ProductCode": code,
                                                     "IsActive": True})
    entry = await w.sf("POST", "/sobjects/PricebookEntry/", {
        "Pricebook2Id": w.standard_pricebook, "Product2Id": prod["id"],
        "UnitPrice": minor / 100, "IsActive": True, "CurrencyIsoCode": "USD"})
    w.pricebook_entries[(code, "USD")] = entry["id"]
    auth = {"Authorization": f"Bearer {w.api_key}"}
    bprod = (await w.billing.post("/v1/products", data={"name": code}, headers=auth)).json()
    r = await w.billing.post("/v1/prices", headers=auth, data={
        "product": bprod["id"], "currency": "usd", "unit_amount": minor,
        "recurring[interval]": "month", "lookup_key": f"{code}:USD"})
    assert r.status_code == 200, r.text
    assert w.erp_client is not None
    income = await w.suiteql("SELECT id FROM account WHERE acctnumber = '4000'")
    await w.erp_client.create("serviceSaleItem", {
        "itemId": code, "displayName": code, "incomeAccount": {"id": str(income[0]["id"])}})


def test_float_money_posts_amounts_a_cent_off() -> None:
    # 0.29 is 28.999999999999996 cents as a binary float: truncated, a cent short.
    case = Case(_micro_price, {"SKU-SEAT": 1}, extra_lines={"SKU-API": 1})
    reference, faulty = _both("float-money", case)
    assert {str(r["foreigntotal"]) for r in reference.erp_rows} == {"20.28"}
    assert "20.27" in {str(r["foreigntotal"]) for r in faulty.erp_rows}
    assert "ERP_INVOICE_AMOUNT_MISMATCH" in faulty.violations, faulty.report.summary()


def test_assumes_in_order_loses_the_payment_of_a_reordered_invoice() -> None:
    # Seeded per tenant: this tenant's invoice.paid is delivered before invoice.finalized.
    reorder = {"deliveries": {"reorder": {"window": 10}}}
    reference, faulty = _both("assumes-in-order", Case(_billing_faults(reorder),
                                                       {"SKU-SEAT": 3}, tenant="0000000001"))
    assert reference.erp == Counter({"CustInvc": 1, "CustPymt": 1})
    assert faulty.erp["CustPymt"] == 0, faulty.erp
    assert "ERP_PAYMENT_MISSING" in faulty.violations, faulty.report.summary()


async def _basil(w: World) -> None:
    r = await w.billing.put("/_sim/billing/account", params={"tenant": w.api_key},
                            json={"api_version": "2025-03-31.basil"})
    assert r.status_code == 200, r.text


def test_pre_basil_only_leaves_invoices_unposted_after_the_upgrade() -> None:
    reference, faulty = _both("pre-basil-only", Case(_basil, {"SKU-SEAT": 2}))
    assert reference.erp == Counter({"CustInvc": 1, "CustPymt": 1})
    assert faulty.erp["CustInvc"] == 0
    assert {r["reason"] for r in faulty.dlq} == {"UNMAPPED_INVOICE"}, faulty.dlq


def test_no_legal_entity_check_posts_to_the_parent_subsidiary() -> None:
    case = Case(_no_fault, {"SKU-PLAT": 1}, entity="FR", currency="EUR")
    reference, faulty = _both("no-legal-entity-check", case)
    assert reference.erp == Counter()
    assert {r["reason"] for r in reference.dlq} == {"LEGAL_ENTITY_UNMAPPED"}
    assert faulty.erp["CustInvc"] == 1
    assert "ERP_POSTED_UNMAPPED_ENTITY" in faulty.violations, faulty.report.summary()



def test_ignores_discounts_posts_an_invoice_before_its_coupon() -> None:
    reference, faulty = _both("ignores-discounts",
                              Case(_no_fault, {"SKU-SEAT": 2}, percent_off="12.5"))
    for outcome in (reference, faulty):
        [inv] = outcome.invoices
        # 12.5 % of the subtotal, rounded half up to the cent.
        assert [d["amount"] for d in inv["total_discount_amounts"]] == [(inv["subtotal"] + 4) // 8]
    [ref_inv], [inv] = reference.invoices, faulty.invoices
    def erp_invoices(o: Outcome) -> list[str]:
        return [str(r["foreigntotal"]) for r in o.erp_rows if r["type"] == "CustInvc"]

    assert erp_invoices(reference) == [str(Decimal(ref_inv["total"]) / 100)]
    assert erp_invoices(faulty) == [str(Decimal(inv["subtotal"]) / 100)]
    [mismatch] = faulty.report.by_code("ERP_INVOICE_AMOUNT_MISMATCH")
    assert mismatch.details["cause"] == "discounts not taken off", faulty.report.summary()
