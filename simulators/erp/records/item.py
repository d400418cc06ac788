"""Items: service and non-inventory sale items, each with an income account.

NetSuite's REST record types are ``serviceSaleItem`` and ``nonInventorySaleItem``
(one internal id space for all items; SuiteQL ``item.itemtype`` 'Service' /
'NonInvtPart'). The generic ``item`` type, with ``itemType`` in the body, is
the fake's own convenience (NetSuite has no ``record/v1/item``, unverified).
"""

from __future__ import annotations

from simulators.engine.store import Record
from simulators.erp.context import Ctx
from simulators.erp.errors import InvalidFldValue, UserError
from simulators.erp.records.base import RecordType, WritePlan
from simulators.erp.records.fields import Field

ITEM_TYPES = {"Service": "serviceSaleItem", "NonInvtPart": "nonInventorySaleItem"}
_COMMON = (
    Field("itemId", "text", required=True),
    Field("displayName", "text"),
    Field("description", "text"),
    Field("incomeAccount", "ref", "account", required=True),
    Field("basePrice", "money"),
    Field("subsidiary", "ref", "subsidiary"),
    Field("isInactive", "bool"),
)


class ItemType(RecordType):
    name = "item"
    kind = "item"
    id_stream = "item"
    item_type: str | None = None
    fields: tuple[Field, ...] = (
        *_COMMON,
        Field("itemType", "enum", required=True, choices=tuple(ITEM_TYPES)),
    )

    def ref_name(self, rec: Record) -> str:
        return str(rec.get("itemId"))

    def prepare(self, ctx: Ctx, rec: Record, old: Record | None) -> None:
        if self.item_type is not None:
            if old is not None and old.get("itemType") != self.item_type:
                raise InvalidFldValue(f"Item {rec['id']} is not a {self.name}.", "itemType")
            rec["itemType"] = self.item_type

    def plan(self, ctx: Ctx, rec: Record, old: Record | None) -> WritePlan:
        account = ctx.get("account", rec["incomeAccount"]["id"])
        assert account is not None
        if account.get("acctType") not in ("Income", "DeferRevenue", "OthIncome"):
            raise InvalidFldValue(
                "The income account must be an income or deferred revenue account.", "incomeAccount"
            )
        for other in ctx.store.all("item"):
            if other.get("itemId") == rec["itemId"] and other["id"] != rec["id"]:
                raise UserError(f"An item with the name {rec['itemId']} already exists.", "itemId")
        return super().plan(ctx, rec, old)

    def plan_delete(self, ctx: Ctx, rec: Record) -> WritePlan:
        for kind in ("invoice", "creditmemo"):
            for txn in ctx.store.all(kind):
                if any(
                    (line.get("item") or {}).get("id") == rec["id"]
                    for line in txn.get("item", {}).get("items", [])
                ):
                    raise UserError(
                        "This record cannot be deleted because it has dependent records."
                    )
        return super().plan_delete(ctx, rec)


class ServiceSaleItemType(ItemType):
    name = "serviceSaleItem"
    item_type = "Service"
    fields = _COMMON


class NonInventorySaleItemType(ItemType):
    name = "nonInventorySaleItem"
    item_type = "NonInvtPart"
    fields = _COMMON
