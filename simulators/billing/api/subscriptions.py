"""Subscriptions and subscription items (Stripe API reference, "Subscriptions",
"Subscription Items")."""

from __future__ import annotations

from typing import Any

from simulators.billing import subscriptions as subs
from simulators.billing.api.discounts import DISCOUNTS, SINGLE_DISCOUNT, refuse_single_in_basil
from simulators.billing.api.listing import deleted, indexed, listing
from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest
from simulators.billing.params import (
    EXPAND,
    LIST,
    LIST_PARAMS,
    ONLY_EXPAND,
    Bool,
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

ops = Operations(tags=("Subscriptions",))

ITEM = Hash(fields={"id": Str(max_length=255), "price": Str(max_length=255),
                    "quantity": Int(maximum=1_000_000), "deleted": Bool(),
                    "metadata": Metadata(), "tax_rates": ListOf(Str(max_length=255))})
PRORATION = Enum(values=("create_prorations", "none", "always_invoice"))
PAYMENT_BEHAVIOR = Enum(values=("allow_incomplete", "default_incomplete",
                                "error_if_incomplete", "pending_if_incomplete"))
SUB_CREATE: dict[str, Param] = {
    "customer": Str(required=True, max_length=255), "items": ListOf(ITEM, max_items=20),
    "trial_period_days": Int(minimum=1, maximum=730), "trial_end": Int(maximum=2**40),
    "default_payment_method": Str(max_length=255), "metadata": Metadata(),
    "cancel_at_period_end": Bool(), "proration_behavior": PRORATION,
    "collection_method": Enum(values=("charge_automatically", "send_invoice")),
    "days_until_due": Int(maximum=3650), "description": Str(max_length=500),
    "payment_behavior": PAYMENT_BEHAVIOR,
    "default_tax_rates": ListOf(Str(max_length=255)), "discounts": DISCOUNTS,
    **SINGLE_DISCOUNT, "expand": EXPAND,
}
SUB_UPDATE: dict[str, Param] = {
    "items": ListOf(ITEM, max_items=20), "metadata": Metadata(), "cancel_at_period_end": Bool(),
    "proration_behavior": PRORATION, "proration_date": Int(maximum=2**40),
    "default_payment_method": Str(max_length=255),
    "default_tax_rates": ListOf(Str(max_length=255)), "description": Str(max_length=500),
    "payment_behavior": PAYMENT_BEHAVIOR, "discounts": DISCOUNTS, **SINGLE_DISCOUNT,
    "expand": EXPAND,
}
STATUSES = ("active", "all", "canceled", "ended", "incomplete", "incomplete_expired",
            "past_due", "paused", "trialing", "unpaid")


@ops.operation(method="POST", path="/v1/subscriptions", id="PostSubscriptions",
               summary="Create a subscription", params=SUB_CREATE, returns="subscription")
def create_subscription(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """The first invoice is created and finalized at once (a trial's is for zero) and,
    with ``charge_automatically``, charged: a failed charge leaves the subscription
    ``incomplete`` (with ``error_if_incomplete``, the request fails with the card error).
    ``discounts`` (coupons, promotion codes) come off every invoice while they last."""
    refuse_single_in_basil(ctx, p)
    return subs.create_subscription(ctx, p)


@ops.operation(method="GET", path="/v1/subscriptions", id="GetSubscriptions",
               summary="List subscriptions",
               params=dict(LIST, customer=Str(max_length=255), price=Str(max_length=255),
                           status=Enum(values=STATUSES)))
def list_subscriptions(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    """Without ``status``, canceled and expired subscriptions are left out."""
    status = p.get("status")

    def keep(rec: Record) -> bool:
        if status == "all":
            return True
        if status is None:
            return rec["status"] not in ("canceled", "incomplete_expired")
        return bool(rec["status"] == status)

    if p.get("customer"):
        return listing(ctx, "subscription", p, "/v1/subscriptions",
                       source=indexed(ctx, "subscription", "customer", p["customer"]),
                       keep=keep)
    return listing(ctx, "subscription", p, "/v1/subscriptions", keep=keep)


@ops.operation(method="GET", path="/v1/subscriptions/{subscription}",
               id="GetSubscriptionsSubscription", summary="Retrieve a subscription",
               params=ONLY_EXPAND, returns="subscription")
def retrieve_subscription(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("subscription", path["subscription"])


@ops.operation(method="POST", path="/v1/subscriptions/{subscription}",
               id="PostSubscriptionsSubscription", summary="Update a subscription",
               params=SUB_UPDATE, returns="subscription")
def update_subscription(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Item changes are prorated as ``proration_behavior`` says (``always_invoice``
    invoices the proration at once); ``discounts`` replaces the subscription's."""
    refuse_single_in_basil(ctx, p)
    return subs.update_subscription(ctx, ctx.get("subscription", path["subscription"]), p)


@ops.operation(method="DELETE", path="/v1/subscriptions/{subscription}",
               id="DeleteSubscriptionsSubscription", summary="Cancel a subscription",
               params={"invoice_now": Bool(), "prorate": Bool(), "expand": EXPAND},
               returns="subscription")
def cancel_subscription(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return subs.cancel_subscription(ctx, ctx.get("subscription", path["subscription"]), p)


@ops.operation(method="GET", path="/v1/subscription_items", id="GetSubscriptionItems",
               summary="List subscription items",
               params=dict(LIST_PARAMS, subscription=Str(required=True, max_length=255)))
def list_subscription_items(ctx: Ctx, p: dict[str, Any],
                            path: dict[str, str]) -> dict[str, Any]:
    sub = ctx.get("subscription", p["subscription"], "subscription")
    return listing(ctx, "subscription_item", p, "/v1/subscription_items",
                   source=indexed(ctx, "subscription_item", "subscription", sub["id"]))


@ops.operation(method="POST", path="/v1/subscription_items", id="PostSubscriptionItems",
               summary="Create a subscription item",
               params={"subscription": Str(required=True, max_length=255),
                       "price": Str(required=True, max_length=255),
                       "quantity": Int(maximum=1_000_000), "proration_behavior": PRORATION,
                       "metadata": Metadata(), "expand": EXPAND},
               returns="subscription_item")
def create_subscription_item(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """An update of the subscription that adds one item."""
    sub = ctx.get("subscription", p["subscription"], "subscription")
    item = {"price": p["price"], "quantity": p.get("quantity"), "metadata": p.get("metadata")}
    before = {si["id"] for si in subs.items_of(ctx, sub)}
    subs.update_subscription(ctx, sub, {"items": [item],
                                        "proration_behavior": p.get("proration_behavior")})
    new = [si for si in subs.items_of(ctx, sub) if si["id"] not in before]
    return new[0]


@ops.operation(method="GET", path="/v1/subscription_items/{item}",
               id="GetSubscriptionItemsItem", summary="Retrieve a subscription item",
               params=ONLY_EXPAND, returns="subscription_item")
def retrieve_subscription_item(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("subscription_item", path["item"])


@ops.operation(method="POST", path="/v1/subscription_items/{item}",
               id="PostSubscriptionItemsItem", summary="Update a subscription item",
               params={"price": Str(max_length=255),
                       "quantity": Int(minimum=1, maximum=1_000_000),
                       "proration_behavior": PRORATION, "metadata": Metadata(),
                       "expand": EXPAND},
               returns="subscription_item")
def update_subscription_item(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    si = ctx.get("subscription_item", path["item"])
    sub = ctx.get("subscription", si["subscription"])
    item = {"id": si["id"], "price": p.get("price"), "quantity": p.get("quantity"),
            "metadata": p.get("metadata")}
    subs.update_subscription(ctx, sub, {"items": [item],
                                        "proration_behavior": p.get("proration_behavior")})
    return ctx.get("subscription_item", si["id"])


@ops.operation(method="DELETE", path="/v1/subscription_items/{item}",
               id="DeleteSubscriptionItemsItem", summary="Delete a subscription item",
               params={"proration_behavior": PRORATION})
def delete_subscription_item(ctx: Ctx, p: dict[str, Any], path: dict[str, str]
                             ) -> dict[str, Any]:
    """A subscription keeps at least one item: cancel the subscription instead."""
    si = ctx.get("subscription_item", path["item"])
    sub = ctx.get("subscription", si["subscription"])
    if len(subs.items_of(ctx, sub)) == 1:
        raise InvalidRequest("A subscription must have at least one active plan. To cancel a "
                             "subscription, send a DELETE to the subscription instead.",
                             param="item")
    subs.update_subscription(ctx, sub, {"items": [{"id": si["id"], "deleted": True}],
                                        "proration_behavior": p.get("proration_behavior")})
    return deleted("subscription_item", si["id"])
