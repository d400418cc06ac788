"""Payment intents, charges, refunds and credit notes (Stripe API reference,
"Payment Intents", "Charges", "Refunds", "Credit Notes")."""

from __future__ import annotations

from typing import Any

from simulators.billing import credit_notes, payments, setup_intents
from simulators.billing.api.listing import filtered
from simulators.billing.context import Ctx
from simulators.billing.params import (
    EXPAND,
    LIST,
    ONLY_EXPAND,
    Bool,
    Currency,
    Enum,
    Hash,
    Int,
    ListOf,
    Metadata,
    Param,
    Str,
)
from simulators.engine.operation import Operations
from simulators.engine.store import Record

ops = Operations(tags=("Payments",))
notes = Operations(tags=("Credit notes",))

CURRENCY = Currency(required=True)
PI_CREATE: dict[str, Param] = {
    "amount": Int(required=True, minimum=1), "currency": CURRENCY,
    "customer": Str(max_length=255), "payment_method": Str(max_length=255),
    "confirm": Bool(), "description": Str(max_length=1000), "metadata": Metadata(),
    "capture_method": Enum(values=("automatic", "automatic_async", "manual")),
    # true/false, or one_off/recurring (Stripe API reference, "Create a PaymentIntent":
    # off_session "boolean | string"); only with confirm=true. Checked by the handler.
    "off_session": Str(max_length=9), "payment_method_types": ListOf(Str(max_length=30)),
    "setup_future_usage": Enum(values=("off_session", "on_session")),
    "statement_descriptor": Str(max_length=22), "receipt_email": Str(max_length=512),
    "expand": EXPAND,
}
REFUND_CREATE: dict[str, Param] = {
    "charge": Str(max_length=255), "payment_intent": Str(max_length=255),
    "amount": Int(minimum=1), "metadata": Metadata(),
    "reason": Enum(values=("duplicate", "fraudulent", "requested_by_customer")), "expand": EXPAND,
}
CN_LINE = Hash(fields={"type": Enum(required=True, values=("invoice_line_item",
                                                           "custom_line_item")),
                       "invoice_line_item": Str(max_length=255), "quantity": Int(minimum=1),
                       "amount": Int(minimum=1), "unit_amount": Int(minimum=1),
                       "description": Str(max_length=500)})
CN_CREATE: dict[str, Param] = {
    "invoice": Str(required=True, max_length=255), "amount": Int(minimum=1),
    "lines": ListOf(CN_LINE, max_items=50), "memo": Str(max_length=5000),
    "metadata": Metadata(), "reason": Enum(values=("duplicate", "fraudulent",
                                                   "order_change", "product_unsatisfactory")),
    "refund_amount": Int(minimum=1), "credit_amount": Int(minimum=1),
    "out_of_band_amount": Int(minimum=1), "expand": EXPAND,
}


@ops.operation(method="POST", path="/v1/payment_intents", id="PostPaymentIntents",
               summary="Create a payment intent", params=PI_CREATE, returns="payment_intent")
