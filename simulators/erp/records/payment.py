"""customerPayment: debit the deposit account, credit A/R, applied to open invoices.

The ``apply`` sublist (``{doc: {id}, amount, apply}``) may not apply more than
an invoice still owes, nor more in all than the payment; an unapplied rest
stays on A/R as customer credit (Oracle, "Customer Payment"; VENDORS.md).
"""

from __future__ import annotations

from decimal import Decimal

from simulators.engine.store import Record
from simulators.erp import ledger, posting
from simulators.erp.context import Ctx
from simulators.erp.errors import InvalidFldValue
from simulators.erp.records.base import WritePlan
from simulators.erp.records.fields import Field, Sublist
from simulators.erp.records.transaction import (
    APPLY_FIELDS,
    HEADER,
    TransactionType,
    apply_to_invoices,
    money,
    unapply,
)

DEPOSIT_TYPES = ("Bank", "OthCurrAsset")


class CustomerPaymentType(TransactionType):
    name = "customerPayment"
    kind = "customerpayment"
    tran_prefix = "PYMT"
    fields = (
        *HEADER,
        Field("customer", "ref", "customer", required=True),
        Field("payment", "money", required=True),
        Field("account", "ref", "account"),
        Field("arAcct", "ref", "account"),
        Field("applied", "money", read_only=True),
        Field("unapplied", "money", read_only=True),
        Field("total", "money", read_only=True),
    )
    sublists = (Sublist("apply", APPLY_FIELDS),)
    fixed = ("customer",)

    def post(self, ctx: Ctx, rec: Record, old: Record | None, plan: WritePlan) -> ledger.Posting:
        customer = ctx.get("customer", rec["customer"]["id"])
        assert customer is not None
        sub, cur = posting.customer_terms(ctx, customer, rec)
        base = posting.currency_of(ctx, sub)
        symbol = cur["symbol"]
        rate = posting.exchange_rate(ctx, cur, base, rec.get("exchangeRate"))
        amount = money(rec["payment"], symbol)
        if amount <= 0:
            raise InvalidFldValue(f"The payment amount must be positive, got {amount}.", "payment")
        if rec.get("account") is not None:
            deposit = posting.check_account(
                ctx, rec["account"], sub["id"], "account", DEPOSIT_TYPES
            )
        else:
            deposit = posting.default_account(ctx, sub["id"], "Bank", "account")
            rec["account"] = {"id": deposit["id"]}
        if rec.get("arAcct") is not None:
            ar = posting.check_account(ctx, rec["arAcct"], sub["id"], "arAcct", ("AcctRec",))
        else:
            ar = posting.default_account(ctx, sub["id"], "AcctRec", "arAcct")
            rec["arAcct"] = {"id": ar["id"]}
        applied = apply_to_invoices(
            ctx, rec, old, plan, customer_id=customer["id"], currency=cur, available=amount
        )
        rec["payment"] = str(amount)
        rec["total"] = str(amount)
        rec["applied"] = str(money(applied, symbol))
        rec["unapplied"] = str(money(amount - applied, symbol))
        return ledger.customer_payment(
            subsidiary_id=int(sub["id"]),
            base_currency=base["symbol"],
            customer_id=int(customer["id"]),
            ar_account_id=int(ar["id"]),
            deposit_account_id=int(deposit["id"]),
            payment=amount,
            applied=[
                {"doc": int(k), "amount": Decimal(v)} for k, v in rec.get("_appliedTo", {}).items()
            ],
            currency=symbol,
            exchange_rate=rate,
            memo=rec.get("memo"),
        )

    def unlink(self, ctx: Ctx, rec: Record, plan: WritePlan) -> None:
        unapply(ctx, rec, plan)
