"""Subscriptions: create, update with proration, cancel now or at period end, dunning states.

This is the top of the billing state machine, the one place where objects of one kind move
those of another: a subscription creates, finalizes and pays its invoices; an invoice's
payment moves its subscription (``pay``: active again when paid, past due and at last
canceled or unpaid when dunning fails); deleting a customer ends its subscriptions
(``delete_customer``). customers, payments and invoices never call up here
(``tests/test_imports.py`` holds every module to an acyclic import graph).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulators.billing import discounts
from simulators.billing.context import Ctx
from simulators.billing.customers import attach_payment_method, decline, mark_deleted
from simulators.billing.errors import InvalidRequest, StateError
from simulators.billing.events import emit
from simulators.billing.invoices import (
    charge,
    create_invoice,
    finalize,
    new_line,
    out_of_retries,
    void,
)
from simulators.billing.metadata import updated_metadata
from simulators.billing.periods import add_interval, days, prorate
from simulators.billing.render import render
from simulators.engine.store import Record

SUB_FIELDS = ("status", "cancel_at_period_end", "cancel_at", "canceled_at", "ended_at",
              "metadata", "default_payment_method", "current_period_start",
              "current_period_end", "latest_invoice", "trial_end", "discounts")
# An incomplete subscription whose first invoice is unpaid expires after 23 hours
# (Stripe docs, "Subscription statuses").
INCOMPLETE_EXPIRY = 23 * 3600
RENEWAL_DRAFT_SECONDS = 3600


def items_of(ctx: Ctx, sub: Record) -> list[Record]:
    return [si for si in reversed(ctx.store.collection("subscription_item")
                                  .by_index("subscription", sub["id"])) if not si.get("deleted")]


def recurring_price(ctx: Ctx, price_id: Any, param: str) -> Record:
    price = ctx.get("price", price_id, param)
    if price.get("recurring") is None:
        raise InvalidRequest("The price specified is set to `type=one_time` but this field "
                             "only accepts prices with `type=recurring`.", param=param)
    if not price["active"]:
        raise InvalidRequest("The price specified is inactive. This field only accepts active "
                             "prices.", param=param)
    return price


def _period_label(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%d %b %Y")


def added_price(ctx: Ctx, sub: Record, item: dict[str, Any], at: str) -> Record:
    """The price of an item ``item`` (parameter ``at``) adds to ``sub``: given, recurring,
    active, in the subscription's currency."""
    if not item.get("price"):
        raise InvalidRequest(f"Missing required param: {at}[price].", param=f"{at}[price]",
                             code="parameter_missing")
    price = recurring_price(ctx, item["price"], f"{at}[price]")
    if price["currency"] != sub["currency"]:
        raise InvalidRequest("All prices on a subscription must have the same currency.",
                             param=f"{at}[price]")
    return price


def item_line(ctx: Ctx, sub: Record, si: Record, period: tuple[int, int]) -> Record:
    price = ctx.get("price", si["price"])
    product = ctx.store.get("product", price["product"]) or {"name": price["product"]}
    return new_line(ctx, amount=price["unit_amount"] * si["quantity"], currency=price["currency"],
                    description=f"{si['quantity']} x {product['name']} (at "
                                f"{price['unit_amount']} {price['currency'].upper()} / "
                                f"{price['recurring']['interval']})",
                    period=period, price=price["id"], quantity=si["quantity"], proration=False,
                    subscription=sub["id"], subscription_item=si["id"], invoice_item=None,
                    tax_rates=si.get("_tax_rates") or sub.get("default_tax_rates") or [],
                    metadata={}, unit_amount=price["unit_amount"])


def _new_item(ctx: Ctx, sub: Record, price: Record, quantity: int, metadata: dict[str, str],
              tax_rates: list[str] | None) -> Record:
    si: Record = {"id": ctx.new_id("si_"), "object": "subscription_item",
                  "created": ctx.now(sub["customer"]), "metadata": metadata,
                  "price": price["id"], "quantity": quantity, "subscription": sub["id"],
                  "tax_rates": tax_rates or [], "discounts": [], "billed_until": None,
                  "billing_thresholds": None, "current_trial": None,
                  "_tax_rates": tax_rates or []}
    ctx.put("subscription_item", si)
    return si


