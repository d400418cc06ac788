"""Turning stored records into Stripe's wire shapes: versions, sub-lists, expansion.

Records are stored once, in an internal superset shape; every response and
webhook is rendered for the API version it is read with.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from simulators.billing.context import Ctx, kind_of_id
from simulators.billing.errors import InvalidRequest
from simulators.billing.versions import is_basil, is_clover
from simulators.engine.store import Record

MAX_EXPAND_DEPTH = 4  # Stripe API reference, "Expanding responses": at most four levels


def sublist(url: str, data: list[Any], has_more: bool = False, total: int | None = None
            ) -> dict[str, Any]:
    out: dict[str, Any] = {"object": "list", "data": data, "has_more": has_more, "url": url}
    if total is not None:
        out["total_count"] = total
    return out


def _public(obj: Record) -> dict[str, Any]:
    # k[:1] rather than k.startswith: no method call per key on every response.
    return {k: v for k, v in obj.items() if k[:1] != "_"}


# Kinds render() changes beyond dropping private fields (see below).
_REWRITTEN = frozenset({"event", "subscription", "subscription_item", "invoice", "discount",
                        "promotion_code", "payment_intent", "charge", "credit_note",
                        "invoiceitem"})


def stored_json(kind: str, obj: Record) -> bytes | None:
    """The record's JSON when it renders exactly as stored (no private field, nothing
    that varies by API version), else None. Skips building a copy per response."""
    if kind in _REWRITTEN or (kind == "customer" and obj.get("discount") is not None):
        return None
    body = orjson.dumps(obj)
    # A private key serialises as '"_' (so does a string value that starts with
    # '_', or a nested key: those merely take the render path, whose answer is the
    # same). Cheaper than looking at the keys. A compiled pattern, not ``in``:
    # bytes.__contains__ stumbles on every '"' of the JSON (~700 ns for a customer,
    # the pattern ~350 ns; measured with timeit, CPython 3.11).
    return None if _PRIVATE_KEY.search(body) else body


_PRIVATE_KEY = re.compile(b'"_')


def event_object(event: Record) -> dict[str, Any]:
    """The event's copy of its object (the record as it was when the event happened)."""
    if "_object_values" not in event:  # written by fintwin before the compact form
        return dict(orjson.loads(event["data"]["object_json"]))
    values = event["_object_values"]  # the values (a list once restored), or their JSON
    if isinstance(values, str):
        values = orjson.loads(values)
    return dict(zip(event["_object_keys"], values, strict=True))


def _render_event(ctx: Ctx, event: Record, version: str | None) -> dict[str, Any]:
    # Read back (GET /v1/events), an event shows its object in the account's
    # version when it happened; a webhook endpoint pinned to an api_version gets
    # its events in that version instead (Stripe docs, "Events" and "Webhook
    # endpoints: api_version").
    version = version or event["api_version"]
    data: dict[str, Any] = {"object": render(ctx, event["_object_kind"], event_object(event),
                                             version)}
    legacy = event.get("data")
    previous = (legacy.get("previous_attributes") if legacy
                else event.get("_previous_attributes"))
    if previous is not None:
        data["previous_attributes"] = previous
    legacy_request = event.get("request")
    request = legacy_request or {"id": event.get("_request_id"),
                                 "idempotency_key": event.get("_idempotency_key")}
    return {"id": event["id"], "object": "event", "api_version": version,
            "created": event["created"], "data": data, "livemode": event["livemode"],
            "pending_webhooks": event["pending_webhooks"], "request": request,
            "type": event["type"]}


