"""Reconciliation: billing invoices and payments against ERP postings, per currency.

Compares, for invoices finalized in a time range (epoch seconds, business time), the
billing totals with the ERP invoices that carry their id as externalId, and the paid
amounts with the ERP customer payments (``pay:<invoice id>``). Lists every mismatch:
missing in the ERP, an amount that differs, a posting with no billing invoice.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from integration_layer.service.money import ExactMoney
from integration_layer.service.vendors import Vendors

_EXACT = ExactMoney()


async def reconcile(vendors: Vendors, parts: Any, *, since: int | None = None,
                    until: int | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": 100}
    if since is not None:
        params["created[gte]"] = int(since)
    if until is not None:
        params["created[lte]"] = int(until)
    invoices = [inv async for inv in vendors.billing.auto_paginate("/v1/invoices", params)
                if inv.get("status") in ("open", "paid", "uncollectible")]
    erp_rows = [row async for row in vendors.erp.suiteql(
        "SELECT externalid, type, foreigntotal FROM transaction"
        " WHERE type IN ('CustInvc', 'CustPymt', 'CustCred')")]
    erp = {(str(r["type"]), str(r["externalid"])): Decimal(str(r["foreigntotal"] or 0))
           for r in erp_rows if r.get("externalid")}
    mismatches: list[dict[str, Any]] = []
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    seen: set[tuple[str, str]] = set()
    for inv in invoices:
        cur = str(inv.get("currency") or "usd").upper()
        billed = Decimal(_EXACT.major(int(inv.get("total") or 0), cur))
        credit = erp.get(("CustCred", f"cr:{inv['id']}"), Decimal(0))
        posted = erp.get(("CustInvc", str(inv["id"])))
        totals[cur]["billed"] += billed
        if billed == 0:
            continue
        seen.update({("CustInvc", str(inv["id"])), ("CustCred", f"cr:{inv['id']}")})
        if posted is None:
            mismatches.append({"kind": "invoice_not_posted", "invoice": inv["id"],
                               "currency": cur, "billing": str(billed)})
            continue
        totals[cur]["posted"] += posted - abs(credit)
        if posted - abs(credit) != billed:
            mismatches.append({"kind": "invoice_amount", "invoice": inv["id"], "currency": cur,
                               "billing": str(billed), "erp": str(posted - abs(credit))})
        paid = Decimal(_EXACT.major(int(inv.get("amount_paid") or 0), cur))
        totals[cur]["paid"] += paid
        applied = erp.get(("CustPymt", f"pay:{inv['id']}"))
        seen.add(("CustPymt", f"pay:{inv['id']}"))
        if paid and applied is None:
            mismatches.append({"kind": "payment_not_posted", "invoice": inv["id"],
                               "currency": cur, "billing": str(paid)})
        elif applied is not None:
            totals[cur]["applied"] += abs(applied)
            if abs(applied) != paid:
                mismatches.append({"kind": "payment_amount", "invoice": inv["id"],
                                   "currency": cur, "billing": str(paid),
                                   "erp": str(abs(applied))})
    if since is None and until is None:
        for (kind, ext) in sorted(set(erp) - seen):
            if kind in ("CustInvc", "CustPymt"):
                mismatches.append({"kind": "orphan_posting", "type": kind, "external_id": ext})
    return {"invoices": len(invoices), "mismatches": mismatches,
            "totals": {c: {k: str(v) for k, v in t.items()} for c, t in totals.items()},
            "balanced": not mismatches}
