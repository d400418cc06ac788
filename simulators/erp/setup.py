"""The default account every new tenant starts with.

A parent subsidiary (USD) and two foreign ones (GBP, EUR) with their own base
currencies, a chart of accounts with the types the scenarios need (bank per
subsidiary, A/R, undeposited funds, tax payable, deferred revenue, A/P, equity,
income, expense), monthly accounting periods for the current and the next fiscal year of the
tenant's business clock (with quarters and the year as summary periods; kept
ahead of the clock as it moves, :func:`ensure_calendar`), terms
and a few items. Everything is created through the record layer, so the
SuiteQL mirror is written too. The names are the fake's; NetSuite's own
defaults differ by edition.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from simulators.engine.runtime import Simulation
from simulators.engine.tenancy import Tenant
from simulators.erp import service
from simulators.erp.context import Ctx
from simulators.erp.errors import NetSuiteError, UserError
from simulators.erp.records.base import WritePlan
from simulators.erp.records.subsidiary import has_dependents

CURRENCIES = (
    ("USD", "US Dollar", "1"),
    ("GBP", "British Pound", "1.25"),
    ("EUR", "Euro", "1.08"),
    ("JPY", "Japanese Yen", "0.0067"),
)
SUBSIDIARIES = (
    ("Fintwin Inc.", "USD", "US"),
    ("Fintwin Ltd. (UK)", "GBP", "GB"),
    ("Fintwin GmbH", "EUR", "DE"),
)
ACCOUNTS = (
    ("1100", "Accounts Receivable", "AcctRec", None),
    ("1200", "Undeposited Funds", "OthCurrAsset", None),
    ("2000", "Accounts Payable", "AcctPay", None),
    ("2200", "Sales Tax Payable", "OthCurrLiab", None),
    ("2400", "Deferred Revenue", "DeferRevenue", None),
    ("3000", "Common Stock", "Equity", None),
    ("3900", "Retained Earnings", "RetainedEarnings", None),
    ("4000", "Services Revenue", "Income", None),
    ("4100", "Product Revenue", "Income", None),
    ("6000", "Operating Expenses", "Expense", None),
    ("6100", "Bank Fees", "Expense", None),
)
TERMS = (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60))


def install(sim: Simulation, tenant: Tenant) -> None:
    ctx = Ctx(sim, tenant, sim.settings.base_url)

    def make(type_name: str, body: dict[str, Any]) -> str:
        return str(service.create(ctx, service.record_type(type_name), body)["id"])

    currency_ids = {}
    for symbol, name, rate in CURRENCIES:
        currency_ids[symbol] = make(
            "currency", {"symbol": symbol, "name": name, "exchangeRate": rate}
        )
    parent: str | None = None
    for name, symbol, country in SUBSIDIARIES:
        sub_id = add_subsidiary(ctx, name, currency_ids[symbol], country, parent)["id"]
        parent = parent or sub_id
    accounts = {}
    for number, name, acct_type, _ in ACCOUNTS:
        accounts[number] = make(
            "account", {"acctNumber": number, "acctName": name, "acctType": acct_type}
        )
    ensure_calendar(ctx)
    for name, days in TERMS:
        make("term", {"name": name, "daysUntilNetDue": days})
    make(
        "serviceSaleItem",
        {
            "itemId": "Consulting",
            "displayName": "Consulting (hour)",
            "incomeAccount": {"id": accounts["4000"]},
            "basePrice": "150",
        },
    )
    make(
        "serviceSaleItem",
        {
            "itemId": "Subscription",
            "displayName": "Annual subscription",
            "incomeAccount": {"id": accounts["4000"]},
            "basePrice": "1200",
        },
    )
    make(
        "nonInventorySaleItem",
        {
            "itemId": "Hardware",
            "displayName": "Hardware kit",
            "incomeAccount": {"id": accounts["4100"]},
            "basePrice": "99.99",
        },
    )


def add_subsidiary(
    ctx: Ctx, name: str, currency_id: str, country: str | dict[str, Any], parent: str | None
) -> dict[str, Any]:
    """A subsidiary and its operating bank account (in its base currency), so
    that payments in it have a default deposit account. Used by the default
    setup and by ``POST /_sim/erp/subsidiaries``; if the bank account cannot be
    created the subsidiary is removed again (nothing half-written)."""
    body: dict[str, Any] = {"name": name, "currency": {"id": currency_id}, "country": country}
    if parent is not None:
        body["parent"] = {"id": parent}
    stype = service.record_type("subsidiary")
    sub = service.create(ctx, stype, body)
    currency = ctx.get("currency", sub["currency"]["id"])
    assert currency is not None  # resolved by the record layer
    bank_name = f"Operating Bank {currency['symbol']}"
    if int(sub["id"]) > len(SUBSIDIARIES):  # added later: say whose bank it is
        bank_name += f" ({name})"
    try:
        service.create(
            ctx,
            service.record_type("account"),
            {
                "acctNumber": _free_account_number(ctx, f"10{int(sub['id']) - 1}0"),
                "acctName": bank_name,
                "acctType": "Bank",
                "subsidiary": {"id": sub["id"]},
                "currency": {"id": currency["id"]},
            },
        )
    except NetSuiteError:
        service.delete(ctx, stype, sub)
        raise
    return sub


def remove_subsidiary(ctx: Ctx, sub_id: str) -> None:
    """Delete a subsidiary together with the accounts restricted to it (its bank
    account from :func:`add_subsidiary`), in one write; refused with USER_ERROR
    if anything else refers to it or any of those accounts has postings."""
    stype = service.record_type("subsidiary")
    atype = service.record_type("account")
    sub = service.find(ctx, stype, sub_id)
    own = [a for a in ctx.store.all("account") if (a.get("subsidiary") or {}).get("id") == sub_id]
    plan = WritePlan()
    for account in own:
        plan.deletes.extend(atype.plan_delete(ctx, account).deletes)
    if has_dependents(ctx, "subsidiary", sub_id, frozenset(("account", a["id"]) for a in own)):
        raise UserError("This record cannot be deleted because it has dependent records.")
    plan.deletes.append(("subsidiary", sub["id"]))
    plan.commit(ctx)


def _free_account_number(ctx: Ctx, wanted: str) -> str:
    taken = {a.get("acctNumber") for a in ctx.store.all("account")}
    number, n = wanted, 1
    while number in taken:
        number, n = f"{wanted}-{n}", n + 1
    return number


# Fiscal years kept open ahead of the business clock: the current one and the next.
# A NetSuite account's admins set up the next fiscal year's periods before it starts
# (Oracle, "Setting Up Accounting Periods": "Set Up Year" creates a whole fiscal year of
# periods at once), so a posting dated early next year finds its period. The fake's
# fiscal year is the calendar year.
YEARS_AHEAD = 1


def fiscal_years(ctx: Ctx) -> set[int]:
    """The fiscal years that have periods (``FY <year>`` summary periods)."""
    years = set()
    for period in ctx.store.all("accountingperiod"):
        name = str(period.get("periodName") or "")
        if period.get("isYear") and name.startswith("FY ") and name[3:].isdigit():
            years.add(int(name[3:]))
    return years


def ensure_calendar(ctx: Ctx) -> list[int]:
    """Install the periods of the current and the next fiscal year of the tenant's
    business clock where they are missing; returns the years installed. Earlier years
    are never filled in: a posting dated where no period exists is refused
    (:func:`simulators.erp.posting.period_for`)."""
    today = ctx.today().year
    have = fiscal_years(ctx)
    added = [year for year in range(today, today + YEARS_AHEAD + 1) if year not in have]
    for year in added:
        install_year(ctx, year)
    return added


def install_year(ctx: Ctx, year: int) -> None:
    """Monthly periods of ``year`` plus its quarters and the year (summary periods)."""
    ptype = service.record_type("accountingPeriod")
    year_id = service.create(
        ctx,
        ptype,
        {
            "periodName": f"FY {year}",
            "startDate": f"{year}-01-01",
            "endDate": f"{year}-12-31",
            "isYear": True,
        },
    )["id"]
    for quarter in range(4):
        first = quarter * 3 + 1
        last_day = calendar.monthrange(year, first + 2)[1]
        q_id = service.create(
            ctx,
            ptype,
            {
                "periodName": f"Q{quarter + 1} {year}",
                "startDate": f"{year}-{first:02d}-01",
                "endDate": f"{year}-{first + 2:02d}-{last_day}",
                "isQuarter": True,
                "parent": {"id": year_id},
            },
        )["id"]
        for month in range(first, first + 3):
            days = calendar.monthrange(year, month)[1]
            name = dt.date(year, month, 1).strftime("%b %Y")
            service.create(
                ctx,
                ptype,
                {
                    "periodName": name,
                    "startDate": f"{year}-{month:02d}-01",
                    "endDate": f"{year}-{month:02d}-{days}",
                    "parent": {"id": q_id},
                },
            )