def render(ctx: Ctx, kind: str, obj: Record, version: str | None = None) -> dict[str, Any]:
    """The record as the given API version shows it (no expansion)."""
    if kind == "event":
        return _render_event(ctx, obj, version)
    version = version or ctx.version
    basil = is_basil(version)
    out = _public(obj)
    if kind in ("subscription", "invoice", "customer"):
        _discount_fields(ctx, kind, out, version, basil)
    if kind in ("discount", "promotion_code"):
        coupon_id = out.pop("coupon")
        if is_clover(version):  # a reference under source / promotion, not expanded
            out["source" if kind == "discount" else "promotion"] = {"type": "coupon",
                                                                    "coupon": coupon_id}
        else:
            out["coupon"] = _coupon_obj(ctx, coupon_id)
    elif kind == "invoiceitem":
        _invoiceitem(ctx, out, basil)
    elif kind in ("payment_intent", "charge") and basil:
        out.pop("invoice", None)  # BASIL_CHANGES: invoice payments are their own objects
    elif kind == "credit_note":
        refund_id = out.pop("refund", None)
        if basil:
            refund = ctx.store.get("refund", refund_id) if refund_id else None
            out["refunds"] = [] if refund is None else [
                {"amount_refunded": refund["amount"], "payment_record_refund": None,
                 "refund": refund_id, "type": "refund"}]
            out["total_taxes"] = [
                {"amount": t["amount"], "tax_behavior": "exclusive",
                 "tax_rate_details": {"tax_rate": t["tax_rate"]},
                 "taxability_reason": "standard_rated", "taxable_amount": t["taxable_amount"],
                 "type": "tax_rate_details"} for t in out.pop("tax_amounts", None) or []]
        else:
            out["refund"] = refund_id
    elif kind == "subscription":
        items = [render(ctx, "subscription_item", si, version)
                 for si in reversed(ctx.store.collection("subscription_item")
                                    .by_index("subscription", obj["id"]))
                 if not si.get("deleted")]
        if basil:
            for item in items:
                item["current_period_start"] = obj["current_period_start"]
                item["current_period_end"] = obj["current_period_end"]
            out.pop("current_period_start", None)
            out.pop("current_period_end", None)
        out["items"] = sublist(f"/v1/subscription_items?subscription={obj['id']}", items,
                               total=len(items))
    elif kind == "subscription_item":
        out["price"] = _price_obj(ctx, obj["price"])
        # Still there from basil on (stripe-python 16's SubscriptionItem, generated for
        # 2026-10-28, declares plan non-null; `fintwin drift` found the fake nulling it).
        out["plan"] = _plan_of(out["price"])
    elif kind == "invoice":
        lines = [_render_line(ctx, line, basil, obj["id"]) for line in obj.get("_lines", [])]
        out["lines"] = sublist(f"/v1/invoices/{obj['id']}/lines", lines, total=len(lines))
        if basil:
            sub = out.pop("subscription", None)
            out["parent"] = None if sub is None else {
                "type": "subscription_details", "quote_details": None,
                "subscription_details": {"subscription": sub,
                                         "metadata": obj.get("_subscription_metadata", {})}}
            for gone in ("charge", "payment_intent", "paid", "paid_out_of_band",
                         "total_tax_amounts", "tax"):
                out.pop(gone, None)
            out["total_taxes"] = [
                {"amount": t["amount"],
                 "tax_behavior": "inclusive" if t.get("inclusive") else "exclusive",
                 "tax_rate_details": {"tax_rate": t["tax_rate"]},
                 "taxability_reason": "standard_rated", "taxable_amount": t["taxable_amount"],
                 "type": "tax_rate_details"} for t in obj.get("total_tax_amounts", [])]
    return out


def _coupon_obj(ctx: Ctx, coupon_id: str) -> dict[str, Any]:
    coupon = ctx.store.get("coupon", coupon_id)
    return _public(coupon) if coupon is not None else {"id": coupon_id, "object": "coupon"}


def _discount_fields(ctx: Ctx, kind: str, out: dict[str, Any], version: str,
                     basil: bool) -> None:
    """A customer's ``discount`` (an object, not an id); before basil, a subscription's
    and an invoice's single ``discount`` (the first of ``discounts``), gone in basil."""
    if kind == "customer":
        d = ctx.store.get("discount", out["discount"]) if out.get("discount") else None
        out["discount"] = None if d is None else render(ctx, "discount", d, version)
        return
    if basil:
        out.pop("discount", None)
        return
    first = ctx.store.get("discount", out["discounts"][0]) if out.get("discounts") else None
    out["discount"] = None if first is None else render(ctx, "discount", first, version)


