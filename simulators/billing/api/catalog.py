"""Products, prices and tax rates (Stripe API reference, "Products", "Prices", "Tax Rates")."""

from __future__ import annotations

from typing import Any

from simulators.billing import catalog
from simulators.billing.api.listing import filtered, indexed, listing
from simulators.billing.context import Ctx
from simulators.billing.params import (
    EXPAND,
    LIST,
    ONLY_EXPAND,
    Bool,
    Currency,
    Decimal_,
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

products = Operations(tags=("Products",))
prices = Operations(tags=("Prices",))

# Stripe API reference, "Create a product": a package's dimensions are decimals (inches,
# ounces); the statement descriptor is at most 22 characters.
PACKAGE_DIMENSIONS = Hash(fields={k: Decimal_(required=True)
                                  for k in ("height", "length", "weight", "width")})
PRODUCT_PARAMS: dict[str, Param] = {
    "name": Str(required=True, max_length=250), "id": Str(max_length=255),
    "description": Str(max_length=40000), "active": Bool(), "metadata": Metadata(),
    "unit_label": Str(max_length=12), "type": Enum(values=("good", "service")),
    "statement_descriptor": Str(max_length=22), "package_dimensions": PACKAGE_DIMENSIONS,
    "shippable": Bool(), "url": Str(max_length=5000),
    "images": ListOf(Str(max_length=2048), max_items=8), "tax_code": Str(max_length=255),
    "expand": EXPAND,
}
PRODUCT_UPDATE: dict[str, Param] = {
    **{k: v for k, v in PRODUCT_PARAMS.items() if k not in ("id", "type")},
    "name": Str(max_length=250), "default_price": Str(max_length=255)}
RECURRING = Hash(fields={"interval": Enum(required=True, values=("day", "week", "month", "year")),
                         "interval_count": Int(minimum=1, maximum=365)})
CURRENCY = Currency(required=True)
PRICE_PARAMS: dict[str, Param] = {
    "currency": CURRENCY, "unit_amount": Int(maximum=99_999_999_999),
    "product": Str(max_length=255),
    "product_data": Hash(fields={"name": Str(required=True, max_length=250),
                                 "metadata": Metadata(), "active": Bool()}),
    "recurring": RECURRING, "lookup_key": Str(max_length=200), "transfer_lookup_key": Bool(),
    "nickname": Str(max_length=250), "metadata": Metadata(), "active": Bool(),
    "tax_behavior": Enum(values=("exclusive", "inclusive", "unspecified")),
    "billing_scheme": Enum(values=("per_unit", "tiered")), "expand": EXPAND,
}
PRICE_UPDATE: dict[str, Param] = {
    "active": Bool(), "lookup_key": Str(max_length=200), "metadata": Metadata(),
    "nickname": Str(max_length=250), "transfer_lookup_key": Bool(), "expand": EXPAND}


@products.operation(method="POST", path="/v1/products", id="PostProducts",
                    summary="Create a product", params=PRODUCT_PARAMS, returns="product")
def create_product(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return catalog.create_product(ctx, p)


@products.operation(method="GET", path="/v1/products", id="GetProducts",
                    summary="List products", params=dict(LIST, active=Bool()))
def list_products(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, "product", p, "/v1/products")


@products.operation(method="GET", path="/v1/products/{product}", id="GetProductsId",
                    summary="Retrieve a product", params=ONLY_EXPAND, returns="product")
def retrieve_product(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("product", path["product"])


@products.operation(method="POST", path="/v1/products/{product}", id="PostProductsId",
                    summary="Update a product", params=PRODUCT_UPDATE, returns="product")
def update_product(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return catalog.update_product(ctx, ctx.get("product", path["product"]), p)


@prices.operation(method="POST", path="/v1/prices", id="PostPrices", summary="Create a price",
                  params=PRICE_PARAMS, returns="price")
def create_price(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """``lookup_key`` names the price for lists; ``transfer_lookup_key`` moves a key
    another price holds to this one."""
    return catalog.create_price(ctx, p)


@prices.operation(method="GET", path="/v1/prices", id="GetPrices", summary="List prices",
                  params=dict(LIST, active=Bool(), product=Str(max_length=255),
                              currency=Str(max_length=3),
                              type=Enum(values=("one_time", "recurring")),
                              lookup_keys=ListOf(Str(max_length=200), max_items=10)))
def list_prices(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    def keep(rec: Record) -> bool:
        return ((p.get("active") is None or rec["active"] == p["active"]) and
                (p.get("product") is None or rec["product"] == p["product"]) and
                (p.get("type") is None or rec["type"] == p["type"]) and
                (p.get("currency") is None or rec["currency"] == p["currency"]))

    keys = p.get("lookup_keys")
    if keys:
        found = [r for k in keys for r in indexed(ctx, "price", "lookup_key", k)]
        pos = ctx.store.collection("price").positions()
        found.sort(key=lambda r: pos[r["id"]], reverse=True)
        return listing(ctx, "price", p, "/v1/prices", source=found, keep=keep)
    return listing(ctx, "price", p, "/v1/prices", keep=keep)


@prices.operation(method="GET", path="/v1/prices/{price}", id="GetPricesPrice",
                  summary="Retrieve a price", params=ONLY_EXPAND, returns="price")
def retrieve_price(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("price", path["price"])


@prices.operation(method="POST", path="/v1/prices/{price}", id="PostPricesPrice",
                  summary="Update a price", params=PRICE_UPDATE, returns="price")
def update_price(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return catalog.update_price(ctx, ctx.get("price", path["price"]), p)


TAX_RATE_UPDATE: dict[str, Param] = {
    "active": Bool(), "country": Str(max_length=2), "description": Str(),
    "display_name": Str(max_length=50), "jurisdiction": Str(max_length=50),
    "state": Str(max_length=2), "tax_type": Str(max_length=30), "metadata": Metadata(),
    "expand": EXPAND}


@prices.operation(method="POST", path="/v1/tax_rates", id="PostTaxRates",
                  summary="Create a tax rate",
                  params=dict(TAX_RATE_UPDATE, display_name=Str(required=True, max_length=50),
                              percentage=Decimal_(required=True),
                              inclusive=Bool(required=True)),
                  returns="tax_rate")
def create_tax_rate(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """``percentage`` is a decimal string (0-100, four places), kept exact."""
    return catalog.create_tax_rate(ctx, p)


@prices.operation(method="GET", path="/v1/tax_rates", id="GetTaxRates",
                  summary="List tax rates", params=dict(LIST, active=Bool(), inclusive=Bool()))
def list_tax_rates(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    """Newest first; ``active`` and ``inclusive`` narrow the list."""
    return filtered(ctx, "tax_rate", p, "/v1/tax_rates",
                    {"active": "active", "inclusive": "inclusive"})


@prices.operation(method="GET", path="/v1/tax_rates/{tax_rate}", id="GetTaxRatesTaxRate",
                  summary="Retrieve a tax rate", params=ONLY_EXPAND, returns="tax_rate")
def retrieve_tax_rate(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("tax_rate", path["tax_rate"])


@prices.operation(method="POST", path="/v1/tax_rates/{tax_rate}", id="PostTaxRatesTaxRate",
                  summary="Update a tax rate", params=TAX_RATE_UPDATE, returns="tax_rate")
def update_tax_rate(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """``percentage`` and ``inclusive`` cannot change (Stripe API reference, "Update a
    tax rate": create a new rate and archive the old one); invoices already made keep
    the amounts they were taxed at."""
    return catalog.update_tax_rate(ctx, ctx.get("tax_rate", path["tax_rate"]), p)