def create_subscription(ctx: Ctx, p: dict[str, Any]) -> Record:
    customer = ctx.get("customer", p["customer"], "customer")
    items = p.get("items") or []
    if not items:
        raise InvalidRequest("Missing required param: items.", param="items",
                             code="parameter_missing")
    prices = []
    for i, item in enumerate(items):
        if not item.get("price"):
            raise InvalidRequest(f"Missing required param: items[{i}][price].",
                                 param=f"items[{i}][price]", code="parameter_missing")
        prices.append(recurring_price(ctx, item["price"], f"items[{i}][price]"))
    currencies = {pr["currency"] for pr in prices}
    intervals = {(pr["recurring"]["interval"], pr["recurring"]["interval_count"])
                 for pr in prices}
    if len(currencies) > 1 or len(intervals) > 1:
        raise InvalidRequest("All prices on a subscription must have the same currency and "
                             "billing interval.", param="items")
    if p.get("default_payment_method"):
        pm_id = p["default_payment_method"]
        pm = ctx.store.get("payment_method", pm_id)
        if pm is None:
            pm = attach_payment_method(ctx, pm_id, customer) if pm_id.startswith("pm_card_") \
                else ctx.get("payment_method", pm_id, "default_payment_method")
        p["default_payment_method"] = pm["id"]
    for rid in p.get("default_tax_rates") or []:
        ctx.get("tax_rate", rid, "default_tax_rates")
    now = ctx.now(customer["id"])
    interval, count = next(iter(intervals))
    trial_end = p.get("trial_end")
    if p.get("trial_period_days"):
        trial_end = now + days(p["trial_period_days"])
    if trial_end is not None and trial_end <= now:
        raise InvalidRequest("Invalid timestamp: must be an integer Unix timestamp in the "
                             "future.", param="trial_end")
    period_end = trial_end if trial_end else add_interval(now, interval, count)
    collection = p.get("collection_method") or "charge_automatically"
    if collection == "send_invoice" and p.get("days_until_due") is None:
        raise InvalidRequest("Missing required param: days_until_due.", param="days_until_due",
                             code="parameter_missing")
    sub: Record = {
        "id": ctx.new_id("sub_"), "object": "subscription", "application": None,
        "billing_cycle_anchor": now, "cancel_at": None,
        "cancel_at_period_end": bool(p.get("cancel_at_period_end")), "canceled_at": None,
        "collection_method": collection, "created": now, "currency": prices[0]["currency"],
        "current_period_end": period_end, "current_period_start": now,
        "customer": customer["id"], "days_until_due": p.get("days_until_due"),
        "default_payment_method": p.get("default_payment_method"),
        "default_tax_rates": p.get("default_tax_rates") or [], "description":
            p.get("description"), "discount": None, "discounts": [], "ended_at": None,
        "latest_invoice": None, "livemode": False, "metadata": p.get("metadata") or {},
        "pause_collection": None, "pending_update": None, "schedule": None,
        "start_date": now, "status": "incomplete", "test_clock": customer.get("test_clock"),
        "trial_end": trial_end, "trial_start": now if trial_end else None,
        "_interval": [interval, count], "_incomplete_since": now,
        # What Stripe answers for a subscription without automatic tax, thresholds,
        # pending updates or trial settings (Stripe API reference, "The Subscription
        # object").
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic", "updated_at": None},
        "billing_schedules": [], "billing_thresholds": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "next_pending_invoice_item_invoice": None,
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off"},
        "pending_invoice_item_interval": None, "pending_setup_intent": None,
        "status_details": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
    }
    sub["discounts"] = discounts.discounts_from(ctx, _discount_specs(p), "discounts",
                                                customer=customer["id"],
                                                subscription=sub["id"])
    ctx.put("subscription", sub)
    for item, price in zip(items, prices, strict=True):
        _new_item(ctx, sub, price, item.get("quantity") or 1, item.get("metadata") or {},
                  item.get("tax_rates"))
    emit(ctx, "customer.subscription.created", "subscription", sub)
    period = (now, period_end)
    lines = [item_line(ctx, sub, si, period) for si in items_of(ctx, sub)]
    if trial_end:
        for line in lines:
            line.update(amount=0, tax_amounts=[], description="Trial period for "
                        + line["description"].split(" (at")[0])
    inv = create_invoice(ctx, customer, subscription=sub, billing_reason="subscription_create",
                         lines=lines, period=period, collection_method=collection,
                         days_until_due=p.get("days_until_due"))
    sub["latest_invoice"] = inv["id"]
    finalize(ctx, inv)
    behavior = p.get("payment_behavior") or "allow_incomplete"
    if inv["status"] == "paid":
        set_status(ctx, sub, "trialing" if trial_end else "active")
    elif collection == "send_invoice":
        set_status(ctx, sub, "active")
    elif behavior != "default_incomplete":
        ok = pay(ctx, inv)
        if not ok and behavior == "error_if_incomplete":
            charge = ctx.store.get("charge", inv["charge"]) if inv["charge"] else None
            raise decline(charge["outcome"]["reason"] if charge else "generic_decline",
                          charge_id=inv["charge"])
    ctx.put("subscription", sub)
    return sub


