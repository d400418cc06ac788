"""Payment intents, charges and refunds: how invoices get paid, or fail to."""

from __future__ import annotations

from typing import Any

from simulators.billing.context import Ctx
from simulators.billing.customers import TEST_CARDS, attach_payment_method, decline
from simulators.billing.errors import InvalidRequest
from simulators.billing.events import emit
from simulators.billing.metadata import updated_metadata
from simulators.billing.render import render
from simulators.engine.store import Record


def resolve_payment_method(ctx: Ctx, customer: Record, explicit: str | None,
                           subscription: Record | None = None) -> Record | None:
    """Which card pays: the one given, the subscription's default, the customer's default."""
    for pm_id in (explicit,
                  subscription.get("default_payment_method") if subscription else None,
                  customer["invoice_settings"].get("default_payment_method")):
        if pm_id:
            pm = ctx.store.get("payment_method", pm_id)
            if pm is not None:
                return pm
    return None


def new_payment_intent(ctx: Ctx, amount: int, currency: str, customer: str | None,
                       *, invoice: str | None = None, description: str | None = None,
                       metadata: dict[str, str] | None = None,
                       capture_method: str = "automatic", **given: str) -> Record:
    pi: Record = {
        "id": ctx.new_id("pi_"), "object": "payment_intent", "amount": amount,
        "amount_capturable": 0, "amount_received": 0, "canceled_at": None,
        "cancellation_reason": None, "capture_method": capture_method,
        "client_secret": None, "confirmation_method": "automatic",
        "created": ctx.now(customer), "currency": currency, "customer": customer,
        "description": description, "invoice": invoice, "last_payment_error": None,
        "latest_charge": None, "livemode": False, "metadata": metadata or {},
        "payment_method": None, "payment_method_types": ["card"],
        "status": "requires_payment_method",
        "allowed_payment_method_types": None, "amount_details": None,
        "automatic_payment_methods": None, "excluded_payment_method_types": None,
        "hooks": None, "next_action": None, "payment_details": None,
        "payment_method_configuration_details": None, "payment_method_options": None,
        "payment_record": None, "processing": None, "receipt_email": None,
        "setup_future_usage": None, "shipping": None, "statement_descriptor": None,
        "statement_descriptor_suffix": None, **given,
    }
    pi["client_secret"] = f"{pi['id']}_secret_{ctx.tenant.new_id('', 24)}"
    ctx.put("payment_intent", pi)
    emit(ctx, "payment_intent.created", "payment_intent", pi)
    return pi


def attempt_charge(ctx: Ctx, pi: Record, pm: Record | None) -> tuple[bool, Record | None]:
    """Charge ``pm`` for the payment intent; returns (succeeded, charge)."""
    if pm is None:
        pi["last_payment_error"] = {
            "type": "invalid_request_error", "code": "payment_intent_unexpected_state",
            "message": "This customer has no attached payment source or default payment method."}
        ctx.put("payment_intent", pi)
        emit(ctx, "payment_intent.payment_failed", "payment_intent", pi)
        return False, None
    decline_code = TEST_CARDS.get(pm.get("_template", ""), ("", "", None, None))[3]
    ok = decline_code is None
    # A manual-capture intent only authorizes: the charge succeeds uncaptured and the
    # intent waits in requires_capture (Stripe docs, "Place a hold on a payment method").
    captured = ok and pi["capture_method"] != "manual"
    customer = pi["customer"]
    charge: Record = {
        "id": ctx.new_id("ch_"), "object": "charge", "amount": pi["amount"],
        "amount_captured": pi["amount"] if captured else 0, "amount_refunded": 0,
        "balance_transaction": None, "billing_details": pm["billing_details"],
        "captured": captured, "created": ctx.now(customer), "currency": pi["currency"],
        "customer": customer, "description": pi["description"], "disputed": False,
        "failure_code": None if ok else ("expired_card" if decline_code == "expired_card"
                                         else "card_declined"),
        "failure_message": None if ok else decline(decline_code or "").message,
        "invoice": pi.get("invoice"), "livemode": False, "metadata": {},
        "outcome": {"network_status": "approved_by_network" if ok else "declined_by_network",
                    "reason": None if ok else decline_code, "risk_level": "normal",
                    "seller_message": "Payment complete." if ok else
                    "The bank did not return any further details with this decline.",
                    "type": "authorized" if ok else "issuer_declined"},
        "paid": ok, "payment_intent": pi["id"], "payment_method": pm["id"],
        "payment_method_details": {"type": "card", "card": {
            "brand": pm["card"]["brand"], "last4": pm["card"]["last4"]}},
        "refunded": False, "refunds": None, "status": "succeeded" if ok else "failed",
        "authorization_code": None, "calculated_statement_descriptor": "FINTWIN",
        "failure_balance_transaction": None, "receipt_email": None, "receipt_number": None,
        "shipping": None, "statement_descriptor": None, "statement_descriptor_suffix": None,
    }
    charge["receipt_url"] = f"https://pay.stripe.com/receipts/payment/{charge['id']}"
    ctx.put("charge", charge)
    pi["latest_charge"] = charge["id"]
    pi["payment_method"] = pm["id"]
    if ok and not captured:
        pi.update(status="requires_capture", amount_capturable=pi["amount"],
                  last_payment_error=None)
        ctx.put("payment_intent", pi)
        emit(ctx, "charge.succeeded", "charge", charge)
        emit(ctx, "payment_intent.amount_capturable_updated", "payment_intent", pi)
    elif ok:
        pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None)
        ctx.put("payment_intent", pi)
        emit(ctx, "charge.succeeded", "charge", charge)
        emit(ctx, "payment_intent.succeeded", "payment_intent", pi)
    else:
        err = decline(decline_code or "generic_decline", charge_id=charge["id"])
        pi.update(status="requires_payment_method",
                  last_payment_error={**err.body()["error"], "payment_method": render(
                      ctx, "payment_method", pm)})
        ctx.put("payment_intent", pi)
        emit(ctx, "charge.failed", "charge", charge)
        emit(ctx, "payment_intent.payment_failed", "payment_intent", pi)
    return ok, charge


