"""customer: subsidiary, primary currency (plus a currencyList of others), terms.

In OneWorld a customer belongs to one subsidiary and cannot move once it has
transactions (the fake forbids changing it at all); its transactions must be
in that subsidiary and in one of its currencies (Oracle, "Multiple Currencies
and Customers").
"""

from __future__ import annotations

from simulators.engine.store import Record
from simulators.erp import posting
from simulators.erp.context import Ctx
from simulators.erp.errors import UserError
from simulators.erp.records.base import RecordType, WritePlan
from simulators.erp.records.fields import Field, Sublist

TRANSACTION_KINDS = ("invoice", "creditmemo", "customerpayment", "journalentry")


class CustomerType(RecordType):
    name = "customer"
    kind = "customer"
    id_stream = "entity"
    fields = (
        Field("entityId", "text"),
        Field("companyName", "text", required=True),
        Field("email", "text"),
        Field("phone", "text"),
        Field("subsidiary", "ref", "subsidiary", required=True),
        Field("currency", "ref", "currency"),
        Field("terms", "ref", "term"),
        Field("isInactive", "bool"),
        Field("isPerson", "bool"),
        Field("balance", "money", read_only=True),
    )
    sublists = (Sublist("currencyList", (Field("currency", "ref", "currency", required=True),)),)
    fixed = ("subsidiary",)

    def ref_name(self, rec: Record) -> str:
        return str(rec.get("entityId") or rec.get("companyName"))

    def prepare(self, ctx: Ctx, rec: Record, old: Record | None) -> None:
        rec.setdefault("entityId", rec["companyName"])
        rec.setdefault("isInactive", False)
        if rec.get("currency") is None:
            sub = ctx.get("subsidiary", rec["subsidiary"]["id"])
            assert sub is not None
            rec["currency"] = {"id": sub["currency"]["id"]}

    def plan(self, ctx: Ctx, rec: Record, old: Record | None) -> WritePlan:
        posting.subsidiary(ctx, rec["subsidiary"])
        if (
            old is not None
            and old.get("currency") != rec.get("currency")
            and _has_transactions(ctx, rec["id"])
        ):
            raise UserError(
                "You cannot change the primary currency of a customer with transactions.",
                "currency",
            )
        return super().plan(ctx, rec, old)

    def plan_delete(self, ctx: Ctx, rec: Record) -> WritePlan:
        if _has_transactions(ctx, rec["id"]):
            raise UserError("This record cannot be deleted because it has dependent records.")
        return super().plan_delete(ctx, rec)


def _has_transactions(ctx: Ctx, customer_id: str) -> bool:
    for kind in TRANSACTION_KINDS:
        for txn in ctx.store.all(kind):
            if (txn.get("entity") or txn.get("customer") or {}).get("id") == customer_id:
                return True
            for line in txn.get("line", {}).get("items", []):
                if (line.get("entity") or {}).get("id") == customer_id:
                    return True
    return False