def _discount_specs(p: dict[str, Any]) -> list[dict[str, Any]] | None:
    """``discounts``, or before basil the single ``coupon`` / ``promotion_code`` (Stripe
    changelog, "2025-03-31.basil": those two are removed in favour of ``discounts``; the
    operation refuses them for a basil request)."""
    if p.get("coupon"):
        return [{"coupon": p["coupon"]}]
    if p.get("promotion_code"):
        return [{"promotion_code": p["promotion_code"]}]
    return p.get("discounts")


def set_status(ctx: Ctx, sub: Record, status: str) -> None:
    if sub["status"] == status:
        return
    prev = sub["status"]
    sub["status"] = status
    ctx.put("subscription", sub)
    emit(ctx, "customer.subscription.updated", "subscription", sub, {"status": prev})


# -- where invoices and customers move subscriptions ------------------------------------
def pay(ctx: Ctx, inv: Record, *, payment_method: str | None = None,
        manual: bool = False) -> bool:
    """Collect an open invoice (``invoices.charge``), then move its subscription: active
    again once paid; past due, and at the end of dunning canceled or unpaid, when not."""
    ok = charge(ctx, inv, payment_method=payment_method, manual=manual)
    sub = ctx.store.get("subscription", inv["subscription"]) if inv["subscription"] else None
    if sub is None:
        return ok
    if ok:
        if sub["status"] in ("past_due", "incomplete", "unpaid"):
            set_status(ctx, sub, "active")
    else:
        on_payment_failed(ctx, sub, inv, final=out_of_retries(inv, manual=manual))
    return ok


def delete_customer(ctx: Ctx, cust: Record) -> dict[str, Any]:
    """Deleting a customer cancels its live subscriptions first."""
    for sub in ctx.store.collection("subscription").by_index("customer", cust["id"]):
        if sub["status"] not in ("canceled", "incomplete_expired"):
            cancel_subscription(ctx, sub, {})
    return mark_deleted(ctx, cust)


def on_payment_failed(ctx: Ctx, sub: Record, inv: Record, *, final: bool) -> None:
    if sub["status"] in ("active", "trialing") and inv["billing_reason"] != "subscription_create":
        set_status(ctx, sub, "past_due")
    if final and sub["status"] in ("past_due", "unpaid"):
        action = ctx.tenant.meta.get("dunning_final", "cancel")
        if action == "cancel":
            cancel_subscription(ctx, sub, {})
        elif action == "unpaid":
            set_status(ctx, sub, "unpaid")


def _previous(sub: Record, before: dict[str, Any]) -> dict[str, Any] | None:
    prev = {k: v for k, v in before.items() if sub.get(k) != v}
    return prev or None


