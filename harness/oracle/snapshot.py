"""Reading the three fakes' end state through their vendor APIs, as an observer.

Every read carries ``X-Fintwin-Observer`` (the drivers built with ``observer=True``), so
it skips faults, rate limits, quotas and the request journal: checking never disturbs a
run. A snapshot is a handful of list calls per system (billing lists paged by 100, SOQL
batches of 2,000, SuiteQL pages of 1,000), cheap enough to repeat inside ``eventually``.

Besides the three systems' business state, a snapshot may hold :class:`Evidence`: the
fakes' request journals (what the SUT sent and what each vendor answered) and the SUT's
parked events (its DLQ, when its manifest names one). Checks that need them say so
(:mod:`harness.oracle.registry`); they are read only then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from harness.drivers.world import World

Row = Mapping[str, Any]
#: Reads the SUT's parked events for this tenant (a list of items), or None.
DlqReader = Callable[[], Awaitable[list[Any]]]
VENDORS = ("crm", "billing", "erp")

ACCOUNT_SOQL = ("SELECT Id, Name, Legal_Entity__c, CurrencyIsoCode, Billing_Customer_Id__c, "
                "ERP_Customer_Id__c, Billing_Status__c FROM Account")
OPPORTUNITY_SOQL = ("SELECT Id, AccountId, StageName, IsWon, CurrencyIsoCode, "
                    "Billing_Subscription_Id__c FROM Opportunity")
OPP_LINE_SOQL = "SELECT Id, OpportunityId, ProductCode, Quantity FROM OpportunityLineItem"
CONTRACT_SOQL = ("SELECT Id, AccountId, Status, External_Id__c, Billing_Subscription_Id__c, "
                 "Cancel_At_Period_End__c, LastModifiedDate FROM Contract")
ORDER_SOQL = ("SELECT Id, ContractId, Status, Type, ActivatedDate, CreatedDate FROM Order "
              "WHERE Status = 'Activated'")
ORDER_ITEM_SOQL = "SELECT Id, OrderId, Product2.ProductCode, Quantity FROM OrderItem"

SUBSIDIARY_QL = "SELECT id, name, country, currency FROM subsidiary"
CURRENCY_QL = "SELECT id, symbol FROM currency"
CUSTOMER_QL = "SELECT id, externalid, subsidiary, currency, companyname FROM customer"
# transaction.subsidiary is not exposed to SuiteQL: the main line carries it.
TRANSACTION_QL = (
    "SELECT t.id AS id, t.type AS type, t.tranid AS tranid, t.externalid AS externalid, "
    "t.foreigntotal AS foreigntotal, t.currency AS currency, t.entity AS entity, "
    "t.postingperiod AS postingperiod, t.status AS status, t.createddate AS createddate, "
    "t.trandate AS trandate, "
    "t.memo AS memo, "
    "tl.subsidiary AS subsidiary FROM transaction t JOIN transactionLine tl "
    "ON tl.transaction = t.id WHERE tl.mainline = 'T'")
BALANCE_QL = ("SELECT transaction, SUM(debit) AS debit, SUM(credit) AS credit "
              "FROM transactionAccountingLine GROUP BY transaction")
CLOSED_PERIOD_QL = ("SELECT id, periodname, startdate, enddate FROM accountingPeriod "
                    "WHERE closed = 'T' AND isquarter = 'F' AND isyear = 'F'")
PERIOD_QL = ("SELECT id, periodname, startdate, enddate, closed FROM accountingPeriod "
             "WHERE isquarter = 'F' AND isyear = 'F'")
# The tax of each transaction: its tax lines (a NetSuite transaction line is a tax line or
# an item line; amounts signed as posted, so compare magnitudes).
TAX_LINE_QL = ("SELECT transaction, SUM(foreignamount) AS tax FROM transactionLine "
               "WHERE taxline = 'T' GROUP BY transaction")


@dataclass(frozen=True)
class CrmState:
    accounts: Sequence[Row] = ()
    opportunities: Sequence[Row] = ()
    opportunity_lines: Sequence[Row] = ()
    contracts: Sequence[Row] = ()
    orders: Sequence[Row] = ()
    order_items: Sequence[Row] = ()


@dataclass(frozen=True)
class BillingState:
    customers: Sequence[Row] = ()
    subscriptions: Sequence[Row] = ()
    invoices: Sequence[Row] = ()
    credit_notes: Sequence[Row] = ()
    tax_rates: Sequence[Row] = ()  # active and inactive


@dataclass(frozen=True)
class ErpState:
    subsidiaries: Sequence[Row] = ()
    currencies: Mapping[str, str] = field(default_factory=dict)  # id -> symbol
    customers: Sequence[Row] = ()
    transactions: Sequence[Row] = ()  # header + main line subsidiary
    balances: Sequence[Row] = ()  # per transaction debit/credit
    trial_balance: Mapping[str, Decimal] = field(default_factory=dict)  # subsidiary -> balance
    closed_periods: Sequence[Row] = ()  # with lastModifiedDate (when it was closed)
    periods: Sequence[Row] = ()  # every posting (monthly) period, open or closed
    tax_lines: Mapping[str, Decimal] = field(default_factory=dict)  # transaction -> its tax


@dataclass(frozen=True)
class Evidence:
    """What the checks of the SUT's conduct read besides business state: the fakes' request
    journals of this tenant (the SUT's requests only: the harness reads as an observer)
    and the SUT's parked events. None: not read (no selected check needs it, or the SUT's
    manifest names no DLQ)."""

    journals: Mapping[str, Sequence[Row]] | None = None  # vendor -> journal entries
    parked: Sequence[Any] | None = None  # the SUT's DLQ items for this tenant


@dataclass(frozen=True)
class Snapshot:
    crm: CrmState
    billing: BillingState
    erp: ErpState
    evidence: Evidence = field(default_factory=Evidence)

    def counts(self) -> dict[str, int]:
        return {
            "crm.accounts": len(self.crm.accounts),
            "crm.opportunities": len(self.crm.opportunities),
            "crm.contracts": len(self.crm.contracts),
            "billing.customers": len(self.billing.customers),
            "billing.subscriptions": len(self.billing.subscriptions),
            "billing.invoices": len(self.billing.invoices),
            "billing.credit_notes": len(self.billing.credit_notes),
            "erp.customers": len(self.erp.customers),
            "erp.transactions": len(self.erp.transactions),
        }


async def read_crm(world: World) -> CrmState:
    crm = world.crm
    accounts, opps, lines, contracts, orders, items = await asyncio.gather(
        crm.query(ACCOUNT_SOQL), crm.query(OPPORTUNITY_SOQL), crm.query(OPP_LINE_SOQL),
        crm.query(CONTRACT_SOQL), crm.query(ORDER_SOQL), crm.query(ORDER_ITEM_SOQL))
    return CrmState(accounts, opps, lines, contracts, orders, items)


async def read_billing(world: World) -> BillingState:
    billing = world.billing
    customers, subs, invoices, notes, rates = await asyncio.gather(
        billing.customers(), billing.subscriptions("all"), billing.invoices(),
        billing.credit_notes(), billing.all("/v1/tax_rates"))
    return BillingState(customers, subs, invoices, notes, rates)


async def read_erp(world: World) -> ErpState:
    erp = world.erp
    # One query after another: a steady sequence is kinder to a SUT sharing the account.
    subsidiaries = await erp.suiteql(SUBSIDIARY_QL)
    currencies = {str(r["id"]): str(r["symbol"]) for r in await erp.suiteql(CURRENCY_QL)}
    customers = await erp.suiteql(CUSTOMER_QL)
    transactions = await erp.suiteql(TRANSACTION_QL)
    balances = await erp.suiteql(BALANCE_QL)
    trial = await erp.trial_balance()
    closed = await erp.suiteql(CLOSED_PERIOD_QL)
    closed_periods = []
    for row in closed:
        record = await erp.get("accountingPeriod", str(row["id"]))
        closed_periods.append({**row, "lastModifiedDate": record.get("lastModifiedDate")})
    periods = await erp.suiteql(PERIOD_QL)
    tax = {str(r["transaction"]): Decimal(str(r["tax"] or 0))
           for r in await erp.suiteql(TAX_LINE_QL)}
    return ErpState(subsidiaries, currencies, customers, transactions, balances, trial,
                    closed_periods, periods, tax)


async def read_journals(world: World) -> dict[str, list[Row]]:
    """Each fake's request journal of this tenant (``GET /_sim/journal``)."""
    out: dict[str, list[Row]] = {}
    for vendor in VENDORS:
        body = await getattr(world, vendor).control("GET", "/_sim/journal")
        out[vendor] = list(body.get("data") or [])
    return out


async def read(world: World, *, journals: bool = False,
               dlq: DlqReader | None = None) -> Snapshot:
    """Read the three fakes of ``world``'s tenant (use an observer world); with
    ``journals`` their request journals too, with ``dlq`` the SUT's parked events."""
    crm, billing, erp = await asyncio.gather(read_crm(world), read_billing(world),
                                             read_erp(world))
    evidence = Evidence(await read_journals(world) if journals else None,
                        await dlq() if dlq is not None else None)
    return Snapshot(crm, billing, erp, evidence)
