"""invoice and creditMemo: item lines, tax, terms and due date, A/R postings.

Invoice: debit A/R for the total, credit each item's income account, credit
tax payable for the tax (Oracle, "Invoice" GL impact; VENDORS.md). A credit
memo is the same posting reversed and may be applied to the customer's open
invoices. Tax per line is ``tax1Amt`` or ``amount * taxRate1 / 100`` (field
names as NetSuite's line tax fields; their REST availability is unverified),
posted to the subsidiary's first Other Current Liability account unless
``taxAccount`` names one (a fake-only field).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from simulators.engine.store import Record
from simulators.erp import ledger, posting
from simulators.erp.context import Ctx
from simulators.erp.errors import InvalidFldValue, UserError
from simulators.erp.records.base import WritePlan
from simulators.erp.records.fields import Field, Sublist
from simulators.erp.records.item import parse_rate
from simulators.erp.records.transaction import (
    APPLY_FIELDS,
    HEADER,
    TransactionType,
    apply_to_invoices,
    money,
    refresh_invoice,
    unapply,
)

ITEM_LINE = Sublist(
    "item",
    (
        Field("item", "ref", "item", required=True),
        Field("quantity", "number"),
        Field("rate", "number"),
        Field("amount", "money"),
        Field("description", "text"),
        Field("taxRate1", "number"),
        Field("tax1Amt", "money"),
    ),
)
SALES_FIELDS = (
    *HEADER,
    Field("entity", "ref", "customer", required=True),
    Field("terms", "ref", "term"),
    Field("dueDate", "date"),
    Field("account", "ref", "account"),
    Field("taxAccount", "ref", "account"),
    Field("subtotal", "money", read_only=True),
    Field("taxTotal", "money", read_only=True),
    Field("total", "money", read_only=True),
)


class SalesType(TransactionType):
    sign = 1
    sublists: tuple[Sublist, ...] = (ITEM_LINE,)

    def line_updated(self, sublist: str, line: dict[str, Any], update: dict[str, Any]) -> None:
        # An amount computed from quantity x rate follows a new quantity or rate
        # unless the update gives the amount itself.
        if (
            sublist == "item"
            and "amount" not in update
            and ("quantity" in update or "rate" in update)
        ):
            line.pop("amount", None)

    def lines(self, ctx: Ctx, rec: Record, symbol: str) -> tuple[list[dict[str, Any]], Decimal]:
        out: list[dict[str, Any]] = []
        tax_total = Decimal(0)
        items = rec.get("item", {}).get("items", [])
        if not items:
            raise UserError(
                "You must enter at least one line item for this transaction.", "item.items"
            )
        for index, line in enumerate(items):
            path = f"item.items[{index}]"
            item = ctx.get("item", line["item"]["id"])
            assert item is not None
            if item.get("isInactive"):
                raise InvalidFldValue(f"The item {item.get('itemId')} is inactive.", f"{path}.item")
            restricted = item.get("subsidiary")
            if restricted is not None and restricted["id"] != rec["subsidiary"]["id"]:
                raise InvalidFldValue(
                    f"The item {item.get('itemId')} is not available in this subsidiary.",
                    f"{path}.item",
                )
            if item.get("itemType") == "Discount":
                amount = discount_amount(line, item, out, symbol, path)
                tax = (money(amount * Decimal(line["taxRate1"]) / 100, symbol)
                       if line.get("taxRate1") is not None else Decimal(0))
                if tax:
                    line["tax1Amt"] = str(tax)
                tax_total += tax
                line["amount"] = str(amount)
                out.append({"account": int(item["account"]["id"]), "amount": amount,
                            "item": int(item["id"]), "rate": line.get("rate"),
                            "memo": line.get("description"), "discount": True})
                continue
            quantity = Decimal(line.get("quantity", "1"))
            if line.get("amount") is not None:
                amount = money(line["amount"], symbol)
            else:
                rate = line.get("rate", item.get("basePrice"))
                if rate is None:
                    raise UserError("Please enter a rate or an amount.", f"{path}.amount")
                line.setdefault("rate", rate)
                amount = money(quantity * Decimal(rate), symbol)
            if amount <= 0:
                raise InvalidFldValue(
                    f"The amount must be positive, got {amount}.", f"{path}.amount"
                )
            line["amount"] = str(amount)
            line.setdefault("quantity", str(quantity))
            if line.get("taxRate1") is not None:
                tax = money(amount * Decimal(line["taxRate1"]) / 100, symbol)
                line["tax1Amt"] = str(tax)
            elif line.get("tax1Amt") is not None:
                tax = money(line["tax1Amt"], symbol)
            else:
                tax = Decimal(0)
            if tax < 0:
                raise InvalidFldValue("Tax must not be negative.", f"{path}.tax1Amt")
            tax_total += tax
            out.append(
                {
                    "account": int(item["incomeAccount"]["id"]),
                    "amount": amount,
                    "item": int(item["id"]),
                    "quantity": quantity,
                    "rate": line.get("rate"),
                    "memo": line.get("description"),
                }
            )
        return out, tax_total

    def post(self, ctx: Ctx, rec: Record, old: Record | None, plan: WritePlan) -> ledger.Posting:
        customer = ctx.get("customer", rec["entity"]["id"])
        assert customer is not None
        sub, cur = posting.customer_terms(ctx, customer, rec)
        base = posting.currency_of(ctx, sub)
        symbol = cur["symbol"]
        rate = posting.exchange_rate(ctx, cur, base, rec.get("exchangeRate"))
        if rec.get("account") is not None:
            ar = posting.check_account(ctx, rec["account"], sub["id"], "account", ("AcctRec",))
        else:
            ar = posting.default_account(ctx, sub["id"], "AcctRec", "account")
            rec["account"] = {"id": ar["id"]}
        lines, tax = self.lines(ctx, rec, symbol)
        tax_account: int | None = None
        if tax:
            if rec.get("taxAccount") is not None:
                tax_account = int(
                    posting.check_account(
                        ctx, rec["taxAccount"], sub["id"], "taxAccount", ("OthCurrLiab",)
                    )["id"]
                )
            else:
                tax_account = int(
                    posting.default_account(ctx, sub["id"], "OthCurrLiab", "taxAccount")["id"]
                )
        for index, line in enumerate(lines):
            posting.check_account(
                ctx, {"id": str(line["account"])}, sub["id"], f"item.items[{index}].item"
            )
        build = ledger.invoice if self.sign > 0 else ledger.credit_memo
        result = build(
            subsidiary_id=int(sub["id"]),
            base_currency=base["symbol"],
            customer_id=int(customer["id"]),
            ar_account_id=int(ar["id"]),
            lines=lines,
            currency=symbol,
            exchange_rate=rate,
            tax_account_id=tax_account,
            tax_total=tax,
            memo=rec.get("memo"),
        )
        subtotal = sum((line["amount"] for line in lines), Decimal(0))
        if subtotal + tax < 0:
            raise InvalidFldValue(
                f"The discounts exceed the items: the total would be {subtotal + tax}.",
                "item.items")
        rec["subtotal"] = str(subtotal)
        rec["taxTotal"] = str(money(tax, symbol))
        rec["total"] = str(money(subtotal + tax, symbol))
        self.after_post(ctx, rec, old, plan, customer, cur)
        return result

    def after_post(
        self,
        ctx: Ctx,
        rec: Record,
        old: Record | None,
        plan: WritePlan,
        customer: Record,
        cur: Record,
    ) -> None:
        raise NotImplementedError


class InvoiceType(SalesType):
    name = "invoice"
    kind = "invoice"
    tran_prefix = "INV"
    fields = (
        *SALES_FIELDS,
        Field("amountPaid", "money", read_only=True),
        Field("amountRemaining", "money", read_only=True),
        Field("status", "text", read_only=True),
    )
    fixed = ("entity",)

    def after_post(
        self,
        ctx: Ctx,
        rec: Record,
        old: Record | None,
        plan: WritePlan,
        customer: Record,
        cur: Record,
    ) -> None:
        if rec.get("terms") is None and customer.get("terms") is not None:
            rec["terms"] = {"id": customer["terms"]["id"]}
        if rec.get("dueDate") is None or (
            old is not None
            and old.get("dueDate") == rec.get("dueDate")
            and old.get("terms") != rec.get("terms")
        ):
            days = 0
            if rec.get("terms") is not None:
                term = ctx.get("term", rec["terms"]["id"])
                assert term is not None
                days = int(term["daysUntilNetDue"])
            due = dt.date.fromisoformat(rec["tranDate"]) + dt.timedelta(days=days)
            rec["dueDate"] = due.isoformat()
        paid = sum((Decimal(v) for v in rec.get("_applied", {}).values()), Decimal(0))
        if Decimal(rec["total"]) < paid:
            raise UserError(
                f"The total ({rec['total']}) would be less than the amount already "
                f"paid or credited ({paid}).",
                "item.items",
            )
        if old is not None and old.get("currency") != rec.get("currency") and paid:
            raise UserError(
                "You cannot change the currency of an invoice with payments.", "currency"
            )
        rec["_gl"] = {"currency": cur["symbol"]}
        refresh_invoice(rec)

    def unlink(self, ctx: Ctx, rec: Record, plan: WritePlan) -> None:
        if rec.get("_applied"):
            raise UserError(
                "This record cannot be deleted because it has dependent records "
                "(payments or credits applied)."
            )


class CreditMemoType(SalesType):
    name = "creditMemo"
    kind = "creditmemo"
    tran_prefix = "CM"
    sign = -1
    fields = (
        *SALES_FIELDS,
        Field("createdFrom", "ref", "invoice"),
        Field("applied", "money", read_only=True),
        Field("unapplied", "money", read_only=True),
        Field("status", "text", read_only=True),
    )
    sublists = (ITEM_LINE, Sublist("apply", APPLY_FIELDS))
    fixed = ("entity",)

    def after_post(
        self,
        ctx: Ctx,
        rec: Record,
        old: Record | None,
        plan: WritePlan,
        customer: Record,
        cur: Record,
    ) -> None:
        created = rec.get("createdFrom")
        if created is not None:
            inv = ctx.get("invoice", created["id"])
            assert inv is not None
            if inv["entity"]["id"] != customer["id"]:
                raise InvalidFldValue(
                    "The invoice this credit memo is created from belongs to another customer.",
                    "createdFrom",
                )
        total = Decimal(rec["total"])
        applied = apply_to_invoices(
            ctx, rec, old, plan, customer_id=customer["id"], currency=cur, available=total
        )
        rec["applied"] = str(money(applied, cur["symbol"]))
        rec["unapplied"] = str(money(total - applied, cur["symbol"]))
        fully = total == applied
        rec["status"] = (
            {"id": "fullyApplied", "refName": "Fully Applied"}
            if fully
            else {"id": "open", "refName": "Open"}
        )
        rec["_statusCode"] = "B" if fully else "A"

    def unlink(self, ctx: Ctx, rec: Record, plan: WritePlan) -> None:
        unapply(ctx, rec, plan)


def discount_amount(line: dict[str, Any], item: Record, before: list[dict[str, Any]],
                    symbol: str, path: str) -> Decimal:
    """A discount line's (negative) amount: its own amount, or its rate (the line's, else
    the item's) off the line just before it, a percentage of that line's amount or a
    fixed amount (Oracle, "Discount Items")."""
    if line.get("amount") is not None:
        amount = -abs(money(line["amount"], symbol))
    else:
        rate = parse_rate(line["rate"] if line.get("rate") is not None else item["rate"])
        if rate is None:
            raise InvalidFldValue(f"Invalid discount rate {line.get('rate')}.", f"{path}.rate")
        value, percent = rate
        if percent:
            previous = before[-1] if before else None
            if previous is None or previous.get("discount"):
                raise UserError("A percentage discount must follow the item line it "
                                "discounts.", f"{path}.item")
            # (The line's rate stays unset: the fake's rate field is a number, where
            # NetSuite shows "-10.00%".)
            amount = -money(previous["amount"] * value / 100, symbol)
        else:
            amount = -money(value, symbol)
            line.setdefault("rate", str(amount))
    if amount == 0:
        raise InvalidFldValue("A discount of zero is not a discount.", f"{path}.amount")
    return amount