def create_payment_intent(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """With ``confirm=true`` the payment method is charged at once."""
    return payments.create_payment_intent(ctx, p)


@ops.operation(method="GET", path="/v1/payment_intents", id="GetPaymentIntents",
               summary="List payment intents", params=dict(LIST, customer=Str(max_length=255)))
def list_payment_intents(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, "payment_intent", p, "/v1/payment_intents", {"customer": "customer"})


@ops.operation(method="GET", path="/v1/payment_intents/{intent}", id="GetPaymentIntentsIntent",
               summary="Retrieve a payment intent", params=ONLY_EXPAND,
               returns="payment_intent")
def retrieve_payment_intent(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("payment_intent", path["intent"])


@ops.operation(method="POST", path="/v1/payment_intents/{intent}/confirm",
               id="PostPaymentIntentsIntentConfirm", summary="Confirm a payment intent",
               params={"payment_method": Str(max_length=255), "expand": EXPAND},
               returns="payment_intent")
def confirm_payment_intent(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return payments.confirm_payment_intent(ctx, ctx.get("payment_intent", path["intent"]), p)


@ops.operation(method="POST", path="/v1/payment_intents/{intent}/capture",
               id="PostPaymentIntentsIntentCapture", summary="Capture a payment intent",
               params={"amount_to_capture": Int(minimum=1), "metadata": Metadata(),
                       "expand": EXPAND},
               returns="payment_intent")
def capture_payment_intent(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """A ``capture_method=manual`` intent in ``requires_capture``: captures all of the
    authorized amount, or ``amount_to_capture`` (the rest is released; Stripe API
    reference, "Capture a PaymentIntent")."""
    return payments.capture_payment_intent(ctx, ctx.get("payment_intent", path["intent"]), p)


@ops.operation(method="POST", path="/v1/payment_intents/{intent}/cancel",
               id="PostPaymentIntentsIntentCancel", summary="Cancel a payment intent",
               params={"cancellation_reason": Enum(values=(
                   "abandoned", "duplicate", "fraudulent", "requested_by_customer")),
                   "expand": EXPAND},
               returns="payment_intent")
def cancel_payment_intent(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Before it succeeds; an uncaptured authorization is released."""
    return payments.cancel_payment_intent(ctx, ctx.get("payment_intent", path["intent"]), p)


@ops.operation(method="GET", path="/v1/charges", id="GetCharges", summary="List charges",
               params=dict(LIST, customer=Str(max_length=255),
                           payment_intent=Str(max_length=255)))
def list_charges(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, "charge", p, "/v1/charges",
                    {"customer": "customer", "payment_intent": "payment_intent"})


@ops.operation(method="GET", path="/v1/charges/{charge}", id="GetChargesCharge",
               summary="Retrieve a charge", params=ONLY_EXPAND, returns="charge")
def retrieve_charge(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("charge", path["charge"])


@ops.operation(method="POST", path="/v1/charges/{charge}/capture", id="PostChargesChargeCapture",
               summary="Capture a charge",
               params={"amount": Int(minimum=1), "expand": EXPAND}, returns="charge")
def capture_charge(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """The uncaptured charge of a manual-capture payment intent (Stripe API reference,
    "Capture a charge"): the same as capturing the intent."""
    charge = ctx.get("charge", path["charge"])
    pi = ctx.get("payment_intent", charge["payment_intent"], "charge")
    payments.capture_payment_intent(ctx, pi, {"amount_to_capture": p.get("amount")})
    return charge


@ops.operation(method="POST", path="/v1/refunds", id="PostRefunds", summary="Create a refund",
               params=REFUND_CREATE, returns="refund")
def create_refund(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Of a ``charge`` or a ``payment_intent``'s charge; the whole amount unless
    ``amount`` says less."""
    return payments.create_refund(ctx, p)


@ops.operation(method="GET", path="/v1/refunds", id="GetRefunds", summary="List refunds",
               params=dict(LIST, charge=Str(max_length=255),
                           payment_intent=Str(max_length=255)))
def list_refunds(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, "refund", p, "/v1/refunds",
                    {"charge": "charge", "payment_intent": "payment_intent"})


@ops.operation(method="GET", path="/v1/refunds/{refund}", id="GetRefundsRefund",
               summary="Retrieve a refund", params=ONLY_EXPAND, returns="refund")
def retrieve_refund(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("refund", path["refund"])


@notes.operation(method="POST", path="/v1/credit_notes", id="PostCreditNotes",
                 summary="Create a credit note", params=CN_CREATE, returns="credit_note")
def create_credit_note(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """On an open or paid invoice; ``refund_amount``, ``credit_amount`` and
    ``out_of_band_amount`` split where the money goes."""
    return credit_notes.create_credit_note(ctx, p)


@notes.operation(method="GET", path="/v1/credit_notes", id="GetCreditNotes",
                 summary="List credit notes",
                 params=dict(LIST, customer=Str(max_length=255), invoice=Str(max_length=255)))
def list_credit_notes(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, "credit_note", p, "/v1/credit_notes",
                    {"invoice": "invoice", "customer": "customer"})


@notes.operation(method="GET", path="/v1/credit_notes/{id}", id="GetCreditNotesId",
                 summary="Retrieve a credit note", params=ONLY_EXPAND, returns="credit_note")
def retrieve_credit_note(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("credit_note", path["id"])


@notes.operation(method="POST", path="/v1/credit_notes/{id}/void", id="PostCreditNotesIdVoid",
                 summary="Void a credit note", params=ONLY_EXPAND, returns="credit_note")
def void_credit_note(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return credit_notes.void_credit_note(ctx, ctx.get("credit_note", path["id"]))


setups = Operations(tags=("Setup intents",))
SETI_CREATE: dict[str, Param] = {
    "customer": Str(max_length=255), "payment_method": Str(max_length=255),
    "confirm": Bool(), "description": Str(max_length=1000), "metadata": Metadata(),
    "usage": Enum(values=("off_session", "on_session")),
    "payment_method_types": ListOf(Str(max_length=30)), "return_url": Str(max_length=5000),
    "expand": EXPAND,
}


@setups.operation(method="POST", path="/v1/setup_intents", id="PostSetupIntents",
                  summary="Create a SetupIntent", params=SETI_CREATE, returns="setup_intent")
def create_setup_intent(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Collects a card for later off-session payments; with ``confirm=true`` confirmed at
    once. A card that needs 3D Secure (``pm_card_authenticationRequiredOnSetup``) waits in
    ``requires_action`` until ``POST /_sim/billing/setup_intents/{id}/authenticate``."""
    return setup_intents.create(ctx, p)


@setups.operation(method="GET", path="/v1/setup_intents", id="GetSetupIntents",
                  summary="List SetupIntents",
                  params=dict(LIST, customer=Str(max_length=255),
                              payment_method=Str(max_length=255)))
def list_setup_intents(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, "setup_intent", p, "/v1/setup_intents",
                    {"customer": "customer", "payment_method": "payment_method"})


@setups.operation(method="GET", path="/v1/setup_intents/{intent}", id="GetSetupIntentsIntent",
                  summary="Retrieve a SetupIntent", params=ONLY_EXPAND, returns="setup_intent")
def retrieve_setup_intent(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("setup_intent", path["intent"])


@setups.operation(method="POST", path="/v1/setup_intents/{intent}", id="PostSetupIntentsIntent",
                  summary="Update a SetupIntent",
                  params={"customer": Str(max_length=255), "payment_method": Str(max_length=255),
                          "description": Str(max_length=1000), "metadata": Metadata(),
                          "expand": EXPAND},
                  returns="setup_intent")
def update_setup_intent(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return setup_intents.update(ctx, ctx.get("setup_intent", path["intent"]), p)


@setups.operation(method="POST", path="/v1/setup_intents/{intent}/confirm",
                  id="PostSetupIntentsIntentConfirm", summary="Confirm a SetupIntent",
                  params={"payment_method": Str(max_length=255),
                          "return_url": Str(max_length=5000), "expand": EXPAND},
                  returns="setup_intent")
def confirm_setup_intent(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Succeeds (the card attached to the customer), needs authentication
    (``requires_action`` with ``next_action``), or fails with the card error (402)."""
    return setup_intents.confirm(ctx, ctx.get("setup_intent", path["intent"]), p)


@setups.operation(method="POST", path="/v1/setup_intents/{intent}/cancel",
                  id="PostSetupIntentsIntentCancel", summary="Cancel a SetupIntent",
                  params={"cancellation_reason": Enum(values=(
                      "abandoned", "duplicate", "requested_by_customer")), "expand": EXPAND},
                  returns="setup_intent")
def cancel_setup_intent(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return setup_intents.cancel(ctx, ctx.get("setup_intent", path["intent"]), p)