def _invoiceitem(ctx: Ctx, out: dict[str, Any], basil: bool) -> None:
    """An invoice item in the version's shape: basil moved ``price`` under ``pricing`` and
    ``subscription`` / ``subscription_item`` under ``parent`` (BASIL_CHANGES)."""
    rates = [ctx.store.get("tax_rate", r) for r in out.get("_tax_rates", [])]
    out["tax_rates"] = [_public(r) for r in rates if r is not None]
    out["net_amount"] = out["amount"]  # after discounts, before tax: none while pending
    out["proration_details"] = {"discount_amounts": []}
    out["quantity_decimal"] = str(out.get("quantity") or 1)
    out["frozen_fields"] = None
    out["invoicing_rules"] = None
    unit = out.get("unit_amount")
    price_id = out.get("price")
    if not basil:
        out["unit_amount_decimal"] = None if unit is None else str(unit)
        price = ctx.store.get("price", price_id) if price_id else None
        out["plan"] = _plan_of(_public(price)) if price is not None else None
        return
    out.pop("price", None)
    out.pop("unit_amount", None)
    sub, si = out.pop("subscription", None), out.pop("subscription_item", None)
    price = ctx.store.get("price", price_id) if price_id else None
    out["pricing"] = {"type": "price_details", "unit_amount_decimal": str(unit or 0),
                      "price_details": None if price is None else {
                          "price": price_id, "product": price["product"]}}
    out["parent"] = None if sub is None else {
        "type": "subscription_details",
        "subscription_details": {"subscription": sub, "subscription_item": si}}


def _plan_of(price: dict[str, Any]) -> dict[str, Any] | None:
    rec = price.get("recurring")
    if not rec:
        return None
    return {"id": price["id"], "object": "plan", "active": price["active"],
            "amount": price["unit_amount"], "currency": price["currency"],
            "interval": rec["interval"], "interval_count": rec["interval_count"],
            "product": price["product"], "nickname": price.get("nickname"),
            "usage_type": "licensed", "billing_scheme": "per_unit",
            "metadata": price.get("metadata", {}), "created": price["created"],
            "livemode": False}


def _price_obj(ctx: Ctx, price_id: str) -> dict[str, Any]:
    price = ctx.store.get("price", price_id)
    return _public(price) if price is not None else {"id": price_id, "object": "price"}


def _render_line(ctx: Ctx, line: Record, basil: bool, invoice: str) -> dict[str, Any]:
    out = _public(line)
    out["invoice"] = invoice
    out["subtotal"] = line["amount"]  # before discounts and tax (the Invoice Line Item)
    out["pretax_credit_amounts"] = []
    out["quantity_decimal"] = None if line.get("quantity") is None else str(line["quantity"])
    price_id = out.pop("price", None)
    if basil:
        price = ctx.store.get("price", price_id) if price_id else None
        out["pricing"] = None if price_id is None else {
            "type": "price_details", "unit_amount_decimal": str(line.get("unit_amount", 0)),
            "price_details": {"price": price_id,
                              "product": price["product"] if price else None}}
        # ``subscription`` stays on the line from basil on as well (stripe-python 16's
        # InvoiceLineItem declares it); ``subscription_item`` moved under ``parent``.
        sub = out.get("subscription")
        si = out.pop("subscription_item", None)
        ii = out.get("invoice_item")
        out["parent"] = ({"type": "subscription_item_details", "invoice_item_details": None,
                          "subscription_item_details": {
                              "subscription": sub, "subscription_item": si,
                              "proration": line.get("proration", False),
                              "invoice_item": ii}} if sub else
                         {"type": "invoice_item_details", "subscription_item_details": None,
                          "invoice_item_details": {"invoice_item": ii,
                                                   "proration": line.get("proration", False),
                                                   "subscription": None}})
        out.pop("proration", None)
        out["taxes"] = [{"amount": t["amount"],
                         "tax_behavior": "inclusive" if t.get("inclusive") else "exclusive",
                         "tax_rate_details": {"tax_rate": t["tax_rate"]},
                         "taxability_reason": "standard_rated",
                         "taxable_amount": t["taxable_amount"], "type": "tax_rate_details"}
                        for t in line.get("tax_amounts", [])]
        out.pop("tax_amounts", None)
        for gone in ("type", "invoice_item", "unit_amount"):  # BASIL_CHANGES
            out.pop(gone, None)
    else:
        # Before basil a line's unit price is ``unit_amount_excluding_tax``, a decimal
        # string (the Invoice Line Item object, 2024-06-20).
        out["unit_amount_excluding_tax"] = str(out.pop("unit_amount", 0) or 0)
        out["price"] = None if price_id is None else _price_obj(ctx, price_id)
        out["plan"] = None if out["price"] is None else _plan_of(out["price"])
    return out


