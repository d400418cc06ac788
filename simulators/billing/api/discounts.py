"""Coupons, promotion codes and discounts (Stripe API reference, "Coupons", "Promotion
Codes", "Discounts")."""

from __future__ import annotations

from typing import Any

from simulators.billing import discounts
from simulators.billing.api.listing import filtered, listing
from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest
from simulators.billing.params import (
    EXPAND,
    LIST,
    ONLY_EXPAND,
    Bool,
    Decimal_,
    Enum,
    Hash,
    Int,
    ListOf,
    Metadata,
    Param,
    Str,
)
from simulators.billing.render import render
from simulators.billing.versions import is_basil
from simulators.engine.operation import Operations
from simulators.engine.store import Record

ops = Operations(tags=("Discounts",))

# One entry of a ``discounts`` parameter (subscriptions, invoice items, invoices).
DISCOUNT_SPEC = Hash(fields={"coupon": Str(max_length=255), "discount": Str(max_length=255),
                             "promotion_code": Str(max_length=255)})
DISCOUNTS = ListOf(DISCOUNT_SPEC, max_items=20)
# Before 2025-03-31.basil, customers and subscriptions also took one coupon or code.
SINGLE_DISCOUNT: dict[str, Param] = {"coupon": Str(max_length=255),
                                     "promotion_code": Str(max_length=255)}


def refuse_single_in_basil(ctx: Ctx, p: dict[str, Any]) -> None:
    """``coupon`` and ``promotion_code`` are unknown parameters from basil on (Stripe
    changelog, "2025-03-31.basil": "Removes coupon and promotion code parameters with
    stackable discounts")."""
    for name in SINGLE_DISCOUNT:
        if name in p and is_basil(ctx.version):
            raise InvalidRequest(f"Received unknown parameter: {name}", param=name,
                                 code="parameter_unknown")


@ops.operation(method="POST", path="/v1/coupons", id="PostCoupons", summary="Create a coupon",
               params={"id": Str(max_length=255), "percent_off": Decimal_(),
                       "amount_off": Int(minimum=1, maximum=99_999_999_999),
                       "currency": Str(max_length=3),
                       "duration": Enum(values=("forever", "once", "repeating")),
                       "duration_in_months": Int(minimum=1, maximum=1200),
                       "max_redemptions": Int(minimum=1), "redeem_by": Int(maximum=2**40),
                       "name": Str(max_length=40), "metadata": Metadata(), "expand": EXPAND},
               returns="coupon")
def create_coupon(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Exactly one of ``percent_off`` (a decimal, kept exact) and ``amount_off`` (with
    ``currency``); ``duration`` defaults to ``once``."""
    return discounts.create_coupon(ctx, p)


@ops.operation(method="GET", path="/v1/coupons", id="GetCoupons", summary="List coupons",
               params=LIST)
def list_coupons(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return listing(ctx, "coupon", p, "/v1/coupons")


@ops.operation(method="GET", path="/v1/coupons/{coupon}", id="GetCouponsCoupon",
               summary="Retrieve a coupon", params=ONLY_EXPAND, returns="coupon")
def retrieve_coupon(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("coupon", path["coupon"])


@ops.operation(method="POST", path="/v1/coupons/{coupon}", id="PostCouponsCoupon",
               summary="Update a coupon",
               params={"name": Str(max_length=40), "metadata": Metadata(), "expand": EXPAND},
               returns="coupon")
def update_coupon(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Only ``name`` and ``metadata``: what a coupon takes off is fixed."""
    return discounts.update_coupon(ctx, ctx.get("coupon", path["coupon"]), p)


@ops.operation(method="DELETE", path="/v1/coupons/{coupon}", id="DeleteCouponsCoupon",
               summary="Delete a coupon")
def delete_coupon(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    """No new redemptions; discounts already made from it go on."""
    return discounts.delete_coupon(ctx, ctx.get("coupon", path["coupon"]))


@ops.operation(method="POST", path="/v1/promotion_codes", id="PostPromotionCodes",
               summary="Create a promotion code",
               params={"coupon": Str(max_length=255),
                       "promotion": Hash(fields={"type": Enum(values=("coupon",)),
                                                 "coupon": Str(max_length=255)}),
                       "code": Str(max_length=500), "active": Bool(),
                       "customer": Str(max_length=255), "expires_at": Int(maximum=2**40),
                       "max_redemptions": Int(minimum=1),
                       "restrictions": Hash(fields={
                           "first_time_transaction": Bool(),
                           "minimum_amount": Int(minimum=0),
                           "minimum_amount_currency": Str(max_length=3)}),
                       "metadata": Metadata(), "expand": EXPAND},
               returns="promotion_code")
def create_promotion_code(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """A code for a coupon: ``coupon`` before 2025-09-30.clover, ``promotion[coupon]``
    from clover on (Stripe changelog, "Promotion Codes now reference Coupons using a
    polymorphic field"); both are taken. Without ``code`` one is generated."""
    return discounts.create_promotion_code(ctx, p)


@ops.operation(method="GET", path="/v1/promotion_codes", id="GetPromotionCodes",
               summary="List promotion codes",
               params=dict(LIST, active=Bool(), code=Str(max_length=500),
                           coupon=Str(max_length=255), customer=Str(max_length=255)))
def list_promotion_codes(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, "promotion_code", p, "/v1/promotion_codes",
                    {"code": "code", "coupon": "coupon", "active": "active",
                     "customer": "customer"})


@ops.operation(method="GET", path="/v1/promotion_codes/{promotion_code}",
               id="GetPromotionCodesPromotionCode", summary="Retrieve a promotion code",
               params=ONLY_EXPAND, returns="promotion_code")
def retrieve_promotion_code(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("promotion_code", path["promotion_code"])


@ops.operation(method="POST", path="/v1/promotion_codes/{promotion_code}",
               id="PostPromotionCodesPromotionCode", summary="Update a promotion code",
               params={"active": Bool(), "metadata": Metadata(), "expand": EXPAND},
               returns="promotion_code")
def update_promotion_code(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return discounts.update_promotion_code(
        ctx, ctx.get("promotion_code", path["promotion_code"]), p)


@ops.operation(method="DELETE", path="/v1/customers/{customer}/discount",
               id="DeleteCustomersCustomerDiscount", summary="Delete a customer discount")
def delete_customer_discount(ctx: Ctx, p: dict[str, Any], path: dict[str, str]
                             ) -> dict[str, Any]:
    """Ends the customer's discount: later invoices are not discounted by it."""
    cust = ctx.get("customer", path["customer"], "customer")
    return _remove(ctx, cust.get("discount"), f"customer {cust['id']}")


@ops.operation(method="DELETE", path="/v1/subscriptions/{subscription}/discount",
               id="DeleteSubscriptionsSubscriptionDiscount",
               summary="Delete a subscription discount")
def delete_subscription_discount(ctx: Ctx, p: dict[str, Any], path: dict[str, str]
                                 ) -> dict[str, Any]:
    """Ends the subscription's (first) discount."""
    sub = ctx.get("subscription", path["subscription"], "subscription")
    return _remove(ctx, (sub.get("discounts") or [None])[0], f"subscription {sub['id']}")


def _remove(ctx: Ctx, discount_id: str | None, holder: str) -> dict[str, Any]:
    discount = ctx.store.get("discount", discount_id) if discount_id else None
    if discount is None or discount.get("deleted"):
        raise InvalidRequest(f"No active discount for {holder}.", param="discount",
                             code="resource_missing", status=404)
    discounts.remove(ctx, discount)
    return render(ctx, "discount", discount)  # with deleted: true
