"""Customers and payment methods (Stripe API reference, "Customers", "PaymentMethods")."""

from __future__ import annotations

from typing import Any

from simulators.billing import customers, subscriptions
from simulators.billing.api.discounts import SINGLE_DISCOUNT, refuse_single_in_basil
from simulators.billing.api.listing import deleted, filtered, indexed, listing
from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest
from simulators.billing.params import (
    EXPAND,
    LIST,
    LIST_PARAMS,
    ONLY_EXPAND,
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

ops = Operations(tags=("Customers",))

ADDRESS = Hash(fields={k: Str(max_length=200) for k in
                       ("city", "country", "line1", "line2", "postal_code", "state")})
INVOICE_SETTINGS = Hash(fields={"default_payment_method": Str(max_length=255)})
CUSTOMER_PARAMS: dict[str, Param] = {
    "name": Str(max_length=256), "email": Str(max_length=512), "description": Str(),
    "phone": Str(max_length=20), "address": ADDRESS, "metadata": Metadata(),
    "payment_method": Str(max_length=255), "invoice_settings": INVOICE_SETTINGS,
    "test_clock": Str(max_length=255), "balance": Int(minimum=-99_999_999_999),
    "preferred_locales": ListOf(Str(max_length=30), max_items=10), **SINGLE_DISCOUNT,
    "expand": EXPAND,
}
CUSTOMER_UPDATE = {k: v for k, v in CUSTOMER_PARAMS.items()
                   if k not in ("test_clock", "payment_method")}


@ops.operation(method="POST", path="/v1/customers", id="PostCustomers",
               summary="Create a customer", params=CUSTOMER_PARAMS, returns="customer")
def create_customer(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """A ``payment_method`` is attached on create; ``test_clock`` puts the customer on a
    test clock; before basil, ``coupon`` or ``promotion_code`` gives it a discount."""
    refuse_single_in_basil(ctx, p)
    return customers.create_customer(ctx, p)


@ops.operation(method="GET", path="/v1/customers", id="GetCustomers", summary="List customers",
               params=dict(LIST, email=Str(max_length=512), test_clock=Str(max_length=255)))
def list_customers(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, "customer", p, "/v1/customers",
                    {"email": "email", "test_clock": "test_clock"})


@ops.operation(method="GET", path="/v1/customers/{customer}", id="GetCustomersCustomer",
               summary="Retrieve a customer", params=ONLY_EXPAND, returns="customer")
def retrieve_customer(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """A deleted customer answers its stub, ``{"id", "object", "deleted": true}`` (Stripe
    API reference, "Retrieve a customer": "If it's for a deleted Customer, a subset of
    the customer's information is returned, including a deleted property that's set to
    true"); every other operation on it is a 404."""
    cust = ctx.store.get("customer", path["customer"])
    if cust is not None and cust.get("deleted"):
        return deleted("customer", cust["id"])
    return ctx.get("customer", path["customer"])


@ops.operation(method="POST", path="/v1/customers/{customer}", id="PostCustomersCustomer",
               summary="Update a customer", params=CUSTOMER_UPDATE, returns="customer")
def update_customer(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    refuse_single_in_basil(ctx, p)
    return customers.update_customer(ctx, ctx.get("customer", path["customer"]), p)


@ops.operation(method="DELETE", path="/v1/customers/{customer}", id="DeleteCustomersCustomer",
               summary="Delete a customer")
def delete_customer(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    """Cancels the customer's subscriptions at once."""
    return subscriptions.delete_customer(ctx, ctx.get("customer", path["customer"]))


@ops.operation(method="GET", path="/v1/customers/{customer}/payment_methods",
               id="GetCustomersCustomerPaymentMethods",
               summary="List a customer's payment methods",
               params=dict(LIST_PARAMS, type=Str(max_length=30)))
def list_customer_payment_methods(ctx: Ctx, p: dict[str, Any],
                                  path: dict[str, str]) -> dict[str, Any]:
    cust = ctx.get("customer", path["customer"], "customer")
    return listing(ctx, "payment_method", p, f"/v1/customers/{cust['id']}/payment_methods",
                   source=indexed(ctx, "payment_method", "customer", cust["id"]))


@ops.operation(method="POST", path="/v1/payment_methods", id="PostPaymentMethods",
               summary="Create a payment method",
               params={"type": Enum(required=True, values=("card",)),
                       "card": Hash(fields={"token": Str(max_length=255)}),
                       "metadata": Metadata(), "expand": EXPAND},
               returns="payment_method")
def create_payment_method(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """``card[token]`` picks one of Stripe's test cards (``tok_visa``,
    ``tok_chargeDeclined``...); any other token makes a Visa."""
    return customers.create_payment_method(ctx, p)


@ops.operation(method="GET", path="/v1/payment_methods", id="GetPaymentMethods",
               summary="List payment methods",
               params=dict(LIST_PARAMS, customer=Str(max_length=255), type=Str(max_length=30)))
def list_payment_methods(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    """``customer`` is required (a list of every payment method is Stripe Connect's)."""
    if not p.get("customer"):
        raise InvalidRequest("Missing required param: customer.", param="customer",
                             code="parameter_missing")
    cust = ctx.get("customer", p["customer"], "customer")
    return listing(ctx, "payment_method", p, "/v1/payment_methods",
                   source=indexed(ctx, "payment_method", "customer", cust["id"]))


@ops.operation(method="GET", path="/v1/payment_methods/{pm}", id="GetPaymentMethodsPaymentMethod",
               summary="Retrieve a payment method", params=ONLY_EXPAND, returns="payment_method")
def retrieve_payment_method(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("payment_method", path["pm"])


@ops.operation(method="POST", path="/v1/payment_methods/{pm}/attach",
               id="PostPaymentMethodsPaymentMethodAttach", summary="Attach a payment method",
               params={"customer": Str(required=True, max_length=255), "expand": EXPAND},
               returns="payment_method")
def attach_payment_method(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Test ids (``pm_card_visa``) attach as a new payment method; declining test cards
    (``pm_card_chargeDeclined*``) are refused here with a card error."""
    cust = ctx.get("customer", p["customer"], "customer")
    return customers.attach_payment_method(ctx, path["pm"], cust)


@ops.operation(method="POST", path="/v1/payment_methods/{pm}/detach",
               id="PostPaymentMethodsPaymentMethodDetach", summary="Detach a payment method",
               params=ONLY_EXPAND, returns="payment_method")
def detach_payment_method(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return customers.detach_payment_method(ctx, ctx.get("payment_method", path["pm"]))
