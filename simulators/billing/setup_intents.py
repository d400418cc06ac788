"""SetupIntents: collecting a card for later (off-session) payments, before the first
invoice (Stripe API reference, "Setup Intents"; Stripe docs, "Save a customer's
payment method without making a payment").

requires_payment_method -> requires_confirmation (a payment method given) -> confirm ->
succeeded (the payment method is attached to the customer), or requires_action when the
card needs 3D Secure (Stripe's test cards ``pm_card_authenticationRequiredOnSetup`` and
``pm_card_authenticationRequired``). The cardholder's authentication happens in a
browser in real Stripe; here the control plane completes or fails it
(``POST /_sim/billing/setup_intents/{id}/authenticate``), as Stripe's test-mode
authentication page's two buttons do. A declining card fails the confirmation with the
card error (402) and ``last_setup_error``.
"""

from __future__ import annotations

from typing import Any

from simulators.billing.context import Ctx
from simulators.billing.customers import (
    AUTHENTICATE_ON_SETUP,
    TEST_CARDS,
    attach_payment_method,
    decline,
    payment_method_for,
)
from simulators.billing.errors import CardError, InvalidRequest
from simulators.billing.events import emit
from simulators.billing.metadata import updated_metadata
from simulators.billing.render import render
from simulators.engine.store import Record

AUTHENTICATE_PATH = "/_sim/billing/setup_intents/{id}/authenticate"


def create(ctx: Ctx, p: dict[str, Any]) -> Record:
    customer = ctx.get("customer", p["customer"], "customer") if p.get("customer") else None
    seti: Record = {
        "id": ctx.new_id("seti_"), "object": "setup_intent", "application": None,
        "automatic_payment_methods": None, "cancellation_reason": None,
        "client_secret": None, "created": ctx.now(customer["id"] if customer else None),
        "customer": customer["id"] if customer else None,
        "description": p.get("description"), "flow_directions": None,
        "last_setup_error": None, "latest_attempt": None, "livemode": False,
        "mandate": None, "metadata": p.get("metadata") or {}, "next_action": None,
        "on_behalf_of": None, "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": list(p.get("payment_method_types") or ["card"]),
        "single_use_mandate": None, "status": "requires_payment_method",
        "usage": p.get("usage") or "off_session", "allowed_payment_method_types": None,
        "attach_to_self": None, "excluded_payment_method_types": None,
    }
    # The client secret is a credential (Stripe.js confirms with it): unguessable.
    seti["client_secret"] = f"{seti['id']}_secret_{ctx.tenant.new_id('', 24)}"
    if p.get("payment_method"):
        pm = payment_method_for(ctx, p["payment_method"], None, "payment_method")
        seti.update(payment_method=pm["id"], status="requires_confirmation")
    ctx.put("setup_intent", seti)
    emit(ctx, "setup_intent.created", "setup_intent", seti)
    if p.get("confirm"):
        confirm(ctx, seti, {"return_url": p.get("return_url")})
    return seti


def update(ctx: Ctx, seti: Record, p: dict[str, Any]) -> Record:
    if seti["status"] in ("succeeded", "canceled"):
        raise _unexpected(seti, "updated")
    if p.get("customer"):
        seti["customer"] = ctx.get("customer", p["customer"], "customer")["id"]
    if p.get("description") is not None:
        seti["description"] = p["description"]
    if "metadata" in p:
        seti["metadata"] = updated_metadata(seti["metadata"], p["metadata"])
    if p.get("payment_method"):
        pm = payment_method_for(ctx, p["payment_method"], None, "payment_method")
        seti.update(payment_method=pm["id"], status="requires_confirmation")
    ctx.put("setup_intent", seti)
    return seti


def _unexpected(seti: Record, action: str) -> InvalidRequest:
    return InvalidRequest(f"This SetupIntent could not be {action} because it has a status "
                          f"of {seti['status']}.", param="setup_intent",
                          code="setup_intent_unexpected_state")


