"""What posting transactions share: header fields, periods, GL postings, deletion.

Every posting transaction stores its general-ledger impact (``_gl``: the
ledger builders' posting, as JSON) so that the SuiteQL mirror can be rebuilt
from the store exactly, whatever rates or accounts change later.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from simulators.engine.store import Record
from simulators.erp import mirror, posting
from simulators.erp.context import Ctx
from simulators.erp.errors import (
    InvalidContent,
    InvalidFldValue,
    NetSuiteError,
    UserError,
)
from simulators.erp.ledger import LedgerError, Posting, quantize
from simulators.erp.records.base import RecordType, WritePlan
from simulators.erp.records.fields import Field

HEADER = (
    Field("tranId", "text"),
    Field("tranDate", "date"),
    Field("postingPeriod", "ref", "accountingperiod"),
    Field("subsidiary", "ref", "subsidiary"),
    Field("currency", "ref", "currency"),
    Field("exchangeRate", "number"),
    Field("memo", "text"),
)


def from_ledger(exc: LedgerError) -> NetSuiteError:
    """A ledger builder's refusal as the NetSuite error class of its code."""
    cls: type[NetSuiteError] = {
        "USER_ERROR": UserError,
        "INVALID_CONTENT": InvalidContent,
        "INVALID_FLD_VALUE": InvalidFldValue,
    }.get(exc.code, UserError)
    return cls(exc.detail, exc.path)


class TransactionType(RecordType):
    id_stream = "transaction"
    tran_prefix = ""

    def ref_name(self, rec: Record) -> str:
        return f"{self.label} #{rec.get('tranId')}"

    @property
    def label(self) -> str:
        return self.name[0].upper() + self.name[1:]

    def prepare(self, ctx: Ctx, rec: Record, old: Record | None) -> None:
        rec.setdefault("tranDate", ctx.today().isoformat())
        if not rec.get("tranId"):
            rec["tranId"] = f"{self.tran_prefix}{ctx.next_id('tranid:' + self.kind)}"

    def post(self, ctx: Ctx, rec: Record, old: Record | None, plan: WritePlan) -> Posting:
        raise NotImplementedError

    def plan(self, ctx: Ctx, rec: Record, old: Record | None) -> WritePlan:
        if old is not None:
            posting.check_open(period_of(ctx, old), self.kind)
        period = posting.period_for(ctx, rec)
        posting.check_open(period, self.kind)
        plan = WritePlan()
        try:
            result = self.post(ctx, rec, old, plan)
        except LedgerError as exc:
            raise from_ledger(exc) from None
        rec["_gl"] = mirror.posting_json(result)
        rec["exchangeRate"] = str(result.exchange_rate)
        plan.put(self.kind, rec)
        return plan

    def plan_delete(self, ctx: Ctx, rec: Record) -> WritePlan:
        posting.check_open(period_of(ctx, rec), self.kind)
        plan = WritePlan()
        self.unlink(ctx, rec, plan)
        plan.deletes.append((self.kind, rec["id"]))
        return plan

    def unlink(self, ctx: Ctx, rec: Record, plan: WritePlan) -> None:
        """Undo what this transaction did to others (applications) before a delete."""


def period_of(ctx: Ctx, rec: Record) -> Record:
    period = ctx.get("accountingperiod", rec["postingPeriod"]["id"])
    assert period is not None
    return period


def money(value: Any, currency: str) -> Decimal:
    return quantize(Decimal(str(value)), currency)


# -- applications (payments and credit memos applied to invoices) ---------------
APPLY_FIELDS = (
    Field("doc", "ref", "invoice", required=True),
    Field("amount", "money"),
    Field("apply", "bool"),
    Field("total", "money", read_only=True),
    Field("due", "money", read_only=True),
)


