"""What posting into the ERP's books takes besides the record: an open period, and the
customer's credit applied where billing applied it.

A transaction dated in a period the finance team has closed is refused by NetSuite
(``USER_ERROR``: "The accounting period ... is closed"). An accountant keeps the date of
the business event and posts it into the next open period; so does this integration: on
that refusal it reads the periods and, when the date's period is indeed closed (or
locked), posts again with ``postingPeriod`` set to the first open one after it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from integration_layer.clients import PermanentError
from integration_layer.service.flows.context import FlowContext

PERIODS_QL = ("SELECT id, startdate, enddate, closed, alllocked FROM accountingPeriod"
              " WHERE isquarter = 'F' AND isyear = 'F' AND isadjust = 'F'")
CREDIT_MEMOS_QL = "SELECT id FROM transaction WHERE type = 'CustCred' AND entity = {entity}"


def _date(value: Any) -> dt.date | None:
    text = str(value or "").strip()
    for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


async def next_open_period(ctx: FlowContext, day: str) -> str | None:
    """The first open posting period from the one containing ``day`` on, when that one is
    closed or locked; None when the day's own period is open (the refusal was another)."""
    rows = [r async for r in ctx.vendors.erp.suiteql(PERIODS_QL)]
    periods = sorted(((_date(r.get("startdate")), _date(r.get("enddate")), r) for r in rows
                      if _date(r.get("startdate")) and _date(r.get("enddate"))),
                     key=lambda p: p[0] or dt.date.min)
    target = dt.date.fromisoformat(day)
    shut = [str(r.get("closed")) == "T" or str(r.get("alllocked")) == "T"
            for _, _, r in periods]
    for index, (start, end, _) in enumerate(periods):
        assert start is not None and end is not None
        if start <= target <= end:
            if not shut[index]:
                return None
            for later in range(index + 1, len(periods)):
                if not shut[later]:
                    return str(periods[later][2]["id"])
            return None
    return None


async def post(ctx: FlowContext, record_type: str, external_id: str, body: dict[str, Any],
               *, resumed: bool) -> str:
    """Create an ERP transaction once (:meth:`FlowContext.erp_create`), into the next open
    period when the finance team has closed the one of its date."""
    try:
        return await ctx.erp_create(record_type, external_id, body, resumed=resumed)
    except PermanentError as exc:
        day = body.get("tranDate")
        if exc.vendor_code != "USER_ERROR" or not day or "postingPeriod" in body:
            raise
        period = await next_open_period(ctx, str(day))
        if period is None:
            raise
        return await ctx.erp_create(record_type, external_id,
                                    {**body, "postingPeriod": {"id": period}}, resumed=True)


async def apply_customer_credit(ctx: FlowContext, erp_customer: str, erp_invoice: str,
                                amount: Decimal) -> None:
    """Apply ``amount`` of the customer's open ERP credit (credit memos not fully applied,
    oldest first) to ``erp_invoice``, less what is applied to it already. Waits while the
    credit memos that make up the credit are not posted yet (events out of order)."""
    erp = ctx.vendors.erp
    memos = []
    async for row in erp.suiteql(CREDIT_MEMOS_QL.format(entity=int(erp_customer))):
        memos.append(await erp.get("creditMemo", str(row["id"]), expand_sub_resources=True))
    memos.sort(key=lambda m: int(m["id"]))
    already = sum((Decimal(str(line.get("amount") or 0)) for m in memos
                   for line in (m.get("apply") or {}).get("items") or []
                   if str((line.get("doc") or {}).get("id")) == erp_invoice), Decimal(0))
    needed = amount - already
    if needed <= 0:
        return
    available = sum((Decimal(str(m.get("unapplied") or 0)) for m in memos), Decimal(0))
    if available < needed:
        raise ctx.missing(f"the customer's credit memos for {needed} of credit "
                          f"({available} open)")
    for memo in memos:
        free = Decimal(str(memo.get("unapplied") or 0))
        if free <= 0 or needed <= 0:
            continue
        part = min(free, needed)
        await erp.patch("creditMemo", str(memo["id"]), {"apply": {"items": [
            {"doc": {"id": erp_invoice}, "apply": True, "amount": str(part)}]}})
        needed -= part