# -- expansion ----------------------------------------------------------------
def expand(ctx: Ctx, obj: dict[str, Any], paths: list[str], *, in_list: bool = False
           ) -> dict[str, Any]:
    """Replace id fields named by ``paths`` with the objects they name (dotted, depth <= 4)."""
    for i, path in enumerate(paths):
        parts = path.split(".")
        # On a list, ``data.customer`` expands each item's customer (Stripe API reference,
        # "Expanding responses": "use the data prefix"); a path without it names nothing.
        if in_list and parts[0] != "data":
            continue
        if len(parts) - in_list > MAX_EXPAND_DEPTH:
            raise InvalidRequest(
                f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. "
                f"Property: {path}", param=f"expand[{i}]")
        if not parts or not _expand_path(ctx, obj, parts):
            raise InvalidRequest(f"This property cannot be expanded ({path}).",
                                 param=f"expand[{i}]")
    return obj


# Lists an object leaves out unless expanded, as (object, field) -> (kind, index): a
# charge's refunds since 2022-11-15 (Stripe changelog, "2022-11-15": "The refunds
# property on charges is no longer expanded by default").
_INCLUDABLE: dict[tuple[Any, str], tuple[str, str]] = {("charge", "refunds"): ("refund", "charge")}


def _referenced(ctx: Ctx, obj_id: str) -> dict[str, Any] | None:
    kind = kind_of_id(obj_id)
    target = ctx.store.get(kind, obj_id) if kind is not None else None
    return None if kind is None or target is None else render(ctx, kind, target)


def _expand_path(ctx: Ctx, node: Any, parts: list[str]) -> bool:
    if isinstance(node, dict) and node.get("object") == "list" and parts[0] == "data":
        return all(_expand_path(ctx, item, parts[1:]) for item in node["data"]) \
            if len(parts) > 1 else False
    if not isinstance(node, dict) or parts[0] not in node:
        return False
    head, rest = parts[0], parts[1:]
    value = node[head]
    included = _INCLUDABLE.get((node.get("object"), head))
    if value is None and included is not None:
        listed, by = included
        found = ctx.store.collection(listed).by_index(by, node["id"])
        value = node[head] = sublist(f"/v1/{node['object']}s/{node['id']}/{head}",
                                     [render(ctx, listed, r) for r in reversed(found)])
    if value is None:
        return True  # Stripe expands a null reference to null
    if isinstance(value, list) and not rest:  # a list of ids (``discounts``)
        objects = [_referenced(ctx, v) if isinstance(v, str) else v for v in value]
        if any(o is None for o in objects):
            return False
        node[head] = objects
        return True
    if isinstance(value, str):
        value = _referenced(ctx, value)
        if value is None:
            return False
        node[head] = value
    elif rest and isinstance(value, dict) and value.get("object") != "list":
        # A nested hash of the stored record (invoice_settings): expand into a copy,
        # or the expansion would be written into the store.
        value = node[head] = dict(value)
    if not rest:
        return isinstance(value, dict) and ("id" in value or value.get("object") == "list")
    return _expand_path(ctx, value, rest)
