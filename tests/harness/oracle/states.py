"""Hand-made states of the three systems, as the oracle's snapshot holds them, for checks
tested without fakes: one correct deal (US account, invoice finalized and paid, posted
and paid in the ERP) that each test breaks in one way."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from harness.oracle.snapshot import BillingState, CrmState, ErpState, Evidence, Snapshot

Row = dict[str, Any]
T0 = int(dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC).timestamp())
DAY = 86400
SUBSIDIARIES = [{"id": "1", "country": "US", "currency": "1"},
                {"id": "2", "country": "GB", "currency": "2"}]
CURRENCIES = {"1": "USD", "2": "GBP"}
PERIODS = [{"id": str(3 + m), "periodname": dt.date(2026, 1 + m, 1).strftime("%b %Y"),
            "startdate": f"{1 + m}/1/2026",
            "enddate": (dt.date(2026, 2 + m, 1) - dt.timedelta(days=1)).strftime("%-m/%-d/%Y"),
            "closed": "F"} for m in range(4)]


def suiteql_day(unix: int) -> str:
    return dt.datetime.fromtimestamp(unix, dt.UTC).strftime("%-m/%-d/%Y")


def suiteql_moment(unix: int) -> str:
    return dt.datetime.fromtimestamp(unix, dt.UTC).strftime("%-m/%-d/%Y %H:%M")


def period_of(unix: int) -> str:
    day = dt.datetime.fromtimestamp(unix, dt.UTC)
    return str(3 + day.month - 1)


def invoice(inv_id: str = "in_1", *, total: int = 10000, paid: int | None = None,
            finalized: int = T0, paid_at: int | None = T0, status: str = "paid",
            tax: list[Row] | None = None, customer: str = "cus_1", currency: str = "usd",
            subscription: str = "sub_1", reason: str = "subscription_create") -> Row:
    taxes = tax or []
    return {"id": inv_id, "object": "invoice", "customer": customer, "currency": currency,
            "status": status, "total": total, "subtotal": total - sum(
                t["amount"] for t in taxes if not t.get("inclusive")),
            "amount_paid": total if paid is None and status == "paid" else (paid or 0),
            "subscription": subscription, "billing_reason": reason, "created": finalized,
            "total_tax_amounts": taxes,
            "status_transitions": {"finalized_at": finalized,
                                   "paid_at": paid_at if status == "paid" else None},
            "lines": {"data": [{"id": "il_1", "type": "subscription", "proration": False,
                                "period": {"start": finalized, "end": finalized + 31 * DAY},
                                "amount": total}]}}


def txn(txn_id: str, kind: str, ext: str, total: str, *, on: int = T0,
        created: int | None = None, period: str | None = None, subsidiary: str = "1",
        currency: str = "1", entity: str = "7", status: str | None = None) -> Row:
    return {"id": txn_id, "type": kind, "externalid": ext, "foreigntotal": total,
            "currency": currency, "entity": entity, "subsidiary": subsidiary,
            "postingperiod": period or period_of(on), "trandate": suiteql_day(on),
            "createddate": suiteql_moment(created if created is not None else on),
            "status": status or ("B" if kind == "CustInvc" else None), "memo": ""}


def deal(*, entity: str = "US", invoices: list[Row] | None = None,
         transactions: list[Row] | None = None, notes: list[Row] | None = None,
         tax_rates: list[Row] | None = None, tax_lines: dict[str, Decimal] | None = None,
         subscription: Row | None = None, contract: Row | None = None,
         evidence: Evidence | None = None) -> Snapshot:
    """One account (``001A``), its billing customer ``cus_1`` and ERP customer ``7``, a
    closed-won deal with subscription ``sub_1`` and its contract; ``invoices`` (default:
    one paid invoice of 100.00) and the ERP ``transactions`` (default: its invoice and
    payment, posted right)."""
    invs = [invoice()] if invoices is None else invoices
    txns = [txn("10", "CustInvc", "in_1", "100.00"),
            txn("11", "CustPymt", "pay:in_1", "100.00")] if transactions is None \
        else transactions
    sub = subscription or {"id": "sub_1", "customer": "cus_1", "currency": "usd",
                           "status": "active", "cancel_at_period_end": False,
                           "metadata": {"crm_opportunity_id": "006A",
                                        "crm_account_id": "001A"},
                           "items": {"data": []}}
    crm = CrmState(
        accounts=[{"Id": "001A", "Legal_Entity__c": entity, "Billing_Customer_Id__c": "cus_1",
                   "ERP_Customer_Id__c": "7", "Billing_Status__c": "Active"}],
        opportunities=[{"Id": "006A", "AccountId": "001A", "IsWon": True,
                        "CurrencyIsoCode": "USD", "Billing_Subscription_Id__c": "sub_1"}],
        contracts=[contract or {"Id": "800A", "Status": "Activated", "External_Id__c": "sub_1",
                                "Billing_Subscription_Id__c": "sub_1",
                                "Cancel_At_Period_End__c": False}])
    billing = BillingState(
        customers=[{"id": "cus_1", "metadata": {"crm_account_id": "001A"}}],
        subscriptions=[sub], invoices=invs, credit_notes=notes or [],
        tax_rates=tax_rates or [])
    erp = ErpState(subsidiaries=SUBSIDIARIES, currencies=CURRENCIES,
                   customers=[{"id": "7", "externalid": "001A",
                               "subsidiary": "1" if entity == "US" else "2"}],
                   transactions=txns, periods=PERIODS, tax_lines=tax_lines or {})
    return Snapshot(crm, billing, erp, evidence or Evidence())


def close(snapshot: Snapshot, period_id: str, at: int) -> Snapshot:
    """``snapshot`` with a period closed by the finance team at ``at``."""
    period = next(p for p in PERIODS if p["id"] == period_id)
    closed = [*snapshot.erp.closed_periods,
              {**period, "closed": "T",
               "lastModifiedDate": dt.datetime.fromtimestamp(at, dt.UTC).isoformat()}]
    return replace(snapshot, erp=replace(snapshot.erp, closed_periods=closed))
