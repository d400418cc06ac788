"""Customers and their payment methods, including Stripe's test payment methods.

Test ids from the Stripe docs ("Testing", "Declined payments"): ``pm_card_visa``
and friends succeed; ``pm_card_chargeDeclined*`` are declined when attached;
``pm_card_chargeCustomerFail`` attaches but every charge is declined, which is
how a renewal's dunning is exercised.
"""

from __future__ import annotations

from typing import Any

from simulators.billing import discounts
from simulators.billing.context import Ctx
from simulators.billing.errors import CardError, InvalidRequest
from simulators.billing.events import changed, emit
from simulators.billing.metadata import updated_metadata
from simulators.engine.frozen import NO_METADATA, FrozenDict, FrozenList
from simulators.engine.shapes import Shape
from simulators.engine.store import Record

# test payment method -> (brand, last4, decline at attach, decline code at charge)
TEST_CARDS: dict[str, tuple[str, str, str | None, str | None]] = {
    "pm_card_visa": ("visa", "4242", None, None),
    "pm_card_visa_debit": ("visa", "5556", None, None),
    "pm_card_mastercard": ("mastercard", "4444", None, None),
    "pm_card_amex": ("amex", "8431", None, None),
    "pm_card_chargeDeclined": ("visa", "0002", "generic_decline", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "insufficient_funds",
                                                "insufficient_funds"),
    "pm_card_chargeDeclinedExpiredCard": ("visa", "0069", "expired_card", "expired_card"),
    "pm_card_chargeCustomerFail": ("visa", "0341", None, "generic_decline"),
    # Stripe docs, "Testing", "Authentication and setup": 4000002500003155 needs
    # authentication to be set up, then pays off-session; 4000002760003184 needs it on
    # every payment, so an off-session charge is declined authentication_required.
    "pm_card_authenticationRequiredOnSetup": ("visa", "3155", None, None),
    "pm_card_authenticationRequired": ("visa", "3184", None, "authentication_required"),
}
# Test cards whose setup (a SetupIntent's confirmation) needs the cardholder's 3D Secure.
AUTHENTICATE_ON_SETUP = frozenset({"pm_card_authenticationRequiredOnSetup",
                                   "pm_card_authenticationRequired"})
DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "authentication_required": "Your card was declined. This transaction requires "
                               "authentication.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
}

# Customers are the most numerous records: built with shared keys (shapes.py).
_CUSTOMER = Shape("customer")
# What a new customer has unless told otherwise, shared by all (frozen.py).
_NO_INVOICE_SETTINGS = FrozenDict({"custom_fields": None, "default_payment_method": None,
                                   "footer": None, "rendering_options": None})
_NO_LOCALES = FrozenList()

CUSTOMER_FIELDS = ("name", "email", "description", "phone", "address", "metadata",
                   "invoice_settings", "delinquent", "balance", "currency", "preferred_locales",
                   "discount")


def decline(code: str, *, charge_id: str | None = None,
            payment_intent: dict[str, Any] | None = None) -> CardError:
    extra: dict[str, Any] = {}
    if charge_id:
        extra["charge"] = charge_id
    if payment_intent is not None:
        extra["payment_intent"] = payment_intent
    return CardError(DECLINE_MESSAGES.get(code, "Your card was declined."),
                     code=code if code in ("expired_card", "authentication_required")
                     else "card_declined",
                     decline_code=code, extra=extra)


def create_customer(ctx: Ctx, p: dict[str, Any]) -> Record:
    clock_id = p.get("test_clock")
    if clock_id:
        ctx.get("test_helpers.test_clock", clock_id, "test_clock")
    cust_id = ctx.new_id("cus_")
    cust = _CUSTOMER({
        "id": cust_id, "object": "customer", "address": p.get("address"),
        "business_name": None, "individual_name": None,
        "balance": p.get("balance") or 0, "created": ctx.clock_now(clock_id), "currency": None,
        "default_source": None, "delinquent": False, "description": p.get("description"),
        "discount": None, "email": p.get("email"), "invoice_prefix": cust_id[4:12].upper(),
        "invoice_settings": _NO_INVOICE_SETTINGS,
        "livemode": False, "metadata": p.get("metadata") or NO_METADATA, "name": p.get("name"),
        "next_invoice_sequence": 1, "phone": p.get("phone"),
        "preferred_locales": p.get("preferred_locales") or _NO_LOCALES,
        "shipping": None, "tax_exempt": "none", "test_clock": clock_id,
    })
    ctx.put("customer", cust)
    pm_id = p.get("payment_method")
    if pm_id:
        attach_payment_method(ctx, pm_id, cust)
    default_pm = (p.get("invoice_settings") or {}).get("default_payment_method")
    if default_pm:
        _set_default_pm(ctx, cust, default_pm)
    spec = _discount_spec(p)
    if spec:
        cust["discount"] = discounts.new_discount(ctx, spec, "coupon", customer=cust_id)["id"]
    if pm_id or default_pm or spec:
        ctx.put("customer", cust)
    emit(ctx, "customer.created", "customer", cust, at=cust["created"])  # the same instant
    return cust


def _discount_spec(p: dict[str, Any]) -> dict[str, Any] | None:
    # A customer's coupon or promotion code (before 2025-03-31.basil, which removed both:
    # the operation refuses them in a basil request).
    if p.get("coupon"):
        return {"coupon": p["coupon"]}
    if p.get("promotion_code"):
        return {"promotion_code": p["promotion_code"]}
    return None


