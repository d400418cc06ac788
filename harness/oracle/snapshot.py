"""Reading the three fakes' end state through their vendor APIs, as an observer.

Every read carries ``X-Fintwin-Observer`` (the drivers built with ``observer=True``), so
it skips faults, rate limits, quotas and the request journal: checking never disturbs a
run. A snapshot is a handful of list calls per system (billing lists paged by 100, SOQL
batches of 2,000, SuiteQL pages of 1,000), cheap enough to repeat inside ``eventually``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from harness.drivers.world import World

Row = dict[str, Any]

ACCOUNT_SOQL = ("SELECT Id, Name, Legal_Entity__c, CurrencyIsoCode, Billing_Customer_Id__c, "
                "ERP_Customer_Id__c, Billing_Status__c FROM Account")
OPPORTUNITY_SOQL = ("SELECT Id, AccountId, StageName, IsWon, CurrencyIsoCode, "
                    "Billing_Subscription_Id__c FROM Opportunity")
OPP_LINE_SOQL = "SELECT Id, OpportunityId, ProductCode, Quantity FROM OpportunityLineItem"
CONTRACT_SOQL = ("SELECT Id, AccountId, Status, External_Id__c, Billing_Subscription_Id__c, "
                 "Cancel_At_Period_End__c FROM Contract")
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
    "t.memo AS memo, "
    "tl.subsidiary AS subsidiary FROM transaction t JOIN transactionLine tl "
    "ON tl.transaction = t.id WHERE tl.mainline = 'T'")
BALANCE_QL = ("SELECT transaction, SUM(debit) AS debit, SUM(credit) AS credit "
              "FROM transactionAccountingLine GROUP BY transaction")
CLOSED_PERIOD_QL = ("SELECT id, periodname, startdate, enddate FROM accountingPeriod "
                    "WHERE closed = 'T' AND isquarter = 'F' AND isyear = 'F'")


@dataclass
class CrmState:
    accounts: list[Row] = field(default_factory=list)
    opportunities: list[Row] = field(default_factory=list)
    opportunity_lines: list[Row] = field(default_factory=list)
    contracts: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    order_items: list[Row] = field(default_factory=list)


@dataclass
class BillingState:
    customers: list[Row] = field(default_factory=list)
    subscriptions: list[Row] = field(default_factory=list)
    invoices: list[Row] = field(default_factory=list)
    credit_notes: list[Row] = field(default_factory=list)


@dataclass
class ErpState:
    subsidiaries: list[Row] = field(default_factory=list)
    currencies: dict[str, str] = field(default_factory=dict)  # id -> symbol
    customers: list[Row] = field(default_factory=list)
    transactions: list[Row] = field(default_factory=list)  # header + main line subsidiary
    balances: list[Row] = field(default_factory=list)  # per transaction debit/credit
    trial_balance: dict[str, Decimal] = field(default_factory=dict)  # subsidiary -> balance
    closed_periods: list[Row] = field(default_factory=list)  # with lastModifiedDate


@dataclass
class Snapshot:
    crm: CrmState
    billing: BillingState
    erp: ErpState

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
    customers, subs, invoices, notes = await asyncio.gather(
        billing.customers(), billing.subscriptions("all"), billing.invoices(),
        billing.credit_notes())
    return BillingState(customers, subs, invoices, notes)


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
    periods = []
    for row in closed:
        record = await erp.get("accountingPeriod", str(row["id"]))
        periods.append({**row, "lastModifiedDate": record.get("lastModifiedDate")})
    return ErpState(subsidiaries, currencies, customers, transactions, balances, trial, periods)


async def read(world: World) -> Snapshot:
    """Read the three fakes of ``world``'s tenant (use an observer world)."""
    crm, billing, erp = await asyncio.gather(read_crm(world), read_billing(world),
                                             read_erp(world))
    return Snapshot(crm, billing, erp)
