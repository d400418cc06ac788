"""Coupons, promotion codes and discounts, and what they take off an invoice.

A coupon says how much (``percent_off``, or ``amount_off`` in a currency) and for how
long (``duration``: ``once``, ``repeating`` for ``duration_in_months``, ``forever``); a
promotion code is a customer-facing code for a coupon; a discount is one application of a
coupon to a customer, a subscription or an invoice item (Stripe API reference,
"Coupons", "Promotion codes", "Discounts").

On an invoice (Stripe docs, "Discounts" under Billing, and the Invoice object's
``total_discount_amounts``): an invoice item's own discounts come off its line first;
then the invoice's discounts (the subscription's, else the customer's) come off every
discountable line, a percentage line by line, an amount shared between the lines in
proportion to what is left on each (the last line takes the rounding), never below zero.
Tax is computed on what is left. Amounts are integers in the minor unit, percentages
Decimal, rounded half up (never float).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest
from simulators.billing.events import changed, emit
from simulators.billing.metadata import updated_metadata
from simulators.billing.periods import add_interval
from simulators.engine.store import Record


def _code(ctx: Ctx) -> str:
    """A generated coupon id or promotion code: eight capitals and digits, from the seed."""
    return ctx.tenant.new_id("", 8).upper()


# -- coupons ---------------------------------------------------------------------
def create_coupon(ctx: Ctx, p: dict[str, Any]) -> Record:
    amount = p.get("amount_off")
    pct = Decimal(p["percent_off"]) if p.get("percent_off") is not None else None  # checked
    if (pct is None) == (amount is None):
        raise InvalidRequest("You must pass exactly one of percent_off or amount_off.",
                             param="percent_off" if pct is None else "amount_off")
    if pct is not None and not Decimal(0) < pct <= Decimal(100):
        raise InvalidRequest("Invalid percent_off: must be greater than 0 and at most 100.",
                             param="percent_off")
    if amount is not None and not p.get("currency"):
        raise InvalidRequest("Missing required param: currency.", param="currency",
                             code="parameter_missing")
    duration = p.get("duration") or "once"
    months = p.get("duration_in_months")
    if (duration == "repeating") != (months is not None):
        raise InvalidRequest("duration_in_months is required with duration=repeating, and "
                             "only then.", param="duration_in_months")
    coupon_id = p.get("id") or _code(ctx)
    if ctx.store.get("coupon", coupon_id) is not None:
        raise InvalidRequest("Coupon already exists.", param="id",
                             code="resource_already_exists")
    coupon: Record = {
        "id": coupon_id, "object": "coupon", "amount_off": amount,
        "created": ctx.now(), "currency": p.get("currency") if amount is not None else None,
        "duration": duration, "duration_in_months": months, "livemode": False,
        "max_redemptions": p.get("max_redemptions"), "metadata": p.get("metadata") or {},
        "name": p.get("name"), "percent_off": float(pct) if pct is not None else None,
        "redeem_by": p.get("redeem_by"), "times_redeemed": 0, "valid": True,
        "_percent_off": str(pct) if pct is not None else None,
    }
    ctx.put("coupon", coupon)
    emit(ctx, "coupon.created", "coupon", coupon)
    return coupon


def update_coupon(ctx: Ctx, coupon: Record, p: dict[str, Any]) -> Record:
    """Only ``name`` and ``metadata`` change (Stripe API reference, "Update a coupon":
    "Other coupon details (currency, duration, amount_off) are, by design, not
    editable")."""
    before = dict(coupon)
    if p.get("name") is not None:
        coupon["name"] = p["name"]
    if "metadata" in p:
        coupon["metadata"] = updated_metadata(coupon["metadata"], p["metadata"])
    ctx.put("coupon", coupon)
    emit(ctx, "coupon.updated", "coupon", coupon, changed(before, coupon, ("name", "metadata")))
    return coupon


def delete_coupon(ctx: Ctx, coupon: Record) -> dict[str, Any]:
    """Deleting a coupon stops new redemptions; discounts made from it go on
    (Stripe API reference, "Delete a coupon")."""
    coupon["deleted"] = True
    coupon["valid"] = False
    ctx.put("coupon", coupon)
    emit(ctx, "coupon.deleted", "coupon", coupon)
    return {"id": coupon["id"], "object": "coupon", "deleted": True}


def _redeemable(ctx: Ctx, coupon: Record, param: str) -> None:
    now = ctx.now()
    if coupon.get("max_redemptions") is not None and \
            coupon["times_redeemed"] >= coupon["max_redemptions"]:
        coupon["valid"] = False
    if coupon.get("redeem_by") is not None and now >= coupon["redeem_by"]:
        coupon["valid"] = False
    if not coupon["valid"]:
        ctx.put("coupon", coupon)
        raise InvalidRequest(f"Coupon {coupon['id']} is no longer valid.", param=param,
                             code="coupon_expired")


# -- promotion codes -----------------------------------------------------------------
def create_promotion_code(ctx: Ctx, p: dict[str, Any]) -> Record:
    coupon_id = p.get("coupon") or (p.get("promotion") or {}).get("coupon")
    if not coupon_id:
        raise InvalidRequest("Missing required param: promotion[coupon].",
                             param="promotion[coupon]", code="parameter_missing")
    coupon = ctx.get("coupon", coupon_id, "coupon")
    code = p.get("code") or _code(ctx)
    for other in ctx.store.collection("promotion_code").by_index("code", code):
        if other["active"]:
            raise InvalidRequest(f"An active promotion code with `code: {code}` already "
                                 "exists.", param="code", code="resource_already_exists")
    restrictions = p.get("restrictions") or {}
    if p.get("customer"):
        ctx.get("customer", p["customer"], "customer")
    promo: Record = {
        "id": ctx.new_id("promo_"), "object": "promotion_code",
        "active": p.get("active", True), "code": code, "coupon": coupon["id"],
        "created": ctx.now(), "customer": p.get("customer"),
        "expires_at": p.get("expires_at"), "livemode": False,
        "max_redemptions": p.get("max_redemptions"), "metadata": p.get("metadata") or {},
        "restrictions": {
            "currency_options": {},
            "first_time_transaction": bool(restrictions.get("first_time_transaction")),
            "minimum_amount": restrictions.get("minimum_amount"),
            "minimum_amount_currency": restrictions.get("minimum_amount_currency")},
        "times_redeemed": 0,
    }
    ctx.put("promotion_code", promo)
    emit(ctx, "promotion_code.created", "promotion_code", promo)
    return promo


def update_promotion_code(ctx: Ctx, promo: Record, p: dict[str, Any]) -> Record:
    before = dict(promo)
    if p.get("active") is not None:
        promo["active"] = p["active"]
    if "metadata" in p:
        promo["metadata"] = updated_metadata(promo["metadata"], p["metadata"])
    ctx.put("promotion_code", promo)
    emit(ctx, "promotion_code.updated", "promotion_code", promo,
         changed(before, promo, ("active", "metadata")))
    return promo


# -- discounts -----------------------------------------------------------------
def new_discount(ctx: Ctx, spec: dict[str, Any], param: str, *, customer: str,
                 subscription: str | None = None, invoice_item: str | None = None,
                 invoice: str | None = None) -> Record:
    """A discount from ``spec`` (``{"coupon": ...}`` or ``{"promotion_code": ...}``),
    redeeming its coupon (and code) once."""
    promo = None
    if spec.get("promotion_code"):
        promo = ctx.get("promotion_code", spec["promotion_code"], f"{param}[promotion_code]")
        now = ctx.now(customer)
        if not promo["active"] or (promo["expires_at"] is not None and now >= promo["expires_at"]) \
                or (promo["max_redemptions"] is not None
                    and promo["times_redeemed"] >= promo["max_redemptions"]):
            raise InvalidRequest(f"This promotion code cannot be redeemed: {promo['code']}",
                                 param=f"{param}[promotion_code]")
        if promo["customer"] not in (None, customer):
            raise InvalidRequest("This promotion code cannot be redeemed by this customer.",
                                 param=f"{param}[promotion_code]")
        coupon = ctx.get("coupon", promo["coupon"], f"{param}[promotion_code]")
    elif spec.get("coupon"):
        coupon = ctx.get("coupon", spec["coupon"], f"{param}[coupon]")
    else:
        raise InvalidRequest(f"Missing required param: {param}[coupon].",
                             param=f"{param}[coupon]", code="parameter_missing")
    _redeemable(ctx, coupon, f"{param}[coupon]")
    start = ctx.now(customer)
    months = coupon.get("duration_in_months")
    end = add_interval(start, "month", months) if coupon["duration"] == "repeating" and months \
        else None
    discount: Record = {
        "id": ctx.new_id("di_"), "object": "discount", "checkout_session": None,
        "coupon": coupon["id"], "customer": customer, "end": end, "invoice": invoice,
        "invoice_item": invoice_item, "promotion_code": promo["id"] if promo else None,
        "start": start, "subscription": subscription, "subscription_item": None,
    }
    ctx.put("discount", discount)
    coupon["times_redeemed"] += 1
    ctx.put("coupon", coupon)
    if promo is not None:
        promo["times_redeemed"] += 1
        ctx.put("promotion_code", promo)
    if invoice_item is None and invoice is None:
        # A customer's or a subscription's discount (Stripe: customer.discount.created).
        emit(ctx, "customer.discount.created", "discount", discount)
    return discount


def discounts_from(ctx: Ctx, specs: list[dict[str, Any]] | None, param: str, *,
                   customer: str, **applied_to: str | None) -> list[str]:
    """The ids of the discounts ``specs`` make (a ``{"discount": id}`` spec reuses one)."""
    out = []
    for i, spec in enumerate(specs or []):
        if spec.get("discount"):
            out.append(ctx.get("discount", spec["discount"], f"{param}[{i}][discount]")["id"])
        else:
            out.append(new_discount(ctx, spec, f"{param}[{i}]", customer=customer,
                                    **applied_to)["id"])
    return out


def active(ctx: Ctx, discount_id: str, at: int) -> Record | None:
    discount = ctx.store.get("discount", discount_id)
    if discount is None or discount.get("deleted"):
        return None
    if discount["end"] is not None and at >= discount["end"]:
        return None
    return discount


def invoice_discounts(ctx: Ctx, customer: Record, subscription: Record | None,
                      at: int) -> list[str]:
    """What an invoice made now takes: its subscription's discounts, else the
    customer's (Stripe docs, "Discounts": a subscription's discount overrides the
    customer's)."""
    ids = list(subscription.get("discounts") or []) if subscription else []
    if not ids and customer.get("discount"):
        ids = [customer["discount"]]
    return [d for d in ids if active(ctx, d, at) is not None]


def _percent_of(amount: int, pct: str) -> int:
    return int((Decimal(amount) * Decimal(pct) / 100).quantize(Decimal(1),
                                                               rounding=ROUND_HALF_UP))


def _off(ctx: Ctx, discount_id: str, lines: list[Record], left: dict[str, int],
         currency: str) -> None:
    """Take ``discount_id`` off ``lines`` (each line's ``left`` amount goes down)."""
    discount = ctx.store.get("discount", discount_id)
    coupon = ctx.store.get("coupon", discount["coupon"]) if discount else None
    if coupon is None:
        return
    takes: dict[str, int] = {}
    if coupon["_percent_off"] is not None:
        for line in lines:
            takes[line["id"]] = _percent_of(left[line["id"]], coupon["_percent_off"])
    elif coupon["currency"] == currency:
        base = sum(left[line["id"]] for line in lines)
        budget = min(coupon["amount_off"], base)
        given = 0
        for n, line in enumerate(lines):
            share = (budget - given if n == len(lines) - 1 else
                     budget * left[line["id"]] // base if base else 0)
            takes[line["id"]] = share
            given += share
    for line in lines:
        take = min(takes.get(line["id"], 0), left[line["id"]])
        if take > 0 or coupon["_percent_off"] is not None or coupon["currency"] == currency:
            line["discount_amounts"].append({"amount": take, "discount": discount_id})
        left[line["id"]] -= take


def apply(ctx: Ctx, inv: Record) -> dict[str, int]:
    """Work out every line's ``discount_amounts`` and the invoice's
    ``total_discount_amounts``; answers what is left of each line (by line id)."""
    lines = inv["_lines"]
    left = {line["id"]: line["amount"] for line in lines}
    for line in lines:
        line["discount_amounts"] = []
    for line in lines:
        if line.get("discountable") and left[line["id"]] > 0:
            for d in line.get("discounts") or []:
                _off(ctx, d, [line], left, inv["currency"])
    eligible = [line for line in lines if line.get("discountable") and left[line["id"]] > 0]
    for d in inv.get("discounts") or []:
        _off(ctx, d, eligible, left, inv["currency"])
    per: dict[str, int] = {}
    for line in lines:
        for da in line["discount_amounts"]:
            per[da["discount"]] = per.get(da["discount"], 0) + da["amount"]
    inv["total_discount_amounts"] = [{"amount": a, "discount": d} for d, a in per.items()]
    return left


def used(ctx: Ctx, inv: Record) -> None:
    """After an invoice is made: a ``once`` discount that took something off it is
    spent, and leaves its subscription or customer (``customer.discount.deleted``)."""
    for item in inv.get("total_discount_amounts") or []:
        discount = ctx.store.get("discount", item["discount"])
        coupon = ctx.store.get("coupon", discount["coupon"]) if discount else None
        if discount is None or coupon is None or coupon["duration"] != "once" \
                or item["amount"] <= 0 or discount.get("invoice_item"):
            continue
        remove(ctx, discount)


def remove(ctx: Ctx, discount: Record) -> None:
    """End a discount: off its subscription or customer, then the deleted stub."""
    if discount.get("subscription"):
        sub = ctx.store.get("subscription", discount["subscription"])
        if sub is not None and discount["id"] in (sub.get("discounts") or []):
            sub["discounts"] = [d for d in sub["discounts"] if d != discount["id"]]
            ctx.put("subscription", sub)
    else:
        cust = ctx.store.get("customer", discount["customer"])
        if cust is not None and cust.get("discount") == discount["id"]:
            cust["discount"] = None
            ctx.put("customer", cust)
    discount["deleted"] = True
    ctx.put("discount", discount)
    emit(ctx, "customer.discount.deleted", "discount", discount)
