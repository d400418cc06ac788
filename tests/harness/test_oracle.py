"""The oracle on hand-built worlds: correct gives nothing; each defect its own violation."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from harness.data import DataFactory
from harness.drivers import World
from harness.drivers.base import DriverError
from harness.oracle import Oracle, Report, Severity, codes
from tests.harness.handsut import HandSut, Synced, new_deal
from tests.harness.support import Stack, run

Build = Callable[[World, HandSut, DataFactory], Awaitable[None]]


async def _world(scope: str, build: Build) -> Report:
    stack = Stack(seed=11)
    world = await World.provision(stack.endpoints, 11, scope)
    factory = DataFactory(11, scope)
    sut = HandSut(world)
    await sut.setup(factory)
    try:
        await build(world, sut, factory)
        async with Oracle(world) as oracle:
            return await oracle.check()
    finally:
        await world.aclose()


def check(scope: str, build: Build) -> Report:
    return run(_world(scope, build))


async def _deal(world: World, sut: HandSut, factory: DataFactory, entity: str) -> Synced:
    return await sut.quote_to_cash(await new_deal(world, factory.deal(entity)))


def only(report: Report, code: str, severity: Severity) -> None:
    assert {v.code for v in report.violations} == {code}, report.summary()
    assert all(v.severity is severity for v in report.violations)


def test_correct_world_has_no_violations_and_reconciles() -> None:
    async def build(world: World, sut: HandSut, factory: DataFactory) -> None:
        for entity in ("US", "GB", "DE"):
            await _deal(world, sut, factory, entity)
        # A credit note on a paid invoice, credited to the balance, and its credit memo.
        de = await _deal(world, sut, factory, "DE")
        invoice = (await world.billing.invoices(subscription=de.subscription_id))[0]
        note = await world.billing.credit_note(invoice["id"], 1000)
        await sut.post_credit_memo(de, note)
        # An account whose legal entity has no subsidiary: nothing posted, nothing owed.
        await _deal(world, sut, factory, "FR")

    report = check("correct", build)
    assert report.ok, report.summary()
    assert set(report.totals) == {"USD", "GBP", "EUR"}
    assert all(t.reconciled for t in report.totals.values())
    eur = report.totals_for("EUR")
    assert eur.billing_credited == eur.erp_credited == Decimal("10.00")
    assert eur.held > 0  # the FR deal's first invoice
    assert report.counts["crm.accounts"] == 5
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True and data["totals"]["EUR"]["credited_gap"] == "0.00"


def test_duplicated_erp_invoice() -> None:
    async def build(world: World, sut: HandSut, factory: DataFactory) -> None:
        synced = await _deal(world, sut, factory, "GB")
        invoice = (await world.billing.invoices(subscription=synced.subscription_id))[0]
        body = await world.erp.get("invoice", synced.erp_invoices[invoice["id"]], expand=True)
        # The ERP refuses a second externalId, so a SUT that double-posts does it without
        # the key (a retry that lost it): the oracle attributes it by customer and amount.
        await world.erp.create("invoice", {
            "entity": body["entity"],
            "subsidiary": body["subsidiary"], "currency": body["currency"],
            "item": {"items": [{"item": line["item"], "quantity": line["quantity"],
                                "amount": line["amount"]}
                               for line in body["item"]["items"]]}})

    report = check("dup-invoice", build)
    only(report, codes.ERP_INVOICE_DUPLICATE, Severity.REVENUE)
    violation = report.violations[0]
    assert len(violation.refs.erp) == 2 and violation.refs.billing[0].startswith("in_")
    assert violation.refs.crm  # the account
    assert report.totals_for("GBP").invoiced_gap < 0


def test_missing_payment() -> None:
    async def build(world: World, sut: HandSut, factory: DataFactory) -> None:
        synced = await sut.sync_account(await new_deal(world, factory.deal("US")))
        for invoice in await sut.close_won(synced):
            await sut.post_invoice(synced, invoice)  # paid in billing, no ERP payment

    report = check("no-payment", build)
    only(report, codes.ERP_PAYMENT_MISSING, Severity.REVENUE)
    assert report.totals_for("USD").paid_gap > 0


def test_amount_off_by_one_cent() -> None:
    async def build(world: World, sut: HandSut, factory: DataFactory) -> None:
        synced = await sut.sync_account(await new_deal(world, factory.deal("DE")))
        for invoice in await sut.close_won(synced):
            invoice["lines"]["data"][0]["amount"] += 1  # the SUT rounds one line wrong
            await sut.post_invoice(synced, invoice)
            invoice["lines"]["data"][0]["amount"] -= 1
            await sut.post_payment(synced, invoice)

    report = check("one-cent", build)
    [mismatch] = report.by_code(codes.ERP_INVOICE_AMOUNT_MISMATCH)
    assert mismatch.severity is Severity.REVENUE
    assert mismatch.details["difference"] == Decimal("0.01")
    # The payment of the billed amount leaves the cent open in the ERP.
    assert report.codes() == sorted([codes.ERP_INVOICE_AMOUNT_MISMATCH,
                                     codes.ERP_PAYMENT_NOT_APPLIED]), report.summary()
    assert report.totals_for("EUR").invoiced_gap == Decimal("-0.01")


def test_wrong_subsidiary() -> None:
    async def build(world: World, sut: HandSut, factory: DataFactory) -> None:
        sut.subsidiaries["GB"] = sut.subsidiaries["US"]  # a mapping bug: GB goes to the US
        await _deal(world, sut, factory, "GB")

    report = check("wrong-sub", build)
    assert set(report.codes()) == {codes.CUSTOMER_ERP_WRONG_SUBSIDIARY,
                                   codes.ERP_INVOICE_WRONG_SUBSIDIARY}, report.summary()
    [wrong] = report.by_code(codes.ERP_INVOICE_WRONG_SUBSIDIARY)
    assert wrong.severity is Severity.COMPLIANCE
    assert wrong.details == {"expected": "2", "actual": "1"}


def test_missing_write_back() -> None:
    async def build(world: World, sut: HandSut, factory: DataFactory) -> None:
        synced = await _deal(world, sut, factory, "US")
        await world.crm.update("Opportunity", synced.crm.opportunity_id,
                               {"Billing_Subscription_Id__c": None})

    report = check("no-writeback", build)
    only(report, codes.WRITEBACK_MISSING, Severity.COSMETIC)
    assert report.violations[0].details["field"] == "Opportunity.Billing_Subscription_Id__c"


async def _delinquent(world: World, sut: HandSut, factory: DataFactory,
                      flag: bool) -> None:
    synced = await _deal(world, sut, factory, "US")
    await world.billing.fail_card(synced.customer_id)
    # A month later the renewal is charged and fails: the customer is delinquent.
    await world.clock.advance_days(32)
    customer = await world.billing.get(f"/v1/customers/{synced.customer_id}")
    assert customer["delinquent"] is True
    for invoice in await world.billing.invoices(subscription=synced.subscription_id):
        if invoice["id"] not in synced.erp_invoices and invoice["status"] != "draft":
            await sut.post_invoice(synced, invoice)
    if flag:
        await world.crm.update("Account", synced.crm.account_id,
                               {"Billing_Status__c": "Delinquent"})


def test_delinquent_customer_flagged_is_consistent() -> None:
    async def build(world: World, sut: HandSut, factory: DataFactory) -> None:
        await _delinquent(world, sut, factory, flag=True)

    report = check("delinquent-ok", build)
    assert report.ok, report.summary()


def test_missing_delinquent_flag() -> None:
    async def build(world: World, sut: HandSut, factory: DataFactory) -> None:
        await _delinquent(world, sut, factory, flag=False)

    report = check("delinquent-missing", build)
    only(report, codes.BILLING_STATUS_MISMATCH, Severity.COSMETIC)
    assert report.violations[0].details == {"expected": "Delinquent", "actual": None}


def test_a_posting_dated_by_another_day_is_read_from_the_erp() -> None:
    async def build(world: World, sut: HandSut, factory: DataFactory) -> None:
        synced = await sut.sync_account(await new_deal(world, factory.deal("US")))
        for invoice in await sut.close_won(synced):
            invoice["status_transitions"]["finalized_at"] += 2 * 86400  # processed later
            await sut.post_invoice(synced, invoice)
            invoice["status_transitions"]["finalized_at"] -= 2 * 86400
            await sut.post_payment(synced, invoice)

    report = check("wrong-date", build)
    only(report, codes.ERP_POSTING_WRONG_DATE, Severity.COMPLIANCE)
    assert report.violations[0].details["actual"] > report.violations[0].details["expected"]


def test_a_refusal_in_the_erp_journal_against_the_dlq() -> None:
    """A write the ERP refuses for good (an inactive item), read from the ERP's journal
    with its error code: unparked it is a violation; a DLQ naming the code matches it."""
    async def refused(parked: list[Any]) -> Report:
        stack = Stack(seed=11)
        world = await World.provision(stack.endpoints, 11, "refusal")
        factory = DataFactory(11, "refusal")
        sut = HandSut(world)
        await sut.setup(factory)
        try:
            synced = await sut.sync_account(await new_deal(world, factory.deal("US")))
            code = synced.crm.deal.lines[0].product.code
            await world.erp.update("serviceSaleItem", sut.items[code], {"isInactive": True})
            invoice = (await sut.close_won(synced))[0]
            with pytest.raises(DriverError):
                await sut.post_invoice(synced, invoice)

            async def dlq() -> list[Any]:
                return parked

            async with Oracle(world, checks=["vendor_refusals"], dlq=dlq) as oracle:
                return await oracle.check()
        finally:
            await world.aclose()

    unparked = run(refused([]))
    only(unparked, codes.VENDOR_REFUSAL_NOT_PARKED, Severity.COMPLIANCE)
    assert unparked.violations[0].details["error_code"] == "INVALID_FLD_VALUE"
    assert unparked.counts["refusals.permanent"] == 1
    parked = run(refused([{"reason": "VENDOR_REJECTED:INVALID_FLD_VALUE", "detail": "x"}]))
    assert parked.ok, parked.summary()