def refresh_invoice(inv: Record) -> None:
    """Derived amounts and status of an invoice from its applications.

    Status Open / Paid In Full (Oracle, "Invoice" record; the REST shape of
    ``status`` as ``{id, refName}`` and the SuiteQL codes 'A'/'B' are unverified).
    """
    currency = inv["_gl"]["currency"]
    total = Decimal(inv["total"])
    paid = sum((Decimal(v) for v in inv.get("_applied", {}).values()), Decimal(0))
    remaining = money(total - paid, currency)
    inv["amountPaid"] = str(money(paid, currency))
    inv["amountRemaining"] = str(remaining)
    if remaining == 0:
        inv["status"] = {"id": "paidInFull", "refName": "Paid In Full"}
        inv["_statusCode"] = "B"
    else:
        inv["status"] = {"id": "open", "refName": "Open"}
        inv["_statusCode"] = "A"


def apply_to_invoices(
    ctx: Ctx,
    rec: Record,
    old: Record | None,
    plan: WritePlan,
    *,
    customer_id: str,
    currency: Record,
    available: Decimal,
) -> Decimal:
    """Apply ``rec``'s ``apply`` lines to open invoices; returns the total applied.

    Refused: an invoice of another customer or currency (INVALID_FLD_VALUE), an
    amount over what the invoice still owes, or more in all than ``available``
    (USER_ERROR: over-applied).
    """
    symbol = currency["symbol"]
    touched: dict[str, Record] = {}

    def invoice(inv_id: str) -> Record:
        if inv_id not in touched:
            found = ctx.get("invoice", inv_id)
            assert found is not None
            touched[inv_id] = copy.deepcopy(found)
        return touched[inv_id]

    if old is not None:
        for inv_id in old.get("_appliedTo", {}):
            if ctx.get("invoice", inv_id) is not None:
                invoice(inv_id).setdefault("_applied", {}).pop(rec["id"], None)
    applied: dict[str, Decimal] = {}
    for index, line in enumerate(rec.get("apply", {}).get("items", [])):
        path = f"apply.items[{index}]"
        if line.get("apply") is False:
            continue
        inv = invoice(line["doc"]["id"])
        if (inv.get("entity") or {}).get("id") != customer_id:
            raise InvalidFldValue(
                f"Invoice {inv.get('tranId')} belongs to another customer.", f"{path}.doc"
            )
        if inv["currency"]["id"] != currency["id"]:
            raise InvalidFldValue(
                f"Invoice {inv.get('tranId')} is in another currency.", f"{path}.doc"
            )
        already = Decimal(inv.get("_applied", {}).get(rec["id"], "0"))
        others = sum(
            (Decimal(v) for k, v in inv.get("_applied", {}).items() if k != rec["id"]), Decimal(0)
        )
        due = Decimal(inv["total"]) - others - already
        amount = due if line.get("amount") is None else money(line["amount"], symbol)
        if amount <= 0:
            raise InvalidFldValue("The amount to apply must be positive.", f"{path}.amount")
        if amount > due:
            raise UserError(
                f"The amount applied ({amount}) is more than the amount due "
                f"({due}) on invoice {inv.get('tranId')}.",
                f"{path}.amount",
            )
        line["amount"] = str(amount)
        line["total"] = inv["total"]
        line["due"] = str(due)
        inv.setdefault("_applied", {})[rec["id"]] = str(already + amount)
        applied[inv["id"]] = applied.get(inv["id"], Decimal(0)) + amount
    total = sum(applied.values(), Decimal(0))
    if total > available:
        raise UserError(
            f"The total applied ({total}) exceeds the amount available ({available}).",
            "apply.items",
        )
    for inv in touched.values():
        if not inv.get("_applied"):
            inv.pop("_applied", None)
        refresh_invoice(inv)
        plan.put("invoice", inv)
    rec["_appliedTo"] = {k: str(v) for k, v in applied.items()}
    return total


def unapply(ctx: Ctx, rec: Record, plan: WritePlan) -> None:
    for inv_id in rec.get("_appliedTo", {}):
        found = ctx.get("invoice", inv_id)
        if found is None:
            continue
        inv = copy.deepcopy(found)
        inv.get("_applied", {}).pop(rec["id"], None)
        refresh_invoice(inv)
        plan.put("invoice", inv)
