"""Credit notes (Stripe API reference, "Credit Notes").

On an open invoice a credit note lowers what is due (pre_payment). On a paid
invoice (post_payment) its total is split into ``refund_amount`` (a refund of
the invoice's charge), ``credit_amount`` (customer credit balance) and
``out_of_band_amount``; when none is given the whole total becomes credit.
"""

from __future__ import annotations

from typing import Any

from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest, StateError
from simulators.billing.events import emit
from simulators.billing.invoices import mark_paid
from simulators.billing.payments import refund_charge
from simulators.engine.store import Record


def _total_from_lines(inv: Record, lines: list[dict[str, Any]]) -> int:
    by_id = {line["id"]: line for line in inv["_lines"]}
    total = 0
    for i, line in enumerate(lines):
        if line.get("type") == "invoice_line_item":
            src = by_id.get(line.get("invoice_line_item") or "")
            if src is None:
                raise InvalidRequest(f"No such invoice line item: "
                                     f"'{line.get('invoice_line_item')}'",
                                     param=f"lines[{i}][invoice_line_item]",
                                     code="resource_missing")
            if line.get("amount") is not None:
                total += line["amount"]
            else:
                qty = line.get("quantity") or src.get("quantity") or 1
                # What the customer was charged for the line: less its discounts (the
                # tax is on that already).
                net = src["amount"] - sum(d["amount"] for d in src.get("discount_amounts") or ())
                share = net * qty // max(src.get("quantity") or 1, 1)
                # An inclusive tax is inside the line's amount already.
                tax = sum(t["amount"] for t in src["tax_amounts"] if not t.get("inclusive")) \
                    * qty // max(src.get("quantity") or 1, 1)
                total += share + tax
        else:
            if line.get("unit_amount") is None:
                raise InvalidRequest(f"Missing required param: lines[{i}][unit_amount].",
                                     param=f"lines[{i}][unit_amount]", code="parameter_missing")
            total += line["unit_amount"] * (line.get("quantity") or 1)
    return total


def create_credit_note(ctx: Ctx, p: dict[str, Any]) -> Record:
    inv = ctx.get("invoice", p["invoice"], "invoice")
    if inv["status"] not in ("open", "paid"):
        raise StateError(f"You can only create a credit note for an open or paid invoice. This "
                         f"invoice is {inv['status']}.", param="invoice")
    if p.get("lines"):
        total = _total_from_lines(inv, p["lines"])
    elif p.get("amount") is not None:
        total = p["amount"]
    else:
        total = sum(v for k in ("refund_amount", "credit_amount", "out_of_band_amount")
                    if (v := p.get(k)) is not None)
    credited = sum(cn["total"] for cn in ctx.store.collection("credit_note")
                   .by_index("invoice", inv["id"]) if cn["status"] == "issued")
    limit = inv["total"] - credited
    if total <= 0 or total > limit:
        raise InvalidRequest(f"The credit note amount ({total}) must be positive and at most the "
                             f"invoice's remaining creditable amount ({limit}).", param="amount")
    post = inv["status"] == "paid"
    refund_amount = p.get("refund_amount") or 0
    out_of_band = p.get("out_of_band_amount") or 0
    credit_amount = p.get("credit_amount")
    if credit_amount is None:
        credit_amount = total - refund_amount - out_of_band if post else 0
    if post and refund_amount + credit_amount + out_of_band != total:
        raise InvalidRequest("The sum of refund_amount, credit_amount and out_of_band_amount "
                             f"must equal the credit note total ({total}).",
                             param="refund_amount")
    if not post and (refund_amount or credit_amount):
        raise InvalidRequest("A credit note for an open invoice reduces the amount due; "
                             "refund_amount and credit_amount apply to paid invoices only.",
                             param="refund_amount")
    # Split the total into subtotal and tax in the invoice's proportion (integer math).
    tax = (total * (inv.get("tax") or 0)) // inv["total"] if inv["total"] else 0
    cust = ctx.get("customer", inv["customer"])
    n = len(ctx.store.collection("credit_note").by_index("invoice", inv["id"])) + 1
    cn: Record = {
        "id": ctx.new_id("cn_"), "object": "credit_note", "amount": total,
        "amount_shipping": 0, "created": ctx.now(cust["id"]), "currency": inv["currency"],
        "customer": cust["id"], "customer_balance_transaction": None, "discount_amount": 0,
        "discount_amounts": [], "effective_at": ctx.now(cust["id"]), "invoice": inv["id"],
        "livemode": False, "memo": p.get("memo"), "metadata": p.get("metadata") or {},
        "number": f"{inv['number']}-CN-{n:02d}", "out_of_band_amount": out_of_band or None,
        "pdf": f"https://pay.stripe.com/credit_notes/{inv['id']}/{n}/pdf",
        "reason": p.get("reason"), "refund": None, "status": "issued",
        "subtotal": total - tax, "subtotal_excluding_tax": total - tax, "total": total,
        "total_excluding_tax": total - tax, "type": "post_payment" if post else "pre_payment",
        "voided_at": None, "_credit_amount": credit_amount,
        "post_payment_amount": total if post else 0, "pre_payment_amount": 0 if post else total,
        "pretax_credit_amounts": [], "shipping_cost": None,
        "lines": {"object": "list", "data": [], "has_more": False,
                  "url": "/v1/credit_notes/lines"},
    }
    ctx.put("credit_note", cn)
    cn["lines"]["url"] = f"/v1/credit_notes/{cn['id']}/lines"
    if post:
        if refund_amount:
            if not inv.get("charge"):
                raise InvalidRequest("This invoice has no charge to refund.",
                                     param="refund_amount")
            charge = ctx.get("charge", inv["charge"])
            refund = refund_charge(ctx, charge, refund_amount, credit_note=cn["id"])
            cn["refund"] = refund["id"]
        if credit_amount:
            cust["balance"] = cust.get("balance", 0) - credit_amount
            ctx.put("customer", cust)
        inv["post_payment_credit_notes_amount"] += total
    else:
        inv["pre_payment_credit_notes_amount"] += total
        inv["amount_due"] -= total
        inv["amount_remaining"] -= total
    ctx.put("invoice", inv)
    ctx.put("credit_note", cn)
    emit(ctx, "credit_note.created", "credit_note", cn)
    if not post and inv["amount_remaining"] <= 0:
        mark_paid(ctx, inv)
    return cn


def void_credit_note(ctx: Ctx, cn: Record) -> Record:
    if cn["status"] == "void":
        raise StateError("This credit note has already been voided.", param="id")
    if cn["type"] == "post_payment" and cn.get("refund"):
        raise StateError("A credit note with a refund cannot be voided.", param="id")
    inv = ctx.get("invoice", cn["invoice"])
    if cn["type"] == "pre_payment":
        if inv["status"] == "paid":
            raise StateError("The invoice this credit note reduced is already paid.", param="id")
        inv["pre_payment_credit_notes_amount"] -= cn["total"]
        inv["amount_due"] += cn["total"]
        inv["amount_remaining"] += cn["total"]
    else:
        inv["post_payment_credit_notes_amount"] -= cn["total"]
        if cn.get("_credit_amount"):
            cust = ctx.get("customer", cn["customer"])
            cust["balance"] += cn["_credit_amount"]
            ctx.put("customer", cust)
    ctx.put("invoice", inv)
    cn.update(status="void", voided_at=ctx.now(cn["customer"]))
    ctx.put("credit_note", cn)
    emit(ctx, "credit_note.voided", "credit_note", cn, {"status": "issued"})
    return cn
