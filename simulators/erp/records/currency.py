"""currency: ISO symbol, name and exchange rate to the parent subsidiary's base currency."""

from __future__ import annotations

from decimal import Decimal

from simulators.engine.store import Record
from simulators.erp.context import Ctx
from simulators.erp.errors import DupRcrd, InvalidFldValue, UserError
from simulators.erp.records.base import RecordType, WritePlan
from simulators.erp.records.fields import Field


class CurrencyType(RecordType):
    name = "currency"
    kind = "currency"
    fields = (
        Field("symbol", "text", required=True),
        Field("name", "text", required=True),
        Field("exchangeRate", "number"),
        Field("isBaseCurrency", "bool", read_only=True),
        Field("currencyPrecision", "int", read_only=True),
        Field("isInactive", "bool"),
    )

    def prepare(self, ctx: Ctx, rec: Record, old: Record | None) -> None:
        rec["symbol"] = rec["symbol"].upper()
        rec.setdefault("exchangeRate", "1")
        rec.setdefault("isBaseCurrency", False)
        rec["currencyPrecision"] = 0 if rec["symbol"] in ("JPY", "KRW", "VND", "CLP", "ISK") else 2

    def plan(self, ctx: Ctx, rec: Record, old: Record | None) -> WritePlan:
        symbol = rec["symbol"]
        if len(symbol) != 3 or not symbol.isalpha():
            raise InvalidFldValue(f"Invalid currency symbol {symbol}.", "symbol")
        if Decimal(rec["exchangeRate"]) <= 0:
            raise InvalidFldValue("The exchange rate must be positive.", "exchangeRate")
        for other in ctx.store.all("currency"):
            if other["symbol"] == symbol and other["id"] != rec["id"]:
                raise DupRcrd(f"A currency with the symbol {symbol} already exists.", "symbol")
        return super().plan(ctx, rec, old)

    def plan_delete(self, ctx: Ctx, rec: Record) -> WritePlan:
        for kind in (
            "subsidiary",
            "customer",
            "invoice",
            "creditmemo",
            "customerpayment",
            "journalentry",
        ):
            if any((r.get("currency") or {}).get("id") == rec["id"] for r in ctx.store.all(kind)):
                raise UserError("This record cannot be deleted because it has dependent records.")
        return super().plan_delete(ctx, rec)
