"""Posting rules the record layer checks before any transaction is written.

The ledger builders (:mod:`simulators.erp.ledger`) only do double entry; the
rules NetSuite enforces around them live here:

- a transaction posts into the accounting period of its date (or the one it
  names); a closed period, or a locked one (A/R locked for A/R transactions,
  all locked for everything), refuses postings, edits and deletions (Oracle,
  "Accounting Period Close": "Lock A/R", "Lock All", "Close"; the error wording
  is the fake's own, unverified);
- a customer transaction belongs to the customer's subsidiary and uses the
  customer's primary currency or one of its additional currencies (Oracle,
  "Multiple Currencies and Customers"); the wording is unverified;
- accounts restricted to a subsidiary cannot be used in another one;
- amounts in a foreign currency convert with the currency's exchange rate to
  the subsidiary's base currency (rates against the parent's base currency,
  like NetSuite's currency exchange rate table; a simplification).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulators.engine.store import Record
from simulators.erp.context import Ctx
from simulators.erp.errors import InvalidFldValue, UserError

AR_TYPES = ("invoice", "creditmemo", "customerpayment")
SUMMARY_FLAGS = ("isYear", "isQuarter")


def period_for(ctx: Ctx, rec: Record) -> Record:
    """The posting period a transaction goes to; sets ``postingPeriod``."""
    ref = rec.get("postingPeriod")
    if ref is not None:
        period = ctx.get("accountingperiod", str(ref["id"]))
        assert period is not None  # references were resolved before
        if any(period.get(flag) for flag in SUMMARY_FLAGS):
            raise InvalidFldValue(
                f"The accounting period {period.get('periodName')} is a summary period; "
                "choose a month.",
                "postingPeriod",
            )
        return period
    date = rec["tranDate"]
    found = _base_period(ctx, date)
    if found is None:
        # A running clock may have crossed into a new year since the calendar was last
        # kept ahead of it (no clock change told the vendor): catch up, then look again.
        ctx.sim.vendor.on_clock_changed(ctx.sim, ctx.tenant)
        found = _base_period(ctx, date)
    if found is None:
        # NetSuite refuses a transaction whose date falls in no accounting period (Oracle,
        # "Allow Transaction Date Outside of Posting Period"; the wording is the fake's).
        raise UserError(f"No accounting period is set up for the date {date}.", "tranDate")
    rec["postingPeriod"] = {"id": found["id"]}
    return found


def _base_period(ctx: Ctx, date: str) -> Record | None:
    """The month (not a quarter or year) whose dates hold ``date``."""
    for period in ctx.store.all("accountingperiod"):
        if any(period.get(flag) for flag in SUMMARY_FLAGS):
            continue
        if period["startDate"] <= date <= period["endDate"]:
            return period
    return None


def check_open(period: Record, kind: str, path: str = "postingPeriod") -> None:
    name = period.get("periodName")
    if period.get("closed"):
        raise UserError(
            f"The accounting period {name} is closed. You cannot post, edit or "
            "delete transactions in a closed period.",
            path,
        )
    if period.get("allLocked") or (kind in AR_TYPES and period.get("arLocked")):
        raise UserError(f"The accounting period {name} is locked for this transaction type.", path)


def subsidiary(ctx: Ctx, ref: Any, path: str = "subsidiary") -> Record:
    sub = ctx.resolve("subsidiary", ref, path, "subsidiary")
    if sub.get("isInactive"):
        raise InvalidFldValue(f"The subsidiary {sub.get('name')} is inactive.", path)
    return sub


def currency_of(ctx: Ctx, sub: Record) -> Record:
    cur = ctx.get("currency", sub["currency"]["id"])
    assert cur is not None
    return cur


def exchange_rate(ctx: Ctx, txn_currency: Record, base: Record, given: Any) -> Decimal:
    if given is not None:
        rate = Decimal(str(given))
        if rate <= 0:
            raise InvalidFldValue("The exchange rate must be positive.", "exchangeRate")
        return rate
    if txn_currency["id"] == base["id"]:
        return Decimal(1)
    rate = Decimal(txn_currency.get("exchangeRate") or "1") / Decimal(
        base.get("exchangeRate") or "1"
    )
    return rate.quantize(Decimal("0.00000001"), rounding=ROUND_HALF_UP)


def default_account(ctx: Ctx, sub_id: str, acct_type: str, path: str) -> Record:
    for account in ctx.store.all("account"):
        if account.get("acctType") != acct_type or account.get("isInactive"):
            continue
        restricted = account.get("subsidiary")
        if restricted is None or restricted.get("id") == sub_id:
            return account
    raise UserError(f"No {acct_type} account is set up for subsidiary {sub_id}.", path)


def check_account(
    ctx: Ctx, ref: Any, sub_id: str, path: str, types: tuple[str, ...] | None = None
) -> Record:
    account = ctx.resolve("account", ref, path, "account")
    restricted = account.get("subsidiary")
    if restricted is not None and restricted.get("id") != sub_id:
        raise InvalidFldValue(
            f"The account {account.get('acctName')} is not available in subsidiary {sub_id}.", path
        )
    if types is not None and account.get("acctType") not in types:
        raise InvalidFldValue(
            f"The account {account.get('acctName')} is of type "
            f"{account.get('acctType')}; expected {' or '.join(types)}.",
            path,
        )
    if account.get("isInactive"):
        raise InvalidFldValue(f"The account {account.get('acctName')} is inactive.", path)
    return account


def customer_terms(ctx: Ctx, customer: Record, rec: Record) -> tuple[Record, Record]:
    """Subsidiary and currency of a customer transaction, checked against the customer.

    Defaults come from the customer; a different subsidiary, or a currency the
    customer may not use, is refused with INVALID_FLD_VALUE.
    """
    cust_sub = customer["subsidiary"]["id"]
    if rec.get("subsidiary") is None:
        rec["subsidiary"] = {"id": cust_sub}
    elif rec["subsidiary"]["id"] != cust_sub:
        raise InvalidFldValue(
            f"The subsidiary {rec['subsidiary']['id']} does not match the subsidiary "
            f"{cust_sub} of customer {customer.get('entityId')}.",
            "subsidiary",
        )
    sub = subsidiary(ctx, rec["subsidiary"])
    allowed = {customer["currency"]["id"]} | {
        line["currency"]["id"]
        for line in customer.get("currencyList", {}).get("items", [])
        if line.get("currency")
    }
    if rec.get("currency") is None:
        rec["currency"] = {"id": customer["currency"]["id"]}
    elif rec["currency"]["id"] not in allowed:
        raise InvalidFldValue(
            f"The currency {rec['currency']['id']} is not a currency of customer "
            f"{customer.get('entityId')}.",
            "currency",
        )
    cur = ctx.get("currency", rec["currency"]["id"])
    assert cur is not None
    if customer.get("isInactive"):
        raise InvalidFldValue(f"The customer {customer.get('entityId')} is inactive.", "entity")
    return sub, cur
