"""subsidiary: a legal entity with its own base currency (NetSuite OneWorld)."""

from __future__ import annotations

from simulators.engine.store import Record
from simulators.erp.context import Ctx
from simulators.erp.errors import InvalidFldValue, UserError
from simulators.erp.records.base import RecordType, WritePlan
from simulators.erp.records.fields import Field


class SubsidiaryType(RecordType):
    name = "subsidiary"
    kind = "subsidiary"
    fields = (
        Field("name", "text", required=True),
        Field("currency", "ref", "currency", required=True),
        Field("parent", "ref", "subsidiary"),
        # NetSuite's Country enum (ISO 3166-1 alpha-2); see simulators/erp/countries.py.
        Field("country", "country", required=True),
        Field("isInactive", "bool"),
        Field("isElimination", "bool"),
    )
    # A subsidiary's base currency cannot change once it has transactions; the
    # fake forbids changing it at all (simpler, and what NetSuite's UI does).
    fixed = ("currency",)

    def plan(self, ctx: Ctx, rec: Record, old: Record | None) -> WritePlan:
        parent = rec.get("parent")
        if parent is not None and parent["id"] == rec["id"]:
            raise InvalidFldValue("A subsidiary cannot be its own parent.", "parent")
        return super().plan(ctx, rec, old)

    def plan_delete(self, ctx: Ctx, rec: Record) -> WritePlan:
        if has_dependents(ctx, "subsidiary", rec["id"]):
            raise UserError("This record cannot be deleted because it has dependent records.")
        return super().plan_delete(ctx, rec)


def has_dependents(
    ctx: Ctx, field: str, obj_id: str, ignore: frozenset[tuple[str, str]] = frozenset()
) -> bool:
    """Whether any record (other than the ``(kind, id)`` pairs in ``ignore``)
    references ``obj_id`` through ``field`` (a linear scan)."""
    for kind in (
        "subsidiary",
        "customer",
        "invoice",
        "creditmemo",
        "customerpayment",
        "journalentry",
        "account",
        "item",
    ):
        for rec in ctx.store.all(kind):
            if (kind, rec["id"]) in ignore:
                continue
            ref = rec.get(field if kind != "subsidiary" else "parent")
            if isinstance(ref, dict) and ref.get("id") == obj_id:
                return True
    return False