def confirm(ctx: Ctx, seti: Record, p: dict[str, Any]) -> Record:
    if seti["status"] not in ("requires_payment_method", "requires_confirmation",
                              "requires_action"):
        raise _unexpected(seti, "confirmed")
    customer = ctx.get("customer", seti["customer"]) if seti.get("customer") else None
    pm_id = p.get("payment_method") or seti.get("payment_method")
    if not pm_id:
        raise InvalidRequest("You cannot confirm this SetupIntent because it's missing a "
                             "payment method. Update the SetupIntent with a payment method "
                             "and then confirm it again.", param="payment_method",
                             code="setup_intent_unexpected_state")
    pm = payment_method_for(ctx, pm_id, None, "payment_method")
    template = pm.get("_template", "")
    declined = TEST_CARDS.get(template, ("", "", None, None))[2]
    if declined:
        return _failed(ctx, seti, decline(declined))
    seti.update(payment_method=pm["id"], last_setup_error=None)
    if template in AUTHENTICATE_ON_SETUP:
        url = AUTHENTICATE_PATH.format(id=seti["id"])
        seti["status"] = "requires_action"
        seti["next_action"] = (
            {"type": "redirect_to_url", "redirect_to_url": {
                "return_url": p["return_url"], "url": url}} if p.get("return_url") else
            {"type": "use_stripe_sdk", "use_stripe_sdk": {
                "type": "three_d_secure_redirect", "stripe_js": url}})
        ctx.put("setup_intent", seti)
        emit(ctx, "setup_intent.requires_action", "setup_intent", seti)
        return seti
    try:
        _attach(ctx, pm, customer)
    except CardError as err:
        return _failed(ctx, seti, err)
    return _succeeded(ctx, seti)


def _attach(ctx: Ctx, pm: Record, customer: Record | None) -> None:
    if customer is not None and pm.get("customer") != customer["id"]:
        attach_payment_method(ctx, pm["id"], customer)


def _succeeded(ctx: Ctx, seti: Record) -> Record:
    seti.update(status="succeeded", next_action=None)
    ctx.put("setup_intent", seti)
    emit(ctx, "setup_intent.succeeded", "setup_intent", seti)
    return seti


def _failed(ctx: Ctx, seti: Record, err: CardError) -> Record:
    seti.update(status="requires_payment_method", next_action=None, payment_method=None,
                last_setup_error=err.body()["error"])
    ctx.put("setup_intent", seti)
    emit(ctx, "setup_intent.setup_failed", "setup_intent", seti)
    err.extra = {**err.extra, "setup_intent": render(ctx, "setup_intent", seti)}
    raise err


def authenticate(ctx: Ctx, seti: Record, complete: bool) -> Record:
    """The cardholder completes (or fails) 3D Secure for a SetupIntent in requires_action."""
    if seti["status"] != "requires_action":
        raise _unexpected(seti, "authenticated")
    if not complete:
        seti.update(status="requires_payment_method", next_action=None, payment_method=None,
                    last_setup_error={
                        "code": "setup_intent_authentication_failure",
                        "message": "The latest attempt to set up the payment method has "
                                   "failed because authentication failed.",
                        "type": "invalid_request_error"})
        ctx.put("setup_intent", seti)
        emit(ctx, "setup_intent.setup_failed", "setup_intent", seti)
        return seti
    pm = ctx.get("payment_method", seti["payment_method"])
    customer = ctx.get("customer", seti["customer"]) if seti.get("customer") else None
    _attach(ctx, pm, customer)
    return _succeeded(ctx, seti)


def cancel(ctx: Ctx, seti: Record, p: dict[str, Any]) -> Record:
    if seti["status"] in ("succeeded", "canceled", "processing"):
        raise _unexpected(seti, "canceled")
    seti.update(status="canceled", next_action=None,
                cancellation_reason=p.get("cancellation_reason"))
    ctx.put("setup_intent", seti)
    emit(ctx, "setup_intent.canceled", "setup_intent", seti)
    return seti
