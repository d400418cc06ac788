"""The billing fake's provider-state vocabulary (``POST /_sim/provider-states``).

Business situations a Stripe consumer's pact may assume, each built with the fake's own
model code (so events, invoices and payments are what the API would have made) and with
the ids its parameters name: Stripe ids are a prefix and letters or digits, so any
``cus_...``, ``price_...``, ``sub_...``, ``si_...``, ``in_...`` or ``cn_...`` a pact names
is the id the object gets. A tenant is named by its ``sk_test_`` key (each key is its own
account); ``?api_version=`` sets the version a new account starts on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.billing.catalog import create_price, create_product
from simulators.billing.context import Ctx
from simulators.billing.credit_notes import create_credit_note
from simulators.billing.customers import TEST_CARDS, create_customer
from simulators.billing.errors import StripeError
from simulators.billing.events import account_version
from simulators.billing.invoices import finalize
from simulators.billing.subscriptions import (
    cancel_subscription,
    create_subscription,
    items_of,
    renew,
)
from simulators.billing.vendor import account_id_for_key
from simulators.billing.versions import parse_version
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


def session(sim: Simulation, ref: str, options: Mapping[str, str]
            ) -> tuple[Tenant, dict[str, str]]:
    if not ref.startswith("sk_test_") or len(ref) < 12:
        raise ValueError("A billing tenant is named by its test-mode secret key (sk_test_...)")
    account = account_id_for_key(ref)
    new = sim.tenants.get(account) is None
    tenant = sim.tenant(account)
    version = options.get("api_version")
    if new and version:
        _set_version(tenant, version)
    return tenant, {"apiKey": ref, "authorization": f"Bearer {ref}"}


VOCABULARY = Vocabulary("billing", session)
state = VOCABULARY.state

CUSTOMER = Param("customer", "the customer's id (cus_...)", "cus_FintwinAcme01")
SUBSCRIPTION = Param("subscription", "the subscription's id (sub_...)", "sub_FintwinAcme01")
LOOKUP_KEY = Param("lookup_key", "the price's lookup key, PRODUCT:CURRENCY", "PLAT:USD",
                   required=False)
PRICE = Param("price", "the price's id (price_...)", "price_FintwinPlatUsd", required=False)
ITEM = Param("item", "the subscription item's id (si_...)", "si_FintwinPlat01", required=False)
QUANTITY = Param("quantity", "seats on the item", 2, required=False)
INVOICE = Param("invoice", "the invoice's id (in_...)", "in_FintwinAcme01", required=False)
CRM_ACCOUNT = Param("crm_account", "metadata[crm_account_id] (the CRM Account id)",
                    "001000000000AcmAAE", required=False)
CRM_OPPORTUNITY = Param("crm_opportunity", "metadata[crm_opportunity_id]",
                        "006000000000AcmAAE", required=False)
NAME = Param("name", "the customer's name", "Acme Corp", required=False)
CUSTOMER_METADATA = Param("customer_metadata", "more of the customer's metadata",
                          {"segment": "smb"}, required=False)
METADATA = Param("metadata", "more of the subscription's metadata", {"plan": "annual"},
                 required=False)
PRICE_METADATA = Param("price_metadata", "the prices' metadata", {"product_code": "PLAT"},
                       required=False)
CARD = Param("card", "a Stripe test payment method (pm_card_visa...)", "pm_card_visa",
             required=False)
ITS_CUSTOMER = Param("customer", "its customer's id (default: one is made)",
                     "cus_FintwinAcme01", required=False)
SUBSCRIPTION_PARAMS = (SUBSCRIPTION, ITS_CUSTOMER, LOOKUP_KEY, PRICE, ITEM, QUANTITY, INVOICE,
                       CRM_ACCOUNT, CRM_OPPORTUNITY, NAME, CUSTOMER_METADATA, METADATA,
                       PRICE_METADATA)


def _set_version(tenant: Tenant, version: str) -> None:
    try:
        parse_version(version)
    except StripeError:
        raise StateError(f"Invalid Stripe API version: {version}", "version") from None
    tenant.meta["api_version"] = version


def _ctx(sc: StateContext) -> Ctx:
    ctx = Ctx(sc.sim, sc.tenant, "")
    ctx.version = account_version(ctx)
    return ctx


def _prefixed(sc: StateContext, name: str, prefix: str) -> str | None:
    value = sc.optional(name)
    if value is not None and (not value.startswith(prefix) or len(value) <= len(prefix)
                              or not value[len(prefix):].replace("_", "").isalnum()):
        raise StateError(f"Parameter '{name}' must be a Stripe id starting {prefix}", name)
    return value


def _metadata(sc: StateContext, name: str) -> dict[str, str]:
    value = sc.params.get(name) or {}
    if not isinstance(value, dict):
        raise StateError(f"Parameter '{name}' must be an object of strings", name)
    return {str(k): str(v) for k, v in value.items()}


def _customer(ctx: Ctx, sc: StateContext, card: str | None) -> Record:
    cust_id = _prefixed(sc, "customer", "cus_")
    found = ctx.store.get("customer", cust_id) if cust_id else None
    if found is not None:
        return found
    if card is not None and card not in TEST_CARDS:
        raise StateError(f"Unknown test card {card!r}; one of {', '.join(TEST_CARDS)}", "card")
    params: dict[str, Any] = {"name": sc.optional("name") or "Acme Corp"}
    metadata = _metadata(sc, "customer_metadata")
    if sc.optional("crm_account"):
        metadata["crm_account_id"] = sc.text("crm_account")
    if metadata:
        params["metadata"] = metadata
    if card is not None:
        params["payment_method"] = card
        params["invoice_settings"] = {"default_payment_method": card}
    with named_ids(ctx.tenant, {"cus_": [cust_id] if cust_id else []}):
        return create_customer(ctx, params)


def _price(ctx: Ctx, key: str, price_id: str | None, amount: int,
           metadata: dict[str, str] | None = None) -> Record:
    held = ctx.store.collection("price").by_index("lookup_key", key)
    if held:
        return held[0]
    code, _, currency = key.partition(":")
    if not code or len(currency) != 3:
        raise StateError(f"A lookup key is PRODUCT:CURRENCY (PLAT:USD), not {key!r}",
                         "lookup_key")
    product = create_product(ctx, {"name": code, "metadata": {"code": code}})
    with named_ids(ctx.tenant, {"price_": [price_id] if price_id else []}):
        return create_price(ctx, {"product": product["id"], "currency": currency.lower(),
                                  "unit_amount": amount, "lookup_key": key,
                                  "recurring": {"interval": "month"},
                                  "metadata": metadata or {}})


def _subscription(ctx: Ctx, sc: StateContext, card: str = "pm_card_visa",
                  invoice: str | None = None) -> Record:
    sub_id = _prefixed(sc, "subscription", "sub_")
    found = ctx.store.get("subscription", sub_id) if sub_id else None
    if found is not None:
        return found
    customer = _customer(ctx, sc, card)
    price = _price(ctx, sc.text("lookup_key", "PLAT:USD"), _prefixed(sc, "price", "price_"),
                   sc.integer("unit_amount", 12000), _metadata(sc, "price_metadata"))
    metadata = {**_metadata(sc, "metadata"),
                **{k: sc.text(p) for k, p in (("crm_opportunity_id", "crm_opportunity"),
                                              ("crm_account_id", "crm_account"))
                   if sc.optional(p)}}
    item = _prefixed(sc, "item", "si_")
    ids = {"sub_": [sub_id] if sub_id else [], "si_": [item] if item else [],
           "in_": [invoice] if invoice else []}
    with named_ids(ctx.tenant, ids):
        return create_subscription(ctx, {
            "customer": customer["id"], "metadata": metadata,
            "items": [{"price": price["id"], "quantity": sc.integer("quantity", 1)}]})


def _made(sub: Record, **more: Any) -> dict[str, Any]:
    out = {"subscription": sub["id"], "customer": sub["customer"]}
    if sub.get("latest_invoice"):
        out["invoice"] = sub["latest_invoice"]
    return {**out, **{k: v for k, v in more.items() if v is not None}}


@state("the billing account is on API version {version}",
       "The account's default API version: responses and events take its shapes "
       "(2024-06-20: before basil; 2025-03-31.basil and later: basil).",
       Param("version", "a Stripe API version", "2024-06-20"))
def api_version(sc: StateContext) -> None:
    _set_version(sc.tenant, sc.text("version"))


@state("a customer {customer} exists",
       "A customer, optionally carrying metadata[crm_account_id].", CUSTOMER, CRM_ACCOUNT, NAME,
       CUSTOMER_METADATA)
def customer(sc: StateContext) -> dict[str, Any]:
    return {"customer": _customer(_ctx(sc), sc, None)["id"]}


@state("a customer {customer} with a default card exists",
       "A customer whose default payment method is a card that charges.",
       CUSTOMER, CARD, CRM_ACCOUNT, NAME, CUSTOMER_METADATA)
def customer_with_card(sc: StateContext) -> dict[str, Any]:
    return {"customer": _customer(_ctx(sc), sc, sc.text("card", "pm_card_visa"))["id"]}


@state("prices exist for lookup keys {lookup_keys}",
       "A monthly price per lookup key (PRODUCT:CURRENCY), each with its product.",
       Param("lookup_keys", "lookup keys (a list, or comma-separated)", ["PLAT:USD"]),
       Param("prices", "the prices' ids, in the same order", ["price_FintwinPlatUsd"],
             required=False),
       Param("unit_amount", "the monthly amount in minor units", 12000, required=False),
       PRICE_METADATA)
def prices(sc: StateContext) -> dict[str, Any]:
    ctx = _ctx(sc)
    keys = [str(k) for k in sc.items("lookup_keys")]
    ids = [str(i) for i in sc.items("prices")] if sc.params.get("prices") else []
    made = [_price(ctx, key, ids[n] if n < len(ids) else None, sc.integer("unit_amount", 12000),
                   _metadata(sc, "price_metadata"))
            for n, key in enumerate(keys)]
    return {"price": made[0]["id"], "prices": ",".join(p["id"] for p in made)}


@state("an active subscription {subscription} exists for customer {customer}",
       "A customer with a card, a monthly price and an active subscription to it; its "
       "first invoice is paid (invoice.created, .finalized and .paid were sent).",
       *SUBSCRIPTION_PARAMS)
def active_subscription(sc: StateContext) -> dict[str, Any]:
    ctx = _ctx(sc)
    sub = _subscription(ctx, sc, invoice=_prefixed(sc, "invoice", "in_"))
    return _made(sub, item=items_of(ctx, sub)[0]["id"])


def _paid_invoice(sc: StateContext) -> dict[str, Any]:
    return _made(_subscription(_ctx(sc), sc, invoice=_prefixed(sc, "invoice", "in_")))


VOCABULARY.alias("an invoice for subscription {subscription} was finalized",
                 "The subscription's first invoice was finalized (invoice.finalized sent), "
                 "then paid.", _paid_invoice, *SUBSCRIPTION_PARAMS)
VOCABULARY.alias("an invoice for subscription {subscription} was paid",
                 "The subscription's first invoice was paid by card (invoice.paid sent).",
                 _paid_invoice, *SUBSCRIPTION_PARAMS)
VOCABULARY.alias("a paid invoice {invoice} exists for subscription {subscription}",
                 "The subscription's first invoice, paid by card.",
                 _paid_invoice, *SUBSCRIPTION_PARAMS)


def _renewal(sc: StateContext, *, held: bool, open_: bool) -> dict[str, Any]:
    ctx = _ctx(sc)
    sub = _subscription(ctx, sc)
    invoice = _prefixed(sc, "invoice", "in_")
    with named_ids(ctx.tenant, {"in_": [invoice] if invoice else []}):
        renew(ctx, sub)
    inv = ctx.get("invoice", sub["latest_invoice"])
    if held:
        inv["auto_advance"] = False
        ctx.put("invoice", inv)
    if open_:
        finalize(ctx, inv)
    return _made(sub)


@state("a draft invoice {invoice} exists for subscription {subscription}",
       "The subscription renewed: its renewal invoice is in its draft hour "
       "(invoice.created sent), auto_advance true.", *SUBSCRIPTION_PARAMS)
def draft_invoice(sc: StateContext) -> dict[str, Any]:
    return _renewal(sc, held=False, open_=False)


@state("a held draft invoice {invoice} exists for subscription {subscription}",
       "A renewal invoice in draft with auto_advance false (held by the integration).",
       *SUBSCRIPTION_PARAMS)
def held_invoice(sc: StateContext) -> dict[str, Any]:
    return _renewal(sc, held=True, open_=False)


@state("an open invoice {invoice} exists for subscription {subscription}",
       "A renewal invoice finalized and not yet paid.", *SUBSCRIPTION_PARAMS)
def open_invoice(sc: StateContext) -> dict[str, Any]:
    return _renewal(sc, held=False, open_=True)


VOCABULARY.alias("an invoice for subscription {subscription} was created",
                 "The subscription renewed: invoice.created was sent for its draft renewal "
                 "invoice.", draft_invoice, *SUBSCRIPTION_PARAMS)


@state("a credit note {credit_note} was issued for invoice {invoice}",
       "The subscription's first invoice was paid, then credited in part "
       "(credit_note.created sent).",
       Param("credit_note", "the credit note's id (cn_...)", "cn_FintwinAcme01"),
       Param("amount", "the credited amount in minor units", 1000, required=False),
       *SUBSCRIPTION_PARAMS)
def credit_note(sc: StateContext) -> dict[str, Any]:
    ctx = _ctx(sc)
    sub = _subscription(ctx, sc, invoice=_prefixed(sc, "invoice", "in_"))
    note_id = _prefixed(sc, "credit_note", "cn_")
    with named_ids(ctx.tenant, {"cn_": [note_id] if note_id else []}):
        note = create_credit_note(ctx, {"invoice": sub["latest_invoice"],
                                        "amount": sc.integer("amount", 1000)})
    return _made(sub, credit_note=note["id"])


@state("a payment failed for an invoice of subscription {subscription}",
       "The customer's card declines every charge: the subscription's first invoice stays "
       "open, invoice.payment_failed was sent and the customer is delinquent.",
       *SUBSCRIPTION_PARAMS)
def payment_failed(sc: StateContext) -> dict[str, Any]:
    sub = _subscription(_ctx(sc), sc, card="pm_card_chargeCustomerFail",
                        invoice=_prefixed(sc, "invoice", "in_"))
    return _made(sub)


@state("subscription {subscription} was cancelled",
       "An active subscription was cancelled now (customer.subscription.deleted sent).",
       *SUBSCRIPTION_PARAMS)
def cancelled(sc: StateContext) -> dict[str, Any]:
    ctx = _ctx(sc)
    sub = _subscription(ctx, sc)
    if sub["status"] != "canceled":
        cancel_subscription(ctx, sub, {})
    return _made(sub)
