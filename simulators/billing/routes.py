"""The billing fake's operations: parameters, handlers, and their HTTP plumbing.

Routes parse, call the model, serialise. Every operation is declared once
(``Op``) and that declaration drives validation and the OpenAPI document.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import URL
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from simulators.billing import (
    catalog,
    credit_notes,
    customers,
    events,
    invoices,
    payments,
    test_clocks,
)
from simulators.billing import subscriptions as subs
from simulators.billing.context import Ctx
from simulators.billing.errors import (
    ApiError,
    AuthenticationError,
    IdempotencyError,
    IdempotencyInUse,
    InvalidRequest,
    StripeError,
)
from simulators.billing.events import shared_keys
from simulators.billing.forms import decode_form
from simulators.billing.idempotency import (
    MAX_KEY_LENGTH,
    SORTED,
    Entry,
    cache,
    fingerprint_prefix,
    prune,
    remember,
)
from simulators.billing.params import (
    CREATED_FILTER,
    EXPAND,
    LIST_PARAMS,
    Bool,
    Decimal_,
    Enum,
    Hash,
    Int,
    ListOf,
    Metadata,
    P,
    Str,
    check_fields,
)
from simulators.billing.render import expand, render, stored_json, sublist
from simulators.billing.versions import DEFAULT_VERSION, parse_version
from simulators.engine.frozen import immutable_values
from simulators.engine.middleware import Message, Receive, Send
from simulators.engine.openapi import Operation
from simulators.engine.store import Record
from simulators.engine.vendor import STASHED_BODY, Scope, header

log = logging.getLogger("fintwin.billing")

Handler = Callable[[Ctx, dict[str, Any], dict[str, str]], Any]


@dataclass
class Op:
    method: str
    path: str
    op_id: str
    summary: str
    params: dict[str, P]
    handler: Handler
    kind: str | None = None  # the object kind a handler returns (None: already rendered)
    tags: tuple[str, ...] = ()
    path_params: dict[str, str] = field(default_factory=dict)


# -- helpers used by handlers --------------------------------------------------
def _listing(ctx: Ctx, kind: str, p: dict[str, Any], url: str,
             keep: Callable[[Record], bool] = lambda r: True,
             source: list[Record] | None = None) -> dict[str, Any]:
    limit = p.get("limit") or 10
    coll = ctx.store.collection(kind)
    after, before = p.get("starting_after"), p.get("ending_before")
    for cursor, name in ((after, "starting_after"), (before, "ending_before")):
        if cursor is not None and coll.items.get(cursor) is None:
            raise InvalidRequest(f"No such {kind}: '{cursor}'", param=name,
                                 code="resource_missing")
    created = p.get("created") or {}

    def wanted(rec: Record) -> bool:
        if rec.get("deleted") or not keep(rec):
            return False
        c = rec.get("created", 0)
        return (("gt" not in created or c > created["gt"]) and
                ("gte" not in created or c >= created["gte"]) and
                ("lt" not in created or c < created["lt"]) and
                ("lte" not in created or c <= created["lte"]))

    if source is not None:
        ordered = source
        if after:
            ids = [r["id"] for r in ordered]
            ordered = ordered[ids.index(after) + 1:] if after in ids else []
        iterator = iter(ordered)
    else:
        iterator = coll.newest_first(after, before)
    page: list[Record] = []
    has_more = False
    for rec in iterator:
        if not wanted(rec):
            continue
        if len(page) == limit:
            has_more = True
            break
        page.append(rec)
    if before is not None:
        # ending_before walks toward newer records; Stripe still returns newest first.
        page = list(reversed(page))
    data = [render(ctx, kind, rec) for rec in page]
    out = sublist(url, data, has_more)
    return expand(ctx, out, p.get("expand") or [], in_list=True)


def _indexed(ctx: Ctx, kind: str, field_name: str, value: str) -> list[Record]:
    return ctx.store.collection(kind).by_index(field_name, value)


def _get(kind: str, key: str = "id") -> Handler:
    def handler(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
        return ctx.get(kind, path[key])
    return handler


# -- parameter declarations ----------------------------------------------------
ADDRESS = Hash(fields={k: Str(max_length=200) for k in
                       ("city", "country", "line1", "line2", "postal_code", "state")})
INVOICE_SETTINGS = Hash(fields={"default_payment_method": Str(max_length=255)})
CUSTOMER_PARAMS: dict[str, P] = {
    "name": Str(max_length=256), "email": Str(max_length=512), "description": Str(),
    "phone": Str(max_length=20), "address": ADDRESS, "metadata": Metadata(),
    "payment_method": Str(max_length=255), "invoice_settings": INVOICE_SETTINGS,
    "test_clock": Str(max_length=255), "balance": Int(minimum=-99_999_999_999),
    "expand": EXPAND,
}
PRODUCT_PARAMS: dict[str, P] = {
    "name": Str(required=True, max_length=250), "id": Str(max_length=255),
    "description": Str(max_length=40000), "active": Bool(), "metadata": Metadata(),
    "unit_label": Str(max_length=12), "expand": EXPAND,
}
RECURRING = Hash(fields={"interval": Enum(required=True, values=("day", "week", "month", "year")),
                         "interval_count": Int(minimum=1, maximum=365)})
CURRENCY = Str(required=True, max_length=3)
PRICE_PARAMS: dict[str, P] = {
    "currency": CURRENCY, "unit_amount": Int(maximum=99_999_999_999),
    "product": Str(max_length=255),
    "product_data": Hash(fields={"name": Str(required=True, max_length=250),
                                 "metadata": Metadata(), "active": Bool()}),
    "recurring": RECURRING, "lookup_key": Str(max_length=200), "transfer_lookup_key": Bool(),
    "nickname": Str(max_length=250), "metadata": Metadata(), "active": Bool(),
    "tax_behavior": Enum(values=("exclusive", "inclusive", "unspecified")), "expand": EXPAND,
}
ITEM = Hash(fields={"id": Str(max_length=255), "price": Str(max_length=255),
                    "quantity": Int(maximum=1_000_000), "deleted": Bool(),
                    "metadata": Metadata(), "tax_rates": ListOf(Str(max_length=255))})
PRORATION = Enum(values=("create_prorations", "none", "always_invoice"))
SUB_CREATE: dict[str, P] = {
    "customer": Str(required=True, max_length=255), "items": ListOf(ITEM, max_items=20),
    "trial_period_days": Int(minimum=1, maximum=730), "trial_end": Int(maximum=2**40),
    "default_payment_method": Str(max_length=255), "metadata": Metadata(),
    "cancel_at_period_end": Bool(), "proration_behavior": PRORATION,
    "collection_method": Enum(values=("charge_automatically", "send_invoice")),
    "days_until_due": Int(maximum=3650), "description": Str(max_length=500),
    "payment_behavior": Enum(values=("allow_incomplete", "default_incomplete",
                                     "error_if_incomplete", "pending_if_incomplete")),
    "default_tax_rates": ListOf(Str(max_length=255)), "expand": EXPAND,
}
SUB_UPDATE: dict[str, P] = {
    "items": ListOf(ITEM, max_items=20), "metadata": Metadata(), "cancel_at_period_end": Bool(),
    "proration_behavior": PRORATION, "default_payment_method": Str(max_length=255),
    "default_tax_rates": ListOf(Str(max_length=255)), "description": Str(max_length=500),
    "payment_behavior": Enum(values=("allow_incomplete", "default_incomplete",
                                     "error_if_incomplete", "pending_if_incomplete")),
    "expand": EXPAND,
}
INVOICE_CREATE: dict[str, P] = {
    "customer": Str(required=True, max_length=255), "subscription": Str(max_length=255),
    "auto_advance": Bool(), "collection_method": Enum(values=("charge_automatically",
                                                               "send_invoice")),
    "days_until_due": Int(maximum=3650), "description": Str(max_length=1500),
    "metadata": Metadata(),
    "pending_invoice_items_behavior": Enum(values=("exclude", "include")), "expand": EXPAND,
}
INVOICEITEM_CREATE: dict[str, P] = {
    "customer": Str(required=True, max_length=255), "amount": Int(minimum=-99_999_999_999),
    "unit_amount": Int(), "quantity": Int(minimum=1, maximum=1_000_000),
    "currency": Str(max_length=3), "price": Str(max_length=255),
    "description": Str(max_length=500), "invoice": Str(max_length=255),
    "subscription": Str(max_length=255), "metadata": Metadata(),
    "tax_rates": ListOf(Str(max_length=255)), "expand": EXPAND,
}
CN_LINE = Hash(fields={"type": Enum(required=True, values=("invoice_line_item",
                                                           "custom_line_item")),
                       "invoice_line_item": Str(max_length=255), "quantity": Int(minimum=1),
                       "amount": Int(minimum=1), "unit_amount": Int(minimum=1),
                       "description": Str(max_length=500)})
CN_CREATE: dict[str, P] = {
    "invoice": Str(required=True, max_length=255), "amount": Int(minimum=1),
    "lines": ListOf(CN_LINE, max_items=50), "memo": Str(max_length=5000),
    "metadata": Metadata(), "reason": Enum(values=("duplicate", "fraudulent",
                                                   "order_change", "product_unsatisfactory")),
    "refund_amount": Int(minimum=1), "credit_amount": Int(minimum=1),
    "out_of_band_amount": Int(minimum=1), "expand": EXPAND,
}
REFUND_CREATE: dict[str, P] = {
    "charge": Str(max_length=255), "payment_intent": Str(max_length=255),
    "amount": Int(minimum=1), "metadata": Metadata(),
    "reason": Enum(values=("duplicate", "fraudulent", "requested_by_customer")), "expand": EXPAND,
}
PI_CREATE: dict[str, P] = {
    "amount": Int(required=True, minimum=1), "currency": CURRENCY,
    "customer": Str(max_length=255), "payment_method": Str(max_length=255),
    "confirm": Bool(), "description": Str(max_length=1000), "metadata": Metadata(),
    "expand": EXPAND,
}
WE_CREATE: dict[str, P] = {
    "url": Str(required=True, max_length=5000),
    "enabled_events": ListOf(Str(max_length=100), max_items=500, required=True),
    "api_version": Str(max_length=64), "description": Str(max_length=5000),
    "metadata": Metadata(), "expand": EXPAND,
}
WE_UPDATE: dict[str, P] = {
    "url": Str(max_length=5000), "enabled_events": ListOf(Str(max_length=100), max_items=500),
    "description": Str(max_length=5000), "disabled": Bool(), "metadata": Metadata(),
    "expand": EXPAND,
}
ONLY_EXPAND: dict[str, P] = {"expand": EXPAND}
LIST = dict(LIST_PARAMS, created=CREATED_FILTER)


def _h_list(kind: str, url: str, filters: dict[str, str] | None = None) -> Handler:
    """A list handler; ``filters`` maps query params to indexed record fields."""
    filters = filters or {}

    def handler(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
        for param, field_name in filters.items():
            value = p.get(param)
            if value is not None:
                coll = ctx.store.collection(kind)
                if field_name in coll.indexes:
                    source = _indexed(ctx, kind, field_name, value)
                    return _listing(ctx, kind, p, url, source=source,
                                    keep=lambda r: _match_rest(r, p, filters))
        return _listing(ctx, kind, p, url, keep=lambda r: _match_rest(r, p, filters))
    return handler


def _match_rest(rec: Record, p: dict[str, Any], filters: dict[str, str]) -> bool:
    for param, field_name in filters.items():
        value = p.get(param)
        if value is not None and rec.get(field_name) != value:
            return False
    return True


def _price_list(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    keys = p.get("lookup_keys")
    if keys:
        found = [r for k in keys for r in _indexed(ctx, "price", "lookup_key", k)]
        pos = ctx.store.collection("price").positions()
        found.sort(key=lambda r: pos[r["id"]], reverse=True)
        return _listing(ctx, "price", p, "/v1/prices", source=found,
                        keep=lambda r: _price_keep(r, p))
    return _listing(ctx, "price", p, "/v1/prices", keep=lambda r: _price_keep(r, p))


def _price_keep(rec: Record, p: dict[str, Any]) -> bool:
    return ((p.get("active") is None or rec["active"] == p["active"]) and
            (p.get("product") is None or rec["product"] == p["product"]) and
            (p.get("type") is None or rec["type"] == p["type"]) and
            (p.get("currency") is None or rec["currency"] == p["currency"]))


def _events_list(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    types = set(p.get("types") or []) | ({p["type"]} if p.get("type") else set())

    def keep(rec: Record) -> bool:
        if not types:
            return True
        t = rec["type"]
        return any(t == want or (want.endswith("*") and t.startswith(want[:-1]))
                   for want in types)
    return _listing(ctx, "event", p, "/v1/events", keep=keep)


def _sub_list(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    status = p.get("status")

    def keep(rec: Record) -> bool:
        if status == "all":
            return True
        if status is None:
            return rec["status"] not in ("canceled", "incomplete_expired")
        return bool(rec["status"] == status)
    if p.get("customer"):
        return _listing(ctx, "subscription", p, "/v1/subscriptions",
                        source=_indexed(ctx, "subscription", "customer", p["customer"]),
                        keep=keep)
    return _listing(ctx, "subscription", p, "/v1/subscriptions", keep=keep)


def _deleted(kind: str) -> Callable[[Record], dict[str, Any]]:
    return lambda rec: {"id": rec["id"], "object": kind, "deleted": True}


def _invoice_lines(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    inv = ctx.get("invoice", path["invoice"], "invoice")
    rendered = render(ctx, "invoice", inv)["lines"]
    lines = rendered["data"]
    after = p.get("starting_after")
    if after:
        ids = [line["id"] for line in lines]
        lines = lines[ids.index(after) + 1:] if after in ids else []
    limit = p.get("limit") or 10
    return sublist(f"/v1/invoices/{inv['id']}/lines", lines[:limit], len(lines) > limit)


def _customer_pms(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    cust = ctx.get("customer", path["customer"], "customer")
    return _listing(ctx, "payment_method", p, f"/v1/customers/{cust['id']}/payment_methods",
                    source=_indexed(ctx, "payment_method", "customer", cust["id"]))


def _si_list(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    sub = ctx.get("subscription", p["subscription"], "subscription")
    return _listing(ctx, "subscription_item", p, "/v1/subscription_items",
                    source=_indexed(ctx, "subscription_item", "subscription", sub["id"]))


def _si_create(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    sub = ctx.get("subscription", p["subscription"], "subscription")
    item = {"price": p["price"], "quantity": p.get("quantity"), "metadata": p.get("metadata")}
    before = {si["id"] for si in subs.items_of(ctx, sub)}
    subs.update_subscription(ctx, sub, {"items": [item],
                                        "proration_behavior": p.get("proration_behavior")})
    new = [si for si in subs.items_of(ctx, sub) if si["id"] not in before]
    return new[0]


def _si_update(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    si = ctx.get("subscription_item", path["item"])
    sub = ctx.get("subscription", si["subscription"])
    item = {"id": si["id"], "price": p.get("price"), "quantity": p.get("quantity"),
            "metadata": p.get("metadata")}
    subs.update_subscription(ctx, sub, {"items": [item],
                                        "proration_behavior": p.get("proration_behavior")})
    return ctx.get("subscription_item", si["id"])


def _si_delete(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    si = ctx.get("subscription_item", path["item"])
    sub = ctx.get("subscription", si["subscription"])
    if len(subs.items_of(ctx, sub)) == 1:
        raise InvalidRequest("A subscription must have at least one active plan. To cancel a "
                             "subscription, send a DELETE to the subscription instead.",
                             param="item")
    subs.update_subscription(ctx, sub, {"items": [{"id": si["id"], "deleted": True}],
                                        "proration_behavior": p.get("proration_behavior")})
    return {"id": si["id"], "object": "subscription_item", "deleted": True}


def _pay(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    inv = ctx.get("invoice", path["invoice"], "invoice")
    if p.get("paid_out_of_band"):
        if inv["status"] != "open":
            raise InvalidRequest("Invoice is not open.", param="invoice")
        invoices.mark_paid(ctx, inv, out_of_band=True)
        return inv
    if inv["status"] == "draft":
        invoices.finalize(ctx, inv)
        if inv["status"] == "paid":
            return inv
    ok = invoices.pay(ctx, inv, payment_method=p.get("payment_method"), manual=True)
    if not ok:
        charge = ctx.store.get("charge", inv["charge"]) if inv.get("charge") else None
        reason = charge["outcome"]["reason"] if charge else "generic_decline"
        raise customers.decline(reason or "generic_decline", charge_id=inv.get("charge"))
    return inv


def _finalize(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    inv = ctx.get("invoice", path["invoice"], "invoice")
    invoices.finalize(ctx, inv)
    return inv


def _delete_invoice(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    inv = ctx.get("invoice", path["invoice"], "invoice")
    if inv["status"] != "draft":
        raise InvalidRequest("You can only delete draft invoices.", param="invoice")
    for line in inv["_lines"]:
        if line.get("invoice_item"):
            ii = ctx.store.get("invoiceitem", line["invoice_item"])
            if ii is not None:
                ii["invoice"] = None
                ctx.put("invoiceitem", ii)
    inv["deleted"] = True
    ctx.put("invoice", inv)
    events.emit(ctx, "invoice.deleted", "invoice", inv)
    return {"id": inv["id"], "object": "invoice", "deleted": True}


def _delete_ii(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    ii = ctx.get("invoiceitem", path["ii"])
    if ii.get("invoice"):
        inv = ctx.store.get("invoice", ii["invoice"])
        if inv is not None and inv["status"] != "draft":
            raise InvalidRequest("This invoice item is attached to a finalized invoice and "
                                 "cannot be deleted.", param="invoiceitem")
    ii["deleted"] = True
    ctx.put("invoiceitem", ii)
    events.emit(ctx, "invoiceitem.deleted", "invoiceitem", ii)
    return {"id": ii["id"], "object": "invoiceitem", "deleted": True}


def _attach_pm(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    cust = ctx.get("customer", p["customer"], "customer")
    return customers.attach_payment_method(ctx, path["pm"], cust)


def _pm_list(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    if not p.get("customer"):
        raise InvalidRequest("Missing required param: customer.", param="customer",
                             code="parameter_missing")
    cust = ctx.get("customer", p["customer"], "customer")
    return _listing(ctx, "payment_method", p, "/v1/payment_methods",
                    source=_indexed(ctx, "payment_method", "customer", cust["id"]))


def _we_get(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("webhook_endpoint", path["we"])


def _we_create(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    if not p["url"].startswith(("http://", "https://")):
        raise InvalidRequest("Invalid URL: URL must be publicly accessible http(s).",
                             param="url", code="url_invalid")
    if p.get("api_version"):
        parse_version(p["api_version"])
    we = events.create_webhook_endpoint(ctx, p)
    out = render(ctx, "webhook_endpoint", we)
    out["secret"] = we["_secret"]
    return out


def _we_delete(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    we = ctx.get("webhook_endpoint", path["we"])
    ctx.store.delete("webhook_endpoint", we["id"])
    return {"id": we["id"], "object": "webhook_endpoint", "deleted": True}


def _mutate(kind: str, key: str, fn: Callable[[Ctx, Record, dict[str, Any]], Record]) -> Handler:
    def handler(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
        return fn(ctx, ctx.get(kind, path[key]), p)
    return handler


def _create(fn: Callable[[Ctx, dict[str, Any]], Record]) -> Handler:
    return lambda ctx, p, path: fn(ctx, p)


def _state(kind: str, key: str, fn: Callable[[Ctx, Record], Record]) -> Handler:
    return lambda ctx, p, path: fn(ctx, ctx.get(kind, path[key]))


def operations() -> list[Op]:
    """Every billing operation, in the order the OpenAPI document lists them."""
    C, PR, PC, S, IV, PY, CN, W, E, TC = ("Customers", "Products", "Prices", "Subscriptions",
                                         "Invoices", "Payments", "Credit notes", "Webhooks",
                                         "Events", "Test clocks")
    upd_customer = {k: v for k, v in CUSTOMER_PARAMS.items() if k not in ("test_clock",
                                                                          "payment_method")}
    upd_product = dict(PRODUCT_PARAMS, name=Str(max_length=250),
                       default_price=Str(max_length=255))
    upd_product.pop("id")
    upd_price = {"active": Bool(), "lookup_key": Str(max_length=200), "metadata": Metadata(),
                 "nickname": Str(max_length=250), "transfer_lookup_key": Bool(), "expand": EXPAND}
    return [
        Op("POST", "/v1/customers", "PostCustomers", "Create a customer", CUSTOMER_PARAMS,
           _create(customers.create_customer), "customer", (C,)),
        Op("GET", "/v1/customers", "GetCustomers", "List customers",
           dict(LIST, email=Str(max_length=512), test_clock=Str(max_length=255)),
           _h_list("customer", "/v1/customers", {"email": "email", "test_clock": "test_clock"}),
           None, (C,)),
        Op("GET", "/v1/customers/{customer}", "GetCustomersCustomer", "Retrieve a customer",
           ONLY_EXPAND, _get("customer", "customer"), "customer", (C,)),
        Op("POST", "/v1/customers/{customer}", "PostCustomersCustomer", "Update a customer",
           upd_customer, _mutate("customer", "customer", customers.update_customer),
           "customer", (C,)),
        Op("DELETE", "/v1/customers/{customer}", "DeleteCustomersCustomer", "Delete a customer",
           {}, lambda ctx, p, path: customers.delete_customer(ctx, ctx.get(
               "customer", path["customer"])), None, (C,)),
        Op("GET", "/v1/customers/{customer}/payment_methods",
           "GetCustomersCustomerPaymentMethods", "List a customer's payment methods",
           dict(LIST_PARAMS, type=Str(max_length=30)), _customer_pms, None, (C,)),
        Op("POST", "/v1/payment_methods", "PostPaymentMethods", "Create a payment method",
           {"type": Enum(required=True, values=("card",)),
            "card": Hash(fields={"token": Str(max_length=255)}), "metadata": Metadata(),
            "expand": EXPAND}, _create(customers.create_payment_method), "payment_method",
           (C,)),
        Op("GET", "/v1/payment_methods", "GetPaymentMethods", "List payment methods",
           dict(LIST_PARAMS, customer=Str(max_length=255), type=Str(max_length=30)),
           _pm_list, None, (C,)),
        Op("GET", "/v1/payment_methods/{pm}", "GetPaymentMethodsPaymentMethod",
           "Retrieve a payment method", ONLY_EXPAND, _get("payment_method", "pm"),
           "payment_method", (C,)),
        Op("POST", "/v1/payment_methods/{pm}/attach", "PostPaymentMethodsPaymentMethodAttach",
           "Attach a payment method", {"customer": Str(required=True, max_length=255),
                                       "expand": EXPAND}, _attach_pm, "payment_method", (C,)),
        Op("POST", "/v1/payment_methods/{pm}/detach", "PostPaymentMethodsPaymentMethodDetach",
           "Detach a payment method", ONLY_EXPAND,
           _state("payment_method", "pm", customers.detach_payment_method), "payment_method",
           (C,)),
        Op("POST", "/v1/products", "PostProducts", "Create a product", PRODUCT_PARAMS,
           _create(catalog.create_product), "product", (PR,)),
        Op("GET", "/v1/products", "GetProducts", "List products",
           dict(LIST, active=Bool()), _h_list("product", "/v1/products"), None, (PR,)),
        Op("GET", "/v1/products/{product}", "GetProductsId", "Retrieve a product", ONLY_EXPAND,
           _get("product", "product"), "product", (PR,)),
        Op("POST", "/v1/products/{product}", "PostProductsId", "Update a product", upd_product,
           _mutate("product", "product", catalog.update_product), "product", (PR,)),
        Op("POST", "/v1/prices", "PostPrices", "Create a price", PRICE_PARAMS,
           _create(catalog.create_price), "price", (PC,)),
        Op("GET", "/v1/prices", "GetPrices", "List prices",
           dict(LIST, active=Bool(), product=Str(max_length=255), currency=Str(max_length=3),
                type=Enum(values=("one_time", "recurring")),
                lookup_keys=ListOf(Str(max_length=200), max_items=10)), _price_list, None,
           (PC,)),
        Op("GET", "/v1/prices/{price}", "GetPricesPrice", "Retrieve a price", ONLY_EXPAND,
           _get("price", "price"), "price", (PC,)),
        Op("POST", "/v1/prices/{price}", "PostPricesPrice", "Update a price", upd_price,
           _mutate("price", "price", catalog.update_price), "price", (PC,)),
        Op("POST", "/v1/tax_rates", "PostTaxRates", "Create a tax rate",
           {"display_name": Str(required=True, max_length=50),
            "percentage": Decimal_(required=True), "inclusive": Bool(required=True),
            "active": Bool(), "country": Str(max_length=2), "description": Str(),
            "jurisdiction": Str(max_length=50), "state": Str(max_length=2),
            "tax_type": Str(max_length=30), "metadata": Metadata(), "expand": EXPAND},
           _create(catalog.create_tax_rate), "tax_rate", (PC,)),
        Op("GET", "/v1/tax_rates/{tax_rate}", "GetTaxRatesTaxRate", "Retrieve a tax rate",
           ONLY_EXPAND, _get("tax_rate", "tax_rate"), "tax_rate", (PC,)),
        Op("POST", "/v1/subscriptions", "PostSubscriptions", "Create a subscription", SUB_CREATE,
           _create(subs.create_subscription), "subscription", (S,)),
        Op("GET", "/v1/subscriptions", "GetSubscriptions", "List subscriptions",
           dict(LIST, customer=Str(max_length=255), price=Str(max_length=255),
                status=Enum(values=("active", "all", "canceled", "ended", "incomplete",
                                    "incomplete_expired", "past_due", "paused", "trialing",
                                    "unpaid"))), _sub_list, None, (S,)),
        Op("GET", "/v1/subscriptions/{subscription}", "GetSubscriptionsSubscription",
           "Retrieve a subscription", ONLY_EXPAND, _get("subscription", "subscription"),
           "subscription", (S,)),
        Op("POST", "/v1/subscriptions/{subscription}", "PostSubscriptionsSubscription",
           "Update a subscription", SUB_UPDATE,
           _mutate("subscription", "subscription", subs.update_subscription), "subscription",
           (S,)),
        Op("DELETE", "/v1/subscriptions/{subscription}", "DeleteSubscriptionsSubscription",
           "Cancel a subscription", {"invoice_now": Bool(), "prorate": Bool(), "expand": EXPAND},
           _mutate("subscription", "subscription", subs.cancel_subscription), "subscription",
           (S,)),
        Op("GET", "/v1/subscription_items", "GetSubscriptionItems", "List subscription items",
           dict(LIST_PARAMS, subscription=Str(required=True, max_length=255)), _si_list, None,
           (S,)),
        Op("POST", "/v1/subscription_items", "PostSubscriptionItems",
           "Create a subscription item",
           {"subscription": Str(required=True, max_length=255),
            "price": Str(required=True, max_length=255), "quantity": Int(maximum=1_000_000),
            "proration_behavior": PRORATION, "metadata": Metadata(), "expand": EXPAND},
           _si_create, "subscription_item", (S,)),
        Op("GET", "/v1/subscription_items/{item}", "GetSubscriptionItemsItem",
           "Retrieve a subscription item", ONLY_EXPAND, _get("subscription_item", "item"),
           "subscription_item", (S,)),
        Op("POST", "/v1/subscription_items/{item}", "PostSubscriptionItemsItem",
           "Update a subscription item",
           {"price": Str(max_length=255), "quantity": Int(minimum=1, maximum=1_000_000),
            "proration_behavior": PRORATION, "metadata": Metadata(), "expand": EXPAND},
           _si_update, "subscription_item", (S,)),
        Op("DELETE", "/v1/subscription_items/{item}", "DeleteSubscriptionItemsItem",
           "Delete a subscription item", {"proration_behavior": PRORATION}, _si_delete, None,
           (S,)),
        Op("POST", "/v1/invoiceitems", "PostInvoiceitems", "Create an invoice item",
           INVOICEITEM_CREATE, _create(invoices.create_invoiceitem), "invoiceitem", (IV,)),
        Op("GET", "/v1/invoiceitems", "GetInvoiceitems", "List invoice items",
           dict(LIST, customer=Str(max_length=255), invoice=Str(max_length=255)),
           _h_list("invoiceitem", "/v1/invoiceitems",
                   {"customer": "customer", "invoice": "invoice"}), None, (IV,)),
        Op("GET", "/v1/invoiceitems/{ii}", "GetInvoiceitemsInvoiceitem",
           "Retrieve an invoice item", ONLY_EXPAND, _get("invoiceitem", "ii"), "invoiceitem",
           (IV,)),
        Op("DELETE", "/v1/invoiceitems/{ii}", "DeleteInvoiceitemsInvoiceitem",
           "Delete an invoice item", {}, _delete_ii, None, (IV,)),
        Op("POST", "/v1/invoices", "PostInvoices", "Create an invoice", INVOICE_CREATE,
           _create(invoices.create_manual_invoice), "invoice", (IV,)),
        Op("GET", "/v1/invoices", "GetInvoices", "List invoices",
           dict(LIST, customer=Str(max_length=255), subscription=Str(max_length=255),
                status=Enum(values=("draft", "open", "paid", "uncollectible", "void")),
                collection_method=Enum(values=("charge_automatically", "send_invoice"))),
           _h_list("invoice", "/v1/invoices", {"customer": "customer",
                                               "subscription": "subscription",
                                               "status": "status",
                                               "collection_method": "collection_method"}),
           None, (IV,)),
        Op("GET", "/v1/invoices/{invoice}", "GetInvoicesInvoice", "Retrieve an invoice",
           ONLY_EXPAND, _get("invoice", "invoice"), "invoice", (IV,)),
        Op("POST", "/v1/invoices/{invoice}", "PostInvoicesInvoice", "Update an invoice",
           {"description": Str(max_length=1500), "metadata": Metadata(),
            "auto_advance": Bool(), "expand": EXPAND},
           _mutate("invoice", "invoice", invoices.update_draft), "invoice", (IV,)),
        Op("DELETE", "/v1/invoices/{invoice}", "DeleteInvoicesInvoice",
           "Delete a draft invoice", {}, _delete_invoice, None, (IV,)),
        Op("GET", "/v1/invoices/{invoice}/lines", "GetInvoicesInvoiceLines",
           "List an invoice's lines", LIST_PARAMS, _invoice_lines, None, (IV,)),
        Op("POST", "/v1/invoices/{invoice}/finalize", "PostInvoicesInvoiceFinalize",
           "Finalize an invoice", {"auto_advance": Bool(), "expand": EXPAND}, _finalize,
           "invoice", (IV,)),
        Op("POST", "/v1/invoices/{invoice}/pay", "PostInvoicesInvoicePay", "Pay an invoice",
           {"payment_method": Str(max_length=255), "paid_out_of_band": Bool(),
            "expand": EXPAND}, _pay, "invoice", (IV,)),
        Op("POST", "/v1/invoices/{invoice}/void", "PostInvoicesInvoiceVoid",
           "Void an invoice", ONLY_EXPAND, _state("invoice", "invoice", invoices.void),
           "invoice", (IV,)),
        Op("POST", "/v1/invoices/{invoice}/mark_uncollectible",
           "PostInvoicesInvoiceMarkUncollectible", "Mark an invoice uncollectible",
           ONLY_EXPAND, _state("invoice", "invoice", invoices.mark_uncollectible), "invoice",
           (IV,)),
        Op("POST", "/v1/payment_intents", "PostPaymentIntents", "Create a payment intent",
           PI_CREATE, _create(payments.create_payment_intent), "payment_intent", (PY,)),
        Op("GET", "/v1/payment_intents", "GetPaymentIntents", "List payment intents",
           dict(LIST, customer=Str(max_length=255)),
           _h_list("payment_intent", "/v1/payment_intents", {"customer": "customer"}), None,
           (PY,)),
        Op("GET", "/v1/payment_intents/{intent}", "GetPaymentIntentsIntent",
           "Retrieve a payment intent", ONLY_EXPAND, _get("payment_intent", "intent"),
           "payment_intent", (PY,)),
        Op("POST", "/v1/payment_intents/{intent}/confirm", "PostPaymentIntentsIntentConfirm",
           "Confirm a payment intent", {"payment_method": Str(max_length=255),
                                        "expand": EXPAND},
           _mutate("payment_intent", "intent", payments.confirm_payment_intent),
           "payment_intent", (PY,)),
        Op("GET", "/v1/charges", "GetCharges", "List charges",
           dict(LIST, customer=Str(max_length=255), payment_intent=Str(max_length=255)),
           _h_list("charge", "/v1/charges", {"customer": "customer",
                                             "payment_intent": "payment_intent"}), None, (PY,)),
        Op("GET", "/v1/charges/{charge}", "GetChargesCharge", "Retrieve a charge", ONLY_EXPAND,
           _get("charge", "charge"), "charge", (PY,)),
        Op("POST", "/v1/refunds", "PostRefunds", "Create a refund", REFUND_CREATE,
           _create(payments.create_refund), "refund", (PY,)),
        Op("GET", "/v1/refunds", "GetRefunds", "List refunds",
           dict(LIST, charge=Str(max_length=255), payment_intent=Str(max_length=255)),
           _h_list("refund", "/v1/refunds", {"charge": "charge",
                                             "payment_intent": "payment_intent"}), None, (PY,)),
        Op("GET", "/v1/refunds/{refund}", "GetRefundsRefund", "Retrieve a refund", ONLY_EXPAND,
           _get("refund", "refund"), "refund", (PY,)),
        Op("POST", "/v1/credit_notes", "PostCreditNotes", "Create a credit note", CN_CREATE,
           _create(credit_notes.create_credit_note), "credit_note", (CN,)),
        Op("GET", "/v1/credit_notes", "GetCreditNotes", "List credit notes",
           dict(LIST, customer=Str(max_length=255), invoice=Str(max_length=255)),
           _h_list("credit_note", "/v1/credit_notes", {"invoice": "invoice",
                                                       "customer": "customer"}), None, (CN,)),
        Op("GET", "/v1/credit_notes/{id}", "GetCreditNotesId", "Retrieve a credit note",
           ONLY_EXPAND, _get("credit_note", "id"), "credit_note", (CN,)),
        Op("POST", "/v1/credit_notes/{id}/void", "PostCreditNotesIdVoid", "Void a credit note",
           ONLY_EXPAND, _state("credit_note", "id", credit_notes.void_credit_note),
           "credit_note", (CN,)),
        Op("GET", "/v1/events", "GetEvents", "List events",
           dict(LIST, type=Str(max_length=5000), types=ListOf(Str(max_length=5000),
                                                              max_items=20)),
           _events_list, None, (E,)),
        Op("GET", "/v1/events/{id}", "GetEventsId", "Retrieve an event", ONLY_EXPAND,
           _get("event", "id"), "event", (E,)),
        Op("POST", "/v1/webhook_endpoints", "PostWebhookEndpoints", "Create a webhook endpoint",
           WE_CREATE, _we_create, None, (W,)),
        Op("GET", "/v1/webhook_endpoints", "GetWebhookEndpoints", "List webhook endpoints",
           LIST_PARAMS, _h_list("webhook_endpoint", "/v1/webhook_endpoints"), None, (W,)),
        Op("GET", "/v1/webhook_endpoints/{we}", "GetWebhookEndpointsWebhookEndpoint",
           "Retrieve a webhook endpoint", ONLY_EXPAND, _we_get, "webhook_endpoint", (W,)),
        Op("POST", "/v1/webhook_endpoints/{we}", "PostWebhookEndpointsWebhookEndpoint",
           "Update a webhook endpoint", WE_UPDATE,
           _mutate("webhook_endpoint", "we", events.update_webhook_endpoint),
           "webhook_endpoint", (W,)),
        Op("DELETE", "/v1/webhook_endpoints/{we}", "DeleteWebhookEndpointsWebhookEndpoint",
           "Delete a webhook endpoint", {}, _we_delete, None, (W,)),
        Op("POST", "/v1/test_helpers/test_clocks", "PostTestHelpersTestClocks",
           "Create a test clock", {"frozen_time": Int(required=True, maximum=2**40),
                                   "name": Str(max_length=300), "expand": EXPAND},
           _create(test_clocks.create_clock), test_clocks.KIND, (TC,)),
        Op("GET", "/v1/test_helpers/test_clocks", "GetTestHelpersTestClocks",
           "List test clocks", LIST_PARAMS, _h_list(test_clocks.KIND,
                                                    "/v1/test_helpers/test_clocks"), None,
           (TC,)),
        Op("GET", "/v1/test_helpers/test_clocks/{clock}", "GetTestHelpersTestClocksTestClock",
           "Retrieve a test clock", ONLY_EXPAND, _get(test_clocks.KIND, "clock"),
           test_clocks.KIND, (TC,)),
        Op("POST", "/v1/test_helpers/test_clocks/{clock}/advance",
           "PostTestHelpersTestClocksTestClockAdvance", "Advance a test clock",
           {"frozen_time": Int(required=True, maximum=2**40), "expand": EXPAND},
           lambda ctx, p, path: test_clocks.advance_clock(
               ctx, ctx.get(test_clocks.KIND, path["clock"]), p["frozen_time"]),
           test_clocks.KIND, (TC,)),
        Op("DELETE", "/v1/test_helpers/test_clocks/{clock}",
           "DeleteTestHelpersTestClocksTestClock", "Delete a test clock", {},
           lambda ctx, p, path: test_clocks.delete_clock(
               ctx, ctx.get(test_clocks.KIND, path["clock"])), None, (TC,)),
    ]


# -- HTTP plumbing ---------------------------------------------------------------
# Raw ASGI rather than Starlette Request/Response: this is every API call's hot
# path. The replies are byte for byte what Starlette's Response would send:
# the given headers in order, then content-length, then content-type.
_JSON_TAIL = (b"content-type", b"application/json")


async def _reply(send: Send, status: int, body: bytes,
                 headers: list[tuple[bytes, bytes]]) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    headers.append(_JSON_TAIL)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, message: Message | None = None) -> bytes:
    """The request body, from ``message`` (already received) on."""
    chunks: list[bytes] = []
    while True:
        if message is None:
            message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
        message = None


_ODD_PATH = re.compile("[?#\\\\\t\r\n]")


def _url_path(scope: Scope) -> str:
    """``request.url.path`` as Starlette computes it (used in idempotency fingerprints)."""
    path: str = scope["path"]
    if _ODD_PATH.search(path):
        return URL(scope=scope).path
    return path


def _auth_error(scope: Scope) -> StripeError:
    raw = header(scope, b"authorization")
    auth = raw.decode("latin-1") if raw else ""
    if not auth:
        return AuthenticationError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
            "or we can help at https://support.stripe.com/.")
    key = auth.split(" ", 1)[-1].strip()
    masked = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else "***"
    return AuthenticationError(f"Invalid API Key provided: {masked}")


@functools.lru_cache(maxsize=256)
def _checked_version(version: str) -> str:
    parse_version(version)  # raises InvalidRequest (not cached) for a malformed version
    return version


def _as_stored(ctx: Ctx, record: Record) -> tuple[tuple[str, ...], tuple[Any, ...]] | None:
    """The answer ``record`` gave (its stored JSON) as its key tuple and values, sharing
    the values tuple its event took if the record has not changed since."""
    snap = ctx.snapshot
    # Unchanged since its event: the same keys in the same order, the same values.
    if snap is not None and snap[0] is record and tuple(record) == snap[1] \
            and tuple(record.values()) == snap[2]:
        return snap[1], snap[2]
    values = immutable_values(record)
    return None if values is None else (shared_keys(tuple(record)), values)


class Endpoint:
    """One operation as an ASGI app: parse, idempotency, call the model, serialise."""

    __slots__ = ("fp_prefix", "is_post", "op")

    def __init__(self, op: Op) -> None:
        self.op = op
        self.is_post = op.method == "POST"
        # A route without parameters is reached by one path only, its own: the start of
        # its idempotency fingerprints is known.
        self.fp_prefix = (fingerprint_prefix(op.method, op.path) if "{" not in op.path
                          else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        op = self.op
        sim = scope["fintwin.sim"]
        tenant = scope.get("fintwin.tenant")
        request_id = sim.request_id()
        headers: list[tuple[bytes, bytes]] = [(b"request-id", request_id.encode())]
        if tenant is None:
            await _reply(send, 401, _auth_error(scope).render(), headers)
            return
        raw_version = header(scope, b"stripe-version")
        version = raw_version.decode("latin-1") if raw_version else tenant.meta.get(
            "api_version")
        try:
            version = _checked_version(version) if version else DEFAULT_VERSION
            if op.method == "GET":
                raw: Any = decode_form(scope.get("query_string", b""))
            else:
                # One message holds the whole body (as uvicorn sends any that fits its
                # buffer): read here, without a coroutine for the loop in _read_body.
                message = await receive()
                if message["type"] == "http.request" and not message.get("more_body"):
                    body_in = message.get("body", b"")
                else:
                    body_in = await _read_body(receive, message)
                scope[STASHED_BODY] = body_in  # journal digest
                raw = decode_form(body_in)
                query = scope.get("query_string", b"")
                if query:
                    raw = {**decode_form(query), **raw}
            params = check_fields(op.params, raw)
        except StripeError as exc:
            await _reply(send, exc.status, exc.render(), headers)
            return
        headers.append((b"stripe-version", version.encode("latin-1")))
        raw_key = header(scope, b"idempotency-key") if self.is_post else None
        key = raw_key.decode("latin-1") if raw_key is not None else None
        entries = cache(tenant) if key else None
        fp = b""
        entry: Entry | None = None
        if key is not None and entries is not None:
            if len(key) > MAX_KEY_LENGTH:
                err: StripeError = InvalidRequest(
                    f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.",
                    param="Idempotency-Key")
                await _reply(send, 400, err.render(), headers)
                return
            headers.append((b"idempotency-key", key.encode("latin-1")))
            prefix = self.fp_prefix
            if prefix is None:
                prefix = fingerprint_prefix(op.method, _url_path(scope))
            fp = prefix + orjson.dumps(raw, option=SORTED)
            now = time.monotonic()
            prune(entries, now, tenant if sim.statedir is not None else None)
            entry = entries.get(key)
            if entry is not None:
                if entry.fingerprint != fp:
                    err = IdempotencyError(
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.")
                    await _reply(send, 400, err.render(), headers)
                    return
                if not entry.done:
                    err = IdempotencyInUse(
                        "There is currently another in-progress request using this "
                        "Idempotent Key (that probably means you submitted twice, and the other "
                        "request is still going through): "
                        f"{key}. Please try again later.", code="idempotency_key_in_use")
                    headers.append((b"stripe-should-retry", b"true"))
                    await _reply(send, 409, err.render(), headers)
                    return
                headers.append((b"idempotent-replayed", b"true"))
                await _reply(send, entry.status, entry.answer(), headers)
                return
            entry = entries[key] = Entry(fp, stored_at=now)
        ctx = Ctx(sim, tenant, version, request_id, key)
        compact: tuple[tuple[str, ...], tuple[Any, ...]] | None = None
        try:
            result = op.handler(ctx, params, scope["path_params"])
            kind = op.kind
            stored = (stored_json(kind, result) if kind is not None and "expand" not in params
                      else None)
            if stored is not None:
                status, body = 200, stored
                if entry is not None:
                    compact = _as_stored(ctx, result)
            else:
                out = render(ctx, kind, result) if kind is not None else result
                if kind is not None and params.get("expand"):
                    out = expand(ctx, out, params["expand"])
                status, body = 200, orjson.dumps(out)
        except StripeError as exc:
            status, body = exc.status, exc.render()
        except Exception:  # a bug in the fake must still answer in Stripe's envelope
            log.exception("billing handler %s failed", op.op_id)
            status, body = 500, ApiError(
                "An unknown error occurred while processing your request.").render()
        if key is not None and entry is not None:
            remember(tenant, sim.statedir is not None, key, entry, status, body, compact)
        # _reply's two messages, written out: one coroutine less on every answer.
        headers.append((b"content-length", str(len(body)).encode()))
        headers.append(_JSON_TAIL)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def routes() -> list[Route]:
    return [Route(op.path, Endpoint(op), methods=[op.method]) for op in operations()]


def openapi_operations() -> list[Operation]:
    from simulators.billing.openapi import document_operations

    return document_operations(operations())
