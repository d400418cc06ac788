"""Items: service and non-inventory sale items, each with an income account, and discount
items, each with the account its discounts post to.

NetSuite's REST record types are ``serviceSaleItem`` and ``nonInventorySaleItem``
(one internal id space for all items; SuiteQL ``item.itemtype`` 'Service' /
'NonInvtPart'). The generic ``item`` type, with ``itemType`` in the body, is
the fake's own convenience (NetSuite has no ``record/v1/item``, unverified).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from simulators.engine.store import Record
from simulators.erp.context import Ctx
from simulators.erp.errors import InvalidFldValue, UserError
from simulators.erp.records.base import RecordType, WritePlan
from simulators.erp.records.fields import Field

SALE_TYPES = {"Service": "serviceSaleItem", "NonInvtPart": "nonInventorySaleItem"}
# Every item type by its itemType (SuiteQL item.itemtype 'Discount' for discount items).
ITEM_TYPES = {**SALE_TYPES, "Discount": "discountItem"}
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
        Field("itemType", "enum", required=True, choices=tuple(SALE_TYPES)),
    )

    def ref_name(self, rec: Record) -> str:
        return str(rec.get("itemId"))

    def prepare(self, ctx: Ctx, rec: Record, old: Record | None) -> None:
        if self.item_type is not None:
            if old is not None and old.get("itemType") != self.item_type:
                raise InvalidFldValue(f"Item {rec['id']} is not a {self.name}.", "itemType")
            rec["itemType"] = self.item_type

    def check_account(self, ctx: Ctx, rec: Record) -> None:
        account = ctx.get("account", rec["incomeAccount"]["id"])
        assert account is not None
        if account.get("acctType") not in ("Income", "DeferRevenue", "OthIncome"):
            raise InvalidFldValue(
                "The income account must be an income or deferred revenue account.", "incomeAccount"
            )

    def plan(self, ctx: Ctx, rec: Record, old: Record | None) -> WritePlan:
        self.check_account(ctx, rec)
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


class DiscountItemType(ItemType):
    """``discountItem``: a line that takes an amount or a percentage off the line just
    before it on an invoice or credit memo (Oracle, "Discount Items": a discount applies to
    the item above it, or to the subtotal above it; its rate is an amount or a
    percentage). Its ``account`` is where the discount posts (a debit on an invoice). The
    fake has no subtotal items: a discount always applies to the line just before it."""

    name = "discountItem"
    item_type = "Discount"
    fields = (
        Field("itemId", "text", required=True),
        Field("displayName", "text"),
        Field("description", "text"),
        Field("rate", "text", required=True),
        Field("account", "ref", "account", required=True),
        Field("subsidiary", "ref", "subsidiary"),
        Field("isInactive", "bool"),
    )

    def check_account(self, ctx: Ctx, rec: Record) -> None:
        if parse_rate(rec["rate"]) is None:
            raise InvalidFldValue(
                f"Invalid rate {rec['rate']}: an amount (-25.00) or a percentage (-10%).",
                "rate")
        account = ctx.get("account", rec["account"]["id"])
        assert account is not None
        if account.get("acctType") not in ("Income", "OthIncome", "Expense", "OthExpense"):
            raise InvalidFldValue(
                "The discount account must be an income or expense account.", "account")


def parse_rate(text: object) -> tuple[Decimal, bool] | None:
    """A discount rate as (magnitude, is a percentage); None when it is neither."""
    raw = str(text).strip()
    percent = raw.endswith("%")
    try:
        value = abs(Decimal(raw.rstrip("%").strip()))
    except InvalidOperation:
        return None
    if not value.is_finite() or (percent and value > 100):
        return None
    return value, percent