def update_subscription(ctx: Ctx, sub: Record, p: dict[str, Any]) -> Record:
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise StateError("A canceled subscription can only update its cancellation_details "
                         "and metadata.", param="subscription")
    before = {k: sub.get(k) for k in SUB_FIELDS}
    before_items = [render(ctx, "subscription_item", si) for si in items_of(ctx, sub)]
    customer = ctx.get("customer", sub["customer"])
    now = ctx.now(customer["id"])
    behavior = p.get("proration_behavior") or "create_prorations"
    changes: list[Change] = []
    items_changed = False
    for i, item in enumerate(p.get("items") or []):
        if item.get("id"):
            si = ctx.get("subscription_item", item["id"], f"items[{i}][id]")
            if si["subscription"] != sub["id"]:
                raise InvalidRequest(f"Subscription item {si['id']} does not belong to this "
                                     "subscription.", param=f"items[{i}][id]")
            old_price = ctx.get("price", si["price"])
            old_qty = si["quantity"]
            if item.get("deleted"):
                si["deleted"] = True
                ctx.put("subscription_item", si)
                changes.append((old_price, None, old_qty, 0))
                items_changed = True
                continue
            new_price = recurring_price(ctx, item["price"], f"items[{i}][price]") \
                if item.get("price") else old_price
            new_qty = item.get("quantity") or old_qty
            if new_price["id"] != old_price["id"] or new_qty != old_qty:
                si.update(price=new_price["id"], quantity=new_qty)
                if item.get("metadata") is not None:
                    si["metadata"] = updated_metadata(si["metadata"], item["metadata"])
                ctx.put("subscription_item", si)
                changes.append((old_price, new_price, old_qty, new_qty))
                items_changed = True
        else:
            new_price = added_price(ctx, sub, item, f"items[{i}]")
            si = _new_item(ctx, sub, new_price, item.get("quantity") or 1,
                           item.get("metadata") or {}, item.get("tax_rates"))
            changes.append((None, new_price, 0, si["quantity"]))
            items_changed = True
    if p.get("cancel_at_period_end") is not None:
        sub["cancel_at_period_end"] = p["cancel_at_period_end"]
        sub["cancel_at"] = sub["current_period_end"] if p["cancel_at_period_end"] else None
        sub["canceled_at"] = now if p["cancel_at_period_end"] else None
    if "metadata" in p:
        sub["metadata"] = updated_metadata(sub["metadata"], p["metadata"])
    if p.get("default_payment_method"):
        ctx.get("payment_method", p["default_payment_method"], "default_payment_method")
        sub["default_payment_method"] = p["default_payment_method"]
    if p.get("default_tax_rates") is not None:
        sub["default_tax_rates"] = p["default_tax_rates"]
    specs = _discount_specs(p)
    if specs is not None:  # replaces the subscription's discounts (Stripe: "Update a
        sub["discounts"] = discounts.discounts_from(  # subscription", discounts)
            ctx, specs, "discounts", customer=customer["id"], subscription=sub["id"])
    ctx.put("subscription", sub)
    if items_changed and behavior != "none" and sub["status"] != "trialing":
        # proration_date: prorate as of that instant, as a preview with the same date did
        # (Stripe API reference, "Update a subscription").
        _prorate(ctx, sub, changes, p.get("proration_date") or now)
    prev = _previous(sub, before)
    if items_changed:
        prev = dict(prev or {}, items={"object": "list", "data": before_items})
    emit(ctx, "customer.subscription.updated", "subscription", sub, prev)
    if items_changed and behavior == "always_invoice" and sub["status"] != "trialing":
        inv = create_invoice(ctx, customer, subscription=sub,
                             billing_reason="subscription_update", lines=[],
                             period=(now, now), collection_method=sub["collection_method"],
                             days_until_due=sub.get("days_until_due"))
        sub["latest_invoice"] = inv["id"]
        ctx.put("subscription", sub)
        finalize(ctx, inv)
        if inv["status"] == "open" and sub["collection_method"] == "charge_automatically":
            pay(ctx, inv)
    return sub


Change = tuple[Record | None, Record | None, int, int]  # old price, new price, old/new qty


def _prorate(ctx: Ctx, sub: Record, changes: list[Change], now: int) -> None:
    for ii in proration_items(ctx, sub, changes, now):
        ctx.put("invoiceitem", ii)
        emit(ctx, "invoiceitem.created", "invoiceitem", ii)