def _set_default_pm(ctx: Ctx, cust: Record, pm_id: str) -> None:
    pm = ctx.store.get("payment_method", pm_id)
    if pm is None and pm_id in TEST_CARDS:
        pm = attach_payment_method(ctx, pm_id, cust)
    if pm is None or pm.get("customer") != cust["id"]:
        raise InvalidRequest(
            f"No such PaymentMethod: '{pm_id}'; It's possible this PaymentMethod exists on "
            "one of your connected accounts, in which case you should retry this request on "
            "that connected account.", param="invoice_settings[default_payment_method]",
            code="resource_missing")
    cust["invoice_settings"] = {**cust["invoice_settings"], "default_payment_method": pm["id"]}


def update_customer(ctx: Ctx, cust: Record, p: dict[str, Any]) -> Record:
    before = {k: cust.get(k) for k in CUSTOMER_FIELDS}
    for key in ("name", "email", "description", "phone", "address", "balance",
                "preferred_locales"):
        if key in p:
            cust[key] = p[key]
    if "metadata" in p:
        cust["metadata"] = updated_metadata(cust["metadata"], p["metadata"])
    spec = _discount_spec(p)
    if spec:  # replaces the customer's discount
        old = ctx.store.get("discount", cust["discount"]) if cust.get("discount") else None
        if old is not None:
            discounts.remove(ctx, old)
        cust["discount"] = discounts.new_discount(ctx, spec, "coupon", customer=cust["id"])["id"]
    settings = p.get("invoice_settings") or {}
    if settings.get("default_payment_method"):
        _set_default_pm(ctx, cust, settings["default_payment_method"])
    ctx.put("customer", cust)
    prev = changed(before, cust, CUSTOMER_FIELDS)
    if prev:
        emit(ctx, "customer.updated", "customer", cust, prev)
    return cust


def mark_deleted(ctx: Ctx, cust: Record) -> dict[str, Any]:
    """The customer's own part of a deletion (``subscriptions.delete_customer`` first ends
    its subscriptions)."""
    cust["deleted"] = True
    ctx.put("customer", cust)
    emit(ctx, "customer.deleted", "customer", cust)
    return {"id": cust["id"], "object": "customer", "deleted": True}


def set_delinquent(ctx: Ctx, cust: Record, value: bool) -> None:
    if cust.get("delinquent") == value:
        return
    cust["delinquent"] = value
    ctx.put("customer", cust)
    emit(ctx, "customer.updated", "customer", cust, {"delinquent": not value})


def create_payment_method(ctx: Ctx, p: dict[str, Any]) -> Record:
    card = p.get("card") or {}
    token = card.get("token") or "tok_visa"
    template = "pm_card_" + token.removeprefix("tok_")
    if template not in TEST_CARDS:
        template = "pm_card_visa"
    return _new_pm(ctx, template, None, p.get("metadata") or {})


def payment_method_for(ctx: Ctx, pm_id: str, customer: Record | None, param: str) -> Record:
    """The payment method ``pm_id`` names: a test id (``pm_card_visa``) makes a new one,
    attached to ``customer`` when there is one (declining cards refuse at attach)."""
    if pm_id in TEST_CARDS:
        if customer is not None:
            return attach_payment_method(ctx, pm_id, customer)
        return _new_pm(ctx, pm_id, None, {})
    return ctx.get("payment_method", pm_id, param)


def _new_pm(ctx: Ctx, template: str, customer: str | None, metadata: dict[str, str]) -> Record:
    brand, last4, _, _ = TEST_CARDS[template]
    pm: Record = {
        "id": ctx.new_id("pm_"), "object": "payment_method", "allow_redisplay": "unspecified",
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {"brand": brand, "country": "US", "exp_month": 12, "exp_year": 2034,
                 "funding": "credit", "last4": last4, "networks": {"available": [brand]},
                 "checks": {"cvc_check": "pass"}},
        "created": ctx.now(customer), "customer": customer, "livemode": False,
        "metadata": metadata, "type": "card", "_template": template,
    }
    ctx.put("payment_method", pm)
    return pm


def attach_payment_method(ctx: Ctx, pm_id: str, cust: Record) -> Record:
    if pm_id in TEST_CARDS:
        decline_at_attach = TEST_CARDS[pm_id][2]
        if decline_at_attach:
            raise decline(decline_at_attach)
        pm = _new_pm(ctx, pm_id, cust["id"], {})
    else:
        pm = ctx.get("payment_method", pm_id, "payment_method")
        if pm.get("customer") and pm["customer"] != cust["id"]:
            raise InvalidRequest("The payment method you provided has already been attached "
                                 "to a customer.", param="payment_method")
        decline_at_attach = TEST_CARDS.get(pm.get("_template", ""), ("", "", None, None))[2]
        if decline_at_attach:
            raise decline(decline_at_attach)
        pm["customer"] = cust["id"]
        ctx.put("payment_method", pm)
    emit(ctx, "payment_method.attached", "payment_method", pm)
    return pm


def detach_payment_method(ctx: Ctx, pm: Record) -> Record:
    cust_id = pm.get("customer")
    if not cust_id:
        raise InvalidRequest("The payment method you provided is not attached to a customer "
                             "so detachment is impossible.", param="payment_method")
    pm["customer"] = None
    ctx.put("payment_method", pm)
    cust = ctx.store.get("customer", cust_id)
    if cust and cust["invoice_settings"].get("default_payment_method") == pm["id"]:
        cust["invoice_settings"] = {**cust["invoice_settings"], "default_payment_method": None}
        ctx.put("customer", cust)
    emit(ctx, "payment_method.detached", "payment_method", pm)
    return pm