def create_refund(ctx: Ctx, p: dict[str, Any]) -> Record:
    if p.get("charge"):
        charge = ctx.get("charge", p["charge"], "charge")
    elif p.get("payment_intent"):
        pi = ctx.get("payment_intent", p["payment_intent"], "payment_intent")
        if not pi.get("latest_charge"):
            raise InvalidRequest("This PaymentIntent does not have a successful charge to "
                                 "refund.", param="payment_intent")
        charge = ctx.get("charge", pi["latest_charge"], "payment_intent")
    else:
        raise InvalidRequest("One of the following params should be provided for this "
                             "request: payment_intent or charge.", param="charge",
                             code="parameter_missing")
    if charge["status"] != "succeeded":
        raise InvalidRequest(f"Charge {charge['id']} has not succeeded; it cannot be "
                             "refunded.", param="charge")
    if not charge["captured"]:
        raise InvalidRequest(f"Charge {charge['id']} has not been captured: cancel its "
                             "PaymentIntent to release the authorization.", param="charge",
                             code="charge_not_refundable")
    return refund_charge(ctx, charge, p.get("amount"), reason=p.get("reason"),
                         metadata=p.get("metadata") or {})


def refund_charge(ctx: Ctx, charge: Record, amount: int | None, *, reason: str | None = None,
                  metadata: dict[str, str] | None = None, credit_note: str | None = None
                  ) -> Record:
    # A partial capture shows the released rest as refunded (capture_payment_intent).
    left = charge["amount"] - charge["amount_refunded"]
    if amount is None:
        amount = left
    if left <= 0:
        raise InvalidRequest(f"Charge {charge['id']} has already been refunded.",
                             param="charge", code="charge_already_refunded")
    if amount <= 0 or amount > left:
        raise InvalidRequest(f"Refund amount ({amount}) is greater than unrefunded amount on "
                             f"charge ({left})", param="amount")
    refund: Record = {
        "id": ctx.new_id("re_"), "object": "refund", "amount": amount,
        "balance_transaction": None, "charge": charge["id"],
        "created": ctx.now(charge["customer"]), "currency": charge["currency"],
        "metadata": metadata or {}, "payment_intent": charge["payment_intent"],
        "reason": reason, "status": "succeeded", "_credit_note": credit_note,
        "customer": charge["customer"], "description": None, "destination_details": None,
        "failure_balance_transaction": None, "failure_reason": None,
        "instructions_email": None, "next_action": None,
        "payment_method": charge["payment_method"], "pending_reason": None,
        "receipt_number": None,
    }
    ctx.put("refund", refund)
    before = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    ctx.put("charge", charge)
    emit(ctx, "refund.created", "refund", refund)
    emit(ctx, "charge.refunded", "charge", charge, before)
    return refund


OFF_SESSION = ("true", "false", "one_off", "recurring")