def proration_items(ctx: Ctx, sub: Record, changes: list[Change], now: int) -> list[Record]:
    """The invoice items (not stored) that prorate ``changes`` made at ``now``: a credit
    for the unused time on what was, a charge for the rest of the period on what is."""
    out: list[Record] = []
    start, end = sub["current_period_start"], sub["current_period_end"]
    remaining, period = max(0, end - now), end - start
    label = _period_label(now)
    for old_price, new_price, old_qty, new_qty in changes:
        for price, qty, sign, text in ((old_price, old_qty, -1, "Unused time on"),
                                       (new_price, new_qty, 1, "Remaining time on")):
            if price is None or qty == 0:
                continue
            amount = sign * prorate(price["unit_amount"] * qty, remaining, period)
            if amount == 0:
                continue
            product = ctx.store.get("product", price["product"]) or {"name": price["product"]}
            ii: Record = {
                "id": ctx.new_id("ii_"), "object": "invoiceitem", "amount": amount,
                "currency": price["currency"], "customer": sub["customer"], "date": now,
                "description": f"{text} {qty} x {product['name']} after {label}",
                "discountable": False, "invoice": None, "livemode": False, "metadata": {},
                "period": {"start": now, "end": end}, "price": price["id"], "proration": True,
                "quantity": qty, "subscription": sub["id"], "subscription_item": None,
                "unit_amount": amount, "test_clock": sub.get("test_clock"),
                "_tax_rates": sub.get("default_tax_rates") or [],
            }
            out.append(ii)
    return out


def cancel_subscription(ctx: Ctx, sub: Record, p: dict[str, Any]) -> Record:
    if sub["status"] == "canceled":
        raise StateError("This subscription has already been canceled.", param="subscription")
    before = {k: sub.get(k) for k in SUB_FIELDS}
    now = ctx.now(sub["customer"])
    sub.update(status="canceled", canceled_at=sub.get("canceled_at") or now, ended_at=now,
               cancel_at_period_end=False)
    ctx.put("subscription", sub)
    for inv in ctx.store.collection("invoice").by_index("subscription", sub["id"]):
        if inv["status"] == "open" and inv.get("next_payment_attempt"):
            inv["next_payment_attempt"] = None
            ctx.put("invoice", inv)
    emit(ctx, "customer.subscription.deleted", "subscription", sub, _previous(sub, before))
    if p.get("invoice_now"):
        customer = ctx.get("customer", sub["customer"])
        inv = create_invoice(ctx, customer, subscription=sub, billing_reason="subscription_update",
                             lines=[], period=(now, now),
                             collection_method=sub["collection_method"])
        finalize(ctx, inv)
        if inv["status"] == "open":
            pay(ctx, inv)
    return sub


def renew(ctx: Ctx, sub: Record) -> None:
    """Start the next period at current_period_end: invoice it and collect."""
    customer = ctx.get("customer", sub["customer"])
    start = sub["current_period_end"]
    interval, count = sub["_interval"]
    end = add_interval(start, interval, count, sub["billing_cycle_anchor"])
    before = {k: sub.get(k) for k in SUB_FIELDS}
    sub.update(current_period_start=start, current_period_end=end)
    if sub["status"] == "trialing":
        sub["status"] = "active"
    period = (start, end)
    lines = [item_line(ctx, sub, si, period) for si in items_of(ctx, sub)]
    inv = create_invoice(ctx, customer, subscription=sub, billing_reason="subscription_cycle",
                         lines=lines, period=period, collection_method=sub["collection_method"],
                         days_until_due=sub.get("days_until_due"))
    sub["latest_invoice"] = inv["id"]
    ctx.put("subscription", sub)
    emit(ctx, "customer.subscription.updated", "subscription", sub, _previous(sub, before))
    # Stripe leaves a renewal invoice in draft for about an hour after
    # invoice.created, then finalizes it (and charges it) if auto_advance is still
    # true ("How subscriptions work", invoice lifecycle). Integrations use that hour to
    # hold an invoice (auto_advance=false); billing.cycle runs the finalization.
    inv["_finalize_at"] = inv["automatically_finalizes_at"] = \
        ctx.now(customer["id"]) + RENEWAL_DRAFT_SECONDS
    ctx.put("invoice", inv)


def finalize_renewal(ctx: Ctx, inv: Record) -> None:
    """The end of a renewal invoice's draft hour: finalize and charge unless held."""
    inv.pop("_finalize_at", None)
    inv["automatically_finalizes_at"] = None
    if inv["status"] != "draft" or not inv.get("auto_advance", True):
        ctx.put("invoice", inv)
        return
    finalize(ctx, inv)
    if inv["status"] == "open" and inv.get("collection_method") == "charge_automatically":
        pay(ctx, inv)


def expire_incomplete(ctx: Ctx, sub: Record) -> None:
    set_status(ctx, sub, "incomplete_expired")
    if sub.get("latest_invoice"):
        inv = ctx.store.get("invoice", sub["latest_invoice"])
        if inv is not None and inv["status"] == "open":
            void(ctx, inv)
