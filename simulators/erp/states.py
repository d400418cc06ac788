"""The ERP fake's provider-state vocabulary (``POST /_sim/provider-states``).

Business situations a NetSuite consumer's pact may assume, written through the record
layer (so the ledger and the SuiteQL mirror follow). Every new account has the default
setup (simulators/erp/setup.py): subsidiaries for US (1, the parent), GB and DE with their
currencies (USD 1, GBP 2, EUR 3), a chart of accounts and periods. Internal ids are
numbers drawn per id space (entities, items, transactions): a state gives a record the id
its parameters name when that number is still ahead of its space, as an account's next
ids are. The tenant is named by an OAuth client id (registered to an account of its own
on first use, as the fake's token endpoint does), or by an account id.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from simulators.engine.provider_states import (
    Param,
    StateContext,
    StateError,
    Vocabulary,
    named_ids,
)
from simulators.engine.runtime import Simulation
from simulators.engine.store import Record
from simulators.engine.tenancy import Tenant
from simulators.erp import auth, service, setup
from simulators.erp.context import Ctx
from simulators.erp.vendor import NetSuiteVendor

VERIFIER_CLIENT = "fintwin-pact-verifier"


def session(sim: Simulation, ref: str, options: Mapping[str, str]
            ) -> tuple[Tenant, dict[str, str]]:
    if not ref:
        raise ValueError("An ERP tenant is named by an OAuth client id or an account id")
    entry = auth.clients(sim).get(ref)
    if entry is None and ref.isdigit():
        account, client_id = ref, VERIFIER_CLIENT
    else:
        if entry is None:
            entry = auth.register(sim, auth.account_for_client(sim, ref), ref,
                                  secret=secrets.token_urlsafe(24))
        account, client_id = str(entry["account"]), ref
    tenant = sim.tenant(account)
    token = auth.issue(tenant, client_id)["access_token"]
    vendor = sim.vendor
    if isinstance(vendor, NetSuiteVendor):  # it maps bearer tokens to accounts
        vendor.remember(token, tenant.id)
    return tenant, {"accessToken": token, "authorization": f"Bearer {token}",
                    "accountId": tenant.id}


VOCABULARY = Vocabulary("erp", session)
state = VOCABULARY.state

CUSTOMER = Param("customer", "the customer's internal id", "107")
EXTERNAL_ID = Param("external_id", "the record's externalId", "001000000000AcmAAE")
SUBSIDIARY = Param("subsidiary", "the subsidiary's internal id (1 US, 2 GB, 3 DE)", "1",
                   required=False)
CURRENCY = Param("currency", "the currency's internal id (1 USD, 2 GBP, 3 EUR)", "1",
                 required=False)
ITEM = Param("item", "the item's internal id", "12", required=False)
ITEM_ID = Param("itemid", "the item's name (itemId: the product code)", "PLAT",
                required=False)


def _ctx(sc: StateContext) -> Ctx:
    return Ctx(sc.sim, sc.tenant, sc.sim.settings.base_url)


def _number(sc: StateContext, name: str) -> int | None:
    value = sc.optional(name)
    if value is None:
        return None
    if not value.isdigit() or int(value) <= 0:
        raise StateError(f"Parameter '{name}' must be a NetSuite internal id (a number)", name)
    return int(value)


def _create(ctx: Ctx, type_name: str, body: dict[str, Any], stream: str,
            wanted: int | None, external_id: str | None = None) -> Record:
    rtype = service.record_type(type_name)
    # A number already used in its space is not forced: the record gets the next one,
    # which the state's answer carries.
    with named_ids(ctx.tenant, ordinals={f"id:{stream}": [wanted] if wanted else []}):
        return service.create(ctx, rtype, body, external_id=external_id)


def _item(sc: StateContext, ctx: Ctx) -> Record:
    itemid = sc.text("itemid", "PLAT")
    for rec in ctx.store.all("item"):
        if rec.get("itemId") == itemid:
            return rec
    income = next((a for a in ctx.store.all("account") if a.get("acctNumber") == "4000"), None)
    if income is None:
        raise StateError("The account has no income account 4000 to sell items into", "item")
    return _create(ctx, "serviceSaleItem", {
        "itemId": itemid, "displayName": itemid, "incomeAccount": {"id": income["id"]},
        "basePrice": "120"}, "item", _number(sc, "item"))


def _customer(sc: StateContext, ctx: Ctx, *, id_param: str = "customer",
              external_param: str = "external_id") -> Record:
    external_id = sc.text(external_param)
    found = ctx.by_external_id("customer", external_id)
    if found is not None:
        return found
    return _create(ctx, "customer", {
        "companyName": sc.text("name", "Acme Corp"),
        "subsidiary": {"id": sc.text("subsidiary", "1")},
        "currency": {"id": sc.text("currency", "1")}},
        "entity", _number(sc, id_param), external_id)


@state("a subsidiary exists for legal entity {country}",
       "A subsidiary (legal entity) for a country, with its base currency and bank "
       "account (US, GB and DE exist in every new account).",
       Param("country", "ISO country code", "US"),
       Param("currency", "its base currency's symbol", "USD", required=False),
       Param("name", "its name", "Fintwin Subsidiary", required=False))
def subsidiary(sc: StateContext) -> dict[str, Any]:
    ctx = _ctx(sc)
    country = sc.text("country").upper()
    for rec in ctx.store.all("subsidiary"):
        if str(rec.get("country", "")).upper() == country:
            return {"subsidiary": rec["id"]}
    symbol = sc.text("currency", "USD").upper()
    currency = next((c for c in ctx.store.all("currency") if c.get("symbol") == symbol), None)
    if currency is None:
        raise StateError(f"No currency {symbol} in the account", "currency")
    made = setup.add_subsidiary(ctx, sc.text("name", f"Fintwin {country}"), currency["id"],
                                country, "1")
    return {"subsidiary": made["id"]}


@state("no subsidiary exists for legal entity {country}",
       "No subsidiary for the country (a legal entity the ERP does not map: every new "
       "account lacks FR, for instance).", Param("country", "ISO country code", "FR"))
def no_subsidiary(sc: StateContext) -> None:
    ctx = _ctx(sc)
    country = sc.text("country").upper()
    for rec in ctx.store.all("subsidiary"):
        if str(rec.get("country", "")).upper() == country:
            setup.remove_subsidiary(ctx, str(rec["id"]))


@state("an item {item} with item id {itemid} exists",
       "A service sale item selling into income account 4000.", ITEM, ITEM_ID)
def item(sc: StateContext) -> dict[str, Any]:
    return {"item": _item(sc, _ctx(sc))["id"]}


@state("a customer {customer} with external id {external_id} exists",
       "A customer of a subsidiary, in a currency, with an externalId (the integration "
       "keys customers by the CRM Account id).",
       CUSTOMER, EXTERNAL_ID, SUBSIDIARY, CURRENCY,
       Param("name", "companyName", "Acme Corp", required=False))
def customer(sc: StateContext) -> dict[str, Any]:
    return {"customer": _customer(sc, _ctx(sc))["id"]}


@state("no customer has external id {external_id}",
       "No customer carries the externalId (an upsert by it creates one).", EXTERNAL_ID)
def no_customer(sc: StateContext) -> None:
    if _ctx(sc).by_external_id("customer", sc.text("external_id")) is not None:
        raise StateError("A customer with this externalId exists in the account",
                         "external_id")


@state("an invoice {invoice} with external id {external_id} exists for customer {customer}",
       "An open invoice of a customer for one item line (the customer and item made too).",
       Param("invoice", "the invoice's internal id", "301"),
       Param("external_id", "the invoice's externalId", "in_FintwinAcme01"),
       CUSTOMER,
       Param("customer_external_id", "the customer's externalId", "001000000000AcmAAE",
             required=False),
       SUBSIDIARY, CURRENCY, ITEM, ITEM_ID,
       Param("quantity", "the line's quantity", 2, required=False),
       Param("rate", "the line's unit price", "120.00", required=False),
       Param("lines", "several lines instead: [{item, itemid, quantity, rate}]",
             [{"item": "12", "itemid": "PLAT", "quantity": 2, "rate": "120.00"}],
             required=False),
       Param("tran_date", "the invoice's date", "2026-01-15", required=False))
def invoice(sc: StateContext) -> dict[str, Any]:
    ctx = _ctx(sc)
    external_id = sc.text("external_id")
    found = ctx.by_external_id("invoice", external_id)
    if found is not None:
        return {"invoice": found["id"]}
    sc.params.setdefault("customer_external_id", "001000000000AcmAAE")
    cust = _customer(sc, ctx, external_param="customer_external_id")
    lines: list[dict[str, Any]] = []
    for n, line in enumerate(sc.items("lines") if sc.params.get("lines") else [{}]):
        if not isinstance(line, dict):
            raise StateError(f"lines[{n}] must be an object", "lines")
        # Each line is its own small state: item and itemid, quantity and rate.
        line_sc = StateContext(sc.sim, sc.tenant, {**sc.params, **line})
        lines.append({"item": {"id": _item(line_sc, ctx)["id"]},
                      "quantity": line_sc.integer("quantity", 2),
                      "rate": line_sc.text("rate", "120.00")})
    made = _create(ctx, "invoice", {
        "entity": {"id": cust["id"]}, "subsidiary": cust["subsidiary"],
        "currency": cust["currency"], "tranDate": sc.text("tran_date", "2026-01-15"),
        "item": {"items": lines}},
        "transaction", _number(sc, "invoice"), external_id)
    return {"invoice": made["id"], "customer": cust["id"],
            "item": lines[0]["item"]["id"]}


@state("no {record_type} has external id {external_id}",
       "No record of the type carries the externalId (a lookup by it answers 404).",
       Param("record_type", "a record type (invoice, customer, creditMemo...)", "invoice"),
       EXTERNAL_ID)
def no_record(sc: StateContext) -> None:
    rtype = service.record_type(sc.text("record_type"))
    if _ctx(sc).by_external_id(rtype.kind, sc.text("external_id")) is not None:
        raise StateError(f"A {rtype.name} with this externalId exists in the account",
                         "external_id")