def create_payment_intent(ctx: Ctx, p: dict[str, Any]) -> Record:
    off_session = p.get("off_session")
    if off_session is not None:
        if off_session not in OFF_SESSION:
            raise InvalidRequest("Invalid off_session: must be a boolean, one_off or "
                                 "recurring", param="off_session")
        if not p.get("confirm"):
            # Stripe API reference, "Create a PaymentIntent": "This parameter can only be
            # used with confirm=true."
            raise InvalidRequest("off_session can only be used with confirm=true.",
                                 param="off_session")
    customer = ctx.get("customer", p["customer"], "customer") if p.get("customer") else None
    given = {k: p[k] for k in ("receipt_email", "setup_future_usage", "statement_descriptor")
             if p.get(k) is not None}
    pi = new_payment_intent(ctx, p["amount"], p["currency"],
                            customer["id"] if customer else None,
                            description=p.get("description"), metadata=p.get("metadata"),
                            capture_method=p.get("capture_method") or "automatic", **given)
    if p.get("payment_method"):
        pi["payment_method"] = p["payment_method"]
        pi["status"] = "requires_confirmation"
        ctx.put("payment_intent", pi)
    if p.get("confirm"):
        confirm_payment_intent(ctx, pi, {})
    return pi


def _unexpected_state(pi: Record, action: str) -> InvalidRequest:
    return InvalidRequest(f"This PaymentIntent could not be {action} because it has a status "
                          f"of {pi['status']}.", param="payment_intent",
                          code="payment_intent_unexpected_state")


def capture_payment_intent(ctx: Ctx, pi: Record, p: dict[str, Any]) -> Record:
    if pi["status"] != "requires_capture":
        raise _unexpected_state(pi, "captured")
    amount = p.get("amount_to_capture") or pi["amount_capturable"]
    if amount > pi["amount_capturable"]:
        raise InvalidRequest(f"The amount_to_capture ({amount}) is greater than the amount "
                             f"capturable ({pi['amount_capturable']}).",
                             param="amount_to_capture")
    charge = ctx.get("charge", pi["latest_charge"])
    before = {"captured": False, "amount_captured": 0}
    # What is not captured is released: Stripe shows it refunded on the charge.
    charge.update(captured=True, amount_captured=amount,
                  amount_refunded=charge["amount"] - amount)
    ctx.put("charge", charge)
    if p.get("metadata") is not None:
        pi["metadata"] = updated_metadata(pi["metadata"], p["metadata"])
    pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
    ctx.put("payment_intent", pi)
    emit(ctx, "charge.captured", "charge", charge, before)
    emit(ctx, "payment_intent.succeeded", "payment_intent", pi)
    return pi


def cancel_payment_intent(ctx: Ctx, pi: Record, p: dict[str, Any]) -> Record:
    if pi["status"] in ("succeeded", "canceled", "processing"):
        raise _unexpected_state(pi, "canceled")
    if pi["status"] == "requires_capture":
        charge = ctx.get("charge", pi["latest_charge"])
        charge.update(amount_refunded=charge["amount"], refunded=True)
        ctx.put("charge", charge)
        emit(ctx, "charge.refunded", "charge", charge,
             {"amount_refunded": 0, "refunded": False})
    pi.update(status="canceled", canceled_at=ctx.now(pi["customer"]), amount_capturable=0,
              cancellation_reason=p.get("cancellation_reason"))
    ctx.put("payment_intent", pi)
    emit(ctx, "payment_intent.canceled", "payment_intent", pi)
    return pi


def confirm_payment_intent(ctx: Ctx, pi: Record, p: dict[str, Any]) -> Record:
    if pi["status"] == "succeeded":
        raise InvalidRequest("This PaymentIntent's payment_method could not be updated because "
                             "it has a status of succeeded.", param="payment_intent",
                             code="payment_intent_unexpected_state")
    if pi["status"] in ("canceled", "requires_capture"):
        raise _unexpected_state(pi, "confirmed")
    pm_id = p.get("payment_method") or pi.get("payment_method")
    pm = None
    if pm_id:
        pm = ctx.store.get("payment_method", pm_id)
        if pm is None and pm_id in TEST_CARDS and pi.get("customer"):
            pm = attach_payment_method(ctx, pm_id, ctx.get("customer", pi["customer"]))
        if pm is None:
            raise InvalidRequest(f"No such PaymentMethod: '{pm_id}'", param="payment_method",
                                 code="resource_missing")
    ok, charge = attempt_charge(ctx, pi, pm)
    if not ok:
        raise decline((pm.get("_template") and TEST_CARDS[pm["_template"]][3]) or
                      "generic_decline", charge_id=charge["id"] if charge else None,
                      payment_intent=render(ctx, "payment_intent", pi)) if pm else \
            InvalidRequest("You must provide a payment_method to confirm.",
                           param="payment_method")
    return pi
