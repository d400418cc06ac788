"""Invoice previews: the invoice a customer or subscription would get next, with the
prorations an update would make, computed and never stored (Stripe API reference,
"Create a preview invoice": "the invoice has not yet been created. As such, the upcoming
invoice will not show up in invoice listing calls"; before 2025-03-31.basil also
``GET /v1/invoices/upcoming``, which basil removed).

Integration layers call it before an amendment to show (or post) the proration. The
preview is worked out by the same functions the update itself runs
(``subscriptions.proration_items``, ``subscriptions.item_line``,
``invoices.new_invoice``), so that a preview with ``proration_date`` and the update
made with the same date agree to the cent.
"""

from __future__ import annotations

from typing import Any

from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest
from simulators.billing.invoices import line_from_invoiceitem, new_invoice, pending_items
from simulators.billing.periods import add_interval
from simulators.billing.subscriptions import (
    Change,
    added_price,
    item_line,
    items_of,
    proration_items,
    recurring_price,
)
from simulators.engine.store import Record


def _none_upcoming(what: str) -> InvalidRequest:
    return InvalidRequest(f"No upcoming invoices for {what}", param="customer",
                          code="invoice_upcoming_none", status=404)


def preview(ctx: Ctx, p: dict[str, Any]) -> Record:
    """The preview invoice for ``p`` (create_preview's parameters); its id starts
    ``upcoming_in`` (Stripe API reference, "The Invoice object", id)."""
    details = p.get("subscription_details") or {}
    sub = ctx.get("subscription", p["subscription"], "subscription") \
        if p.get("subscription") else None
    if p.get("customer"):
        customer = ctx.get("customer", p["customer"], "customer")
        if sub is not None and sub["customer"] != customer["id"]:
            raise InvalidRequest(f"The subscription {sub['id']} does not belong to customer "
                                 f"{customer['id']}.", param="subscription")
    elif sub is not None:
        customer = ctx.get("customer", sub["customer"])
    else:
        raise InvalidRequest("Missing required param: customer.", param="customer",
                             code="parameter_missing")
    for rid in details.get("default_tax_rates") or []:
        ctx.get("tax_rate", rid, "subscription_details[default_tax_rates]")
    if sub is None:
        inv = (_new_subscription(ctx, customer, details) if details.get("items")
               else _pending_only(ctx, customer))
    else:
        inv = _subscription(ctx, customer, sub, details)
    inv["id"] = "upcoming_" + inv["id"]
    return inv


def _pending_only(ctx: Ctx, customer: Record) -> Record:
    pending = pending_items(ctx, customer, None)
    if not pending:
        raise _none_upcoming(f"customer: {customer['id']}")
    now = ctx.now(customer["id"])
    return new_invoice(ctx, customer, subscription=None, billing_reason="manual",
                       lines=[line_from_invoiceitem(ctx, ii) for ii in pending],
                       period=(now, now))


def _new_subscription(ctx: Ctx, customer: Record, details: dict[str, Any]) -> Record:
    """Creating a subscription: its first invoice (no trial modelled here)."""
    now = ctx.now(customer["id"])
    prices = []
    for i, item in enumerate(details["items"]):
        param = f"subscription_details[items][{i}][price]"
        if not item.get("price"):
            raise InvalidRequest(f"Missing required param: {param}.", param=param,
                                 code="parameter_missing")
        prices.append((recurring_price(ctx, item["price"], param), item.get("quantity") or 1))
    rec = prices[0][0]["recurring"]
    period = (now, add_interval(now, rec["interval"], rec["interval_count"]))
    draft = {"id": None, "default_tax_rates": details.get("default_tax_rates") or []}
    lines = [item_line(ctx, draft, {"id": None, "price": price["id"], "quantity": qty,
                                    "_tax_rates": []}, period) for price, qty in prices]
    lines += [line_from_invoiceitem(ctx, ii) for ii in pending_items(ctx, customer, None)]
    return new_invoice(ctx, customer, subscription=None, billing_reason="subscription_create",
                       lines=lines, period=period)


def _plan(ctx: Ctx, sub: Record, items: list[dict[str, Any]]
          ) -> tuple[list[Change], list[Record]]:
    """The changes ``items`` would make to ``sub``'s items, and its items after them
    (copies; nothing stored), checked as ``update_subscription`` checks them."""
    after = {si["id"]: dict(si) for si in items_of(ctx, sub)}
    changes: list[Change] = []
    for i, item in enumerate(items):
        at = f"subscription_details[items][{i}]"
        if item.get("id"):
            si = after.get(item["id"])
            if si is None:
                ctx.get("subscription_item", item["id"], f"{at}[id]")
                raise InvalidRequest(f"Subscription item {item['id']} does not belong to "
                                     "this subscription.", param=f"{at}[id]")
            old_price = ctx.get("price", si["price"])
            if item.get("deleted"):
                changes.append((old_price, None, si["quantity"], 0))
                del after[si["id"]]
                continue
            new_price = (recurring_price(ctx, item["price"], f"{at}[price]")
                         if item.get("price") else old_price)
            qty = item.get("quantity") or si["quantity"]
            if new_price["id"] != old_price["id"] or qty != si["quantity"]:
                changes.append((old_price, new_price, si["quantity"], qty))
                si.update(price=new_price["id"], quantity=qty)
        else:
            new_price = added_price(ctx, sub, item, at)
            qty = item.get("quantity") or 1
            changes.append((None, new_price, 0, qty))
            new_id = ctx.new_id("si_")
            after[new_id] = {"id": new_id, "price": new_price["id"], "quantity": qty,
                             "_tax_rates": item.get("tax_rates") or []}
    return changes, list(after.values())


def _subscription(ctx: Ctx, customer: Record, sub: Record, details: dict[str, Any]) -> Record:
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise _none_upcoming(f"subscription: {sub['id']}")
    now = ctx.now(customer["id"])
    at = details.get("proration_date") or now
    behavior = details.get("proration_behavior") or "create_prorations"
    changes, after = _plan(ctx, sub, details.get("items") or [])
    view = dict(sub)
    if details.get("default_tax_rates") is not None:
        view["default_tax_rates"] = details["default_tax_rates"]
    prorations = (proration_items(ctx, view, changes, at)
                  if changes and behavior != "none" and sub["status"] != "trialing" else [])
    pending = [line_from_invoiceitem(ctx, ii)
               for ii in pending_items(ctx, customer, sub) + prorations]
    if behavior == "always_invoice" and prorations:
        # The invoice the update itself would make at once.
        return new_invoice(ctx, customer, subscription=sub, billing_reason="subscription_update",
                           lines=pending, period=(at, at),
                           collection_method=sub["collection_method"],
                           days_until_due=sub.get("days_until_due"))
    # Otherwise the renewal at the period's end, which takes the pending items
    # (``subscriptions.renew``).
    start = sub["current_period_end"]
    interval, count = sub["_interval"]
    period = (start, add_interval(start, interval, count, sub["billing_cycle_anchor"]))
    renewal = [item_line(ctx, view, si, period) for si in after]
    return new_invoice(ctx, customer, subscription=sub, billing_reason="subscription_cycle",
                       lines=renewal + pending, period=period,
                       collection_method=sub["collection_method"],
                       days_until_due=sub.get("days_until_due"))
