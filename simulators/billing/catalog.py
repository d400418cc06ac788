"""Products, prices and tax rates: what subscriptions and invoices are priced from."""

from __future__ import annotations

from typing import Any

from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest
from simulators.billing.events import changed, emit
from simulators.billing.metadata import updated_metadata
from simulators.engine.store import Record


def create_product(ctx: Ctx, p: dict[str, Any]) -> Record:
    now = ctx.now()
    prod: Record = {
        "id": p.get("id") or ctx.new_id("prod_"), "object": "product",
        "active": p.get("active", True), "created": now, "updated": now,
        "default_price": None, "description": p.get("description"), "images": [],
        "livemode": False, "marketing_features": [], "metadata": p.get("metadata") or {},
        "name": p["name"], "tax_details": None,
        "package_dimensions": _dimensions(p.get("package_dimensions")),
        "shippable": p.get("shippable"), "statement_descriptor": p.get("statement_descriptor"),
        "tax_code": p.get("tax_code"), "type": p.get("type") or "service",
        "unit_label": p.get("unit_label"), "url": p.get("url"),
    }
    if p.get("images"):
        prod["images"] = list(p["images"])
    if ctx.store.get("product", prod["id"]) is not None:
        raise InvalidRequest(f"Product already exists. ({prod['id']})", param="id",
                             code="resource_already_exists")
    ctx.put("product", prod)
    emit(ctx, "product.created", "product", prod)
    return prod


def _dimensions(given: dict[str, Any] | None) -> dict[str, float] | None:
    # Stripe answers the dimensions as JSON numbers (the SDK's PackageDimensions: float).
    return None if not given else {k: float(v) for k, v in given.items()}


PRODUCT_FIELDS = ("name", "description", "active", "unit_label", "statement_descriptor",
                  "shippable", "url", "tax_code")


def update_product(ctx: Ctx, prod: Record, p: dict[str, Any]) -> Record:
    before = dict(prod)
    for key in PRODUCT_FIELDS:
        if key in p and p[key] is not None:
            prod[key] = p[key]
    if "package_dimensions" in p:
        prod["package_dimensions"] = _dimensions(p["package_dimensions"])
    if p.get("images") is not None:
        prod["images"] = list(p["images"])
    if "metadata" in p:
        prod["metadata"] = updated_metadata(prod["metadata"], p["metadata"])
    if p.get("default_price"):
        ctx.get("price", p["default_price"], "default_price")
        prod["default_price"] = p["default_price"]
    prod["updated"] = ctx.now()
    ctx.put("product", prod)
    emit(ctx, "product.updated", "product", prod,
         changed(before, prod, (*PRODUCT_FIELDS, "metadata", "default_price",
                                "package_dimensions", "images")))
    return prod


def _release_lookup_key(ctx: Ctx, key: str, transfer: bool) -> None:
    holders = [p for p in ctx.store.collection("price").by_index("lookup_key", key)]
    if holders and not transfer:
        raise InvalidRequest(
            f"A price ({holders[0]['id']}) already uses that lookup key. Set "
            "transfer_lookup_key to move it to this price.", param="lookup_key")
    for holder in holders:
        holder["lookup_key"] = None
        ctx.put("price", holder)


def create_price(ctx: Ctx, p: dict[str, Any]) -> Record:
    if p.get("product"):
        product = ctx.get("product", p["product"], "product")
    elif p.get("product_data"):
        product = create_product(ctx, p["product_data"])
    else:
        raise InvalidRequest("Missing required param: product.", param="product",
                             code="parameter_missing")
    if p.get("billing_scheme") == "tiered":
        # Tiered prices need ``tiers`` and ``tiers_mode``, which this fake does not model:
        # refused by name rather than billed per unit (docs/billing.md, "Left out").
        raise InvalidRequest("fintwin does not model tiered prices: billing_scheme=tiered "
                             "is not supported.", param="billing_scheme")
    if p.get("unit_amount") is None:
        raise InvalidRequest("Missing required param: unit_amount.", param="unit_amount",
                             code="parameter_missing")
    recurring = p.get("recurring")
    if recurring is not None:
        recurring = {"interval": recurring["interval"],
                     "interval_count": recurring.get("interval_count") or 1,
                     "usage_type": "licensed", "aggregate_usage": None,
                     "trial_period_days": None, "meter": None}
    if p.get("lookup_key"):
        _release_lookup_key(ctx, p["lookup_key"], bool(p.get("transfer_lookup_key")))
    price: Record = {
        "id": ctx.new_id("price_"), "object": "price", "active": p.get("active", True),
        "billing_scheme": "per_unit", "created": ctx.now(), "currency": p["currency"],
        "custom_unit_amount": None, "livemode": False, "lookup_key": p.get("lookup_key"),
        "metadata": p.get("metadata") or {}, "nickname": p.get("nickname"),
        "product": product["id"], "recurring": recurring,
        "tax_behavior": p.get("tax_behavior") or "unspecified", "tiers_mode": None,
        "transform_quantity": None, "type": "recurring" if recurring else "one_time",
        "unit_amount": p["unit_amount"], "unit_amount_decimal": str(p["unit_amount"]),
    }
    ctx.put("price", price)
    emit(ctx, "price.created", "price", price)
    return price


def update_price(ctx: Ctx, price: Record, p: dict[str, Any]) -> Record:
    before = dict(price)
    if p.get("lookup_key") and p["lookup_key"] != price.get("lookup_key"):
        _release_lookup_key(ctx, p["lookup_key"], bool(p.get("transfer_lookup_key")))
        price["lookup_key"] = p["lookup_key"]
    for key in ("active", "nickname"):
        if p.get(key) is not None:
            price[key] = p[key]
    if "metadata" in p:
        price["metadata"] = updated_metadata(price["metadata"], p["metadata"])
    ctx.put("price", price)
    emit(ctx, "price.updated", "price", price,
         changed(before, price, ("active", "nickname", "lookup_key", "metadata")))
    return price


def create_tax_rate(ctx: Ctx, p: dict[str, Any]) -> Record:
    rate: Record = {
        "id": ctx.new_id("txr_"), "object": "tax_rate", "active": p.get("active", True),
        "country": p.get("country"), "created": ctx.now(), "description": p.get("description"),
        "display_name": p["display_name"], "inclusive": p["inclusive"],
        "jurisdiction": p.get("jurisdiction"), "livemode": False,
        "metadata": p.get("metadata") or {}, "percentage": float(p["percentage"]),
        "state": p.get("state"), "tax_type": p.get("tax_type"),
        # An exclusive percentage rate (the only kind the fake takes) is in effect as is.
        "effective_percentage": float(p["percentage"]), "flat_amount": None,
        "jurisdiction_level": None, "rate_type": "percentage",
        "_percentage": p["percentage"],
    }
    ctx.put("tax_rate", rate)
    emit(ctx, "tax_rate.created", "tax_rate", rate)
    return rate


TAX_RATE_FIELDS = ("active", "country", "description", "display_name", "jurisdiction",
                   "state", "tax_type")


def update_tax_rate(ctx: Ctx, rate: Record, p: dict[str, Any]) -> Record:
    before = dict(rate)
    for key in TAX_RATE_FIELDS:
        if p.get(key) is not None:
            rate[key] = p[key]
    if "metadata" in p:
        rate["metadata"] = updated_metadata(rate["metadata"], p["metadata"])
    ctx.put("tax_rate", rate)
    emit(ctx, "tax_rate.updated", "tax_rate", rate,
         changed(before, rate, (*TAX_RATE_FIELDS, "metadata")))
    return rate
