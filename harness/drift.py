"""``fintwin drift``: the billing fake's objects against the official stripe SDK's typed
resource classes (issue 19).

For each API version the fake serves, every object it returns is fetched raw and its
fields compared with the fields the SDK's class for that object declares (the SDK's
classes describe the version it pins, ``stripe.api_version``):

missing      declared by the SDK, absent from the fake's object
invented     in the fake's object, declared nowhere in the SDK's class
nullability  null in the fake where the SDK's type is not Optional
enum         a value outside the SDK's Literal members for that field

A difference is *explained* when the fake means it: a field that the served version
shapes differently from the pinned one (``versions.BASIL_CHANGES``, clover's discount
and promotion-code change), or one of ``EXPLAINED`` below, each with its reason.
Everything else is *unexplained*: fintwin aims for none, and a new SDK version shows
its drift here as new rows.
"""

from __future__ import annotations

import argparse
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import stripe
from stripe._object_classes import get_object_class

from harness.servers import ServerThread
from simulators.billing.app import create_app
from simulators.billing.versions import BASIL, BASIL_CHANGES, CLOVER, PRE_BASIL, is_basil
from simulators.engine.settings import SimSettings

KEY = "sk_test_fintwin_drift_report"
SDK_VERSION: str = stripe.api_version

INCLUDABLE = "includable: Stripe returns it only when expanded (Stripe API reference)"
NOT_MODELLED = "not modelled (docs/billing.md, \"Left out\")"
# (object, field) -> why the fake leaves it out (missing) or differs on purpose.
EXPLAINED: dict[tuple[str, str], str] = {
    **{("customer", f): INCLUDABLE for f in ("cash_balance", "invoice_credit_balance",
                                             "sources", "subscriptions", "tax", "tax_ids")},
    **{("price", f): INCLUDABLE for f in ("currency_options", "tiers")},
    **{("invoice", f): NOT_MODELLED for f in (
        "account_tax_ids", "custom_fields", "customer_tax_ids", "customer_tax_exempt",
        "customer_shipping", "customer_address", "customer_phone", "shipping_cost",
        "shipping_details", "rendering", "issuer", "from_invoice", "latest_revision",
        "threshold_reason", "statement_descriptor", "receipt_number",
        "total_pretax_credit_amounts", "amount_overpaid", "amount_paid_off_stripe")},
    ("invoice", "payments"): "includable (the InvoicePayment list): " + NOT_MODELLED,
    ("coupon", "applies_to"): NOT_MODELLED, ("coupon", "currency_options"): NOT_MODELLED,
    ("webhook_endpoint", "secret"): "Stripe answers the secret on create only",
    ("event", "account"): "set on a connected account's events delivered to its platform, "
                          "which the fake does not deliver",
    ("event", "context"): "set on events of Accounts v2 contexts: not modelled",
    ("account", "company"): NOT_MODELLED, ("account", "individual"): NOT_MODELLED,
    ("account", "requirements"): "onboarding is not modelled: nothing is ever required",
    ("account", "future_requirements"): "onboarding is not modelled",
    ("account", "tos_acceptance"): "onboarding is not modelled",
    ("account", "settings"): NOT_MODELLED, ("account", "external_accounts"): INCLUDABLE,
    ("account", "controller"): NOT_MODELLED, ("account", "groups"): NOT_MODELLED,
}
# Fields of Stripe Connect's money movement, which the fake leaves out (docs/billing.md).
CONNECT = frozenset({
    "application", "application_fee", "application_fee_amount", "application_fee_percent",
    "on_behalf_of", "transfer_data", "transfer_group", "source_transfer", "transfer",
    "source_transfer_reversal", "transfer_reversal"})
# A payment method's own fields; every other field it declares is the hash of one payment
# method type, which Stripe includes only for the method's own type.
PAYMENT_METHOD_BASE = frozenset({
    "id", "object", "allow_redisplay", "billing_details", "created", "customer", "livemode",
    "metadata", "type", "radar_options", "customer_account", "deleted"})


def _general(obj: dict[str, Any], name: str, key: str) -> str | None:
    """Explanations that hold across objects."""
    if key == "deleted":
        return "present on a deleted object's stub only"
    if key == "customer_account":
        return "Accounts v2 (a customer that is an account) is not modelled"
    if key in CONNECT:
        return "Connect money movement is " + NOT_MODELLED
    if name == "payment_method" and key not in PAYMENT_METHOD_BASE:
        return "Stripe includes only the hash of the method's own type"
    if key in ("presentment_details", "managed_payments", "radar_options", "review",
               "fraud_details", "level3", "source", "default_source"):
        return f"{key}: " + NOT_MODELLED
    return None


@dataclass
class Row:
    version: str
    obj: str
    fields: int
    missing: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)
    nullability: list[str] = field(default_factory=list)
    enum: list[str] = field(default_factory=list)
    explained: list[str] = field(default_factory=list)

    @property
    def unexplained(self) -> int:
        return len(self.missing) + len(self.invented) + len(self.nullability) + len(self.enum)


def _declared(cls: type) -> dict[str, Any]:
    """The SDK class's declared fields and their types (ClassVars left out)."""
    out: dict[str, Any] = {}
    for name, hint in getattr(cls, "__annotations__", {}).items():
        if typing.get_origin(hint) is typing.ClassVar or name.startswith("_"):
            continue
        out[name] = hint
    return out


def _nullable(hint: Any) -> bool:
    return type(None) in typing.get_args(hint) or hint is type(None)


def _literals(hint: Any) -> set[Any] | None:
    """The Literal members a field's type names, if it names any."""
    found: set[Any] = set()
    stack = [hint]
    while stack:
        h = stack.pop()
        if typing.get_origin(h) is typing.Literal:
            found.update(typing.get_args(h))
        else:
            stack.extend(typing.get_args(h))
    return found or None


def _version_explains(obj: str, name: str, version: str) -> str | None:
    """Why ``version`` shapes ``obj.name`` unlike the SDK's pinned version, if it does."""
    label = {"invoice": "invoice", "line_item": "invoice line", "subscription": "subscription",
             "subscription_item": "subscription item", "invoiceitem": "invoice item",
             "payment_intent": "payment intent", "charge": "charge",
             "credit_note": "credit note"}.get(obj)
    if not is_basil(version):
        for kind, before, after in BASIL_CHANGES:
            if kind == label and (name == before or
                                  (after is not None and name == after.split(".")[0])):
                return f"2025-03-31.basil changed {kind}.{before}"
        if obj == "invoice" and name == "total_taxes":
            return "2025-03-31.basil changed invoice.total_tax_amounts"
        if obj == "line_item" and name in ("taxes", "pricing", "parent"):
            return "2025-03-31.basil moved invoice line fields"
        if obj == "subscription_item" and name in ("current_period_start",
                                                   "current_period_end"):
            return "2025-03-31.basil moved current_period_* onto subscription items"
        if obj == "credit_note" and name in ("refunds", "total_taxes"):
            return "2025-03-31.basil replaced credit_note.refund and tax_amounts"
    if version < CLOVER and (obj, name) in (("discount", "coupon"), ("discount", "source"),
                                            ("promotion_code", "coupon"),
                                            ("promotion_code", "promotion")):
        return "2025-09-30.clover moved the coupon reference"
    return None


def compare(version: str, obj: dict[str, Any]) -> Row:
    name = str(obj.get("object"))
    cls = get_object_class(api_mode="V1", object_name=name)
    declared = _declared(cls) if cls is not None else {}
    row = Row(version, name, len(obj))
    for key in sorted(set(declared) | set(obj)):
        if key in ("object", "deleted") and key in obj:
            continue
        why = (_version_explains(name, key, version) or EXPLAINED.get((name, key))
               or _general(obj, name, key))
        problem: str | None = None
        if key not in obj:
            problem = "missing"
        elif key not in declared:
            problem = "invented"
        elif obj[key] is None and not _nullable(declared[key]):
            problem = "nullability"
        else:
            allowed = _literals(declared[key])
            value = obj[key]
            if allowed is not None and isinstance(value, str) and value not in allowed \
                    and any(isinstance(a, str) for a in allowed):
                problem = "enum"
                key = f"{key}={value!r}"
        if problem is None:
            continue
        if why is not None:
            row.explained.append(f"{problem} {key}: {why}")
        else:
            getattr(row, problem).append(key)
    return row


def _objects(client: stripe.StripeClient, http: httpx.Client
             ) -> Iterator[tuple[str, str, str | None]]:
    """(object name, path to GET it, dotted path inside the answer or None) for one of
    every object the fake returns, made through the API."""
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": 1_767_225_600})
    yield "test_helpers.test_clock", f"/v1/test_helpers/test_clocks/{clock.id}", None
    coupon = client.v1.coupons.create({"percent_off": 10, "duration": "forever"})
    yield "coupon", f"/v1/coupons/{coupon.id}", None
    promo = client.v1.promotion_codes.create({"promotion": {"type": "coupon",
                                                            "coupon": coupon.id}})
    yield "promotion_code", f"/v1/promotion_codes/{promo.id}", None
    cust = client.v1.customers.create({
        "name": "Drift", "email": "drift@acme.test", "payment_method": "pm_card_visa",
        "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    http.post(f"/v1/customers/{cust.id}", data={"coupon": coupon.id},
              headers={"Stripe-Version": PRE_BASIL})
    yield "customer", f"/v1/customers/{cust.id}", None
    yield "discount", f"/v1/customers/{cust.id}", "discount"
    pm = client.v1.payment_methods.list({"customer": cust.id}).data[0]
    yield "payment_method", f"/v1/payment_methods/{pm.id}", None
    product = client.v1.products.create({"name": "Drift product"})
    yield "product", f"/v1/products/{product.id}", None
    price = client.v1.prices.create({"product": product.id, "unit_amount": 1000,
                                     "currency": "usd", "recurring": {"interval": "month"}})
    yield "price", f"/v1/prices/{price.id}", None
    tax = client.v1.tax_rates.create({"display_name": "VAT", "percentage": 20.0,
                                      "inclusive": False})
    yield "tax_rate", f"/v1/tax_rates/{tax.id}", None
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}],
                                          "default_tax_rates": [tax.id]})
    yield "subscription", f"/v1/subscriptions/{sub.id}", None
    yield "subscription_item", f"/v1/subscriptions/{sub.id}", "items.data.0"
    invoice = str(sub.latest_invoice)
    yield "invoice", f"/v1/invoices/{invoice}", None
    yield "line_item", f"/v1/invoices/{invoice}", "lines.data.0"
    ii = client.v1.invoice_items.create({"customer": cust.id, "amount": 300,
                                         "currency": "usd"})
    yield "invoiceitem", f"/v1/invoiceitems/{ii.id}", None
    pi = client.v1.payment_intents.create({"amount": 700, "currency": "usd",
                                           "customer": cust.id, "payment_method": pm.id,
                                           "confirm": True})
    yield "payment_intent", f"/v1/payment_intents/{pi.id}", None
    yield "charge", f"/v1/charges/{pi.latest_charge}", None
    refund = client.v1.refunds.create({"payment_intent": pi.id, "amount": 100})
    yield "refund", f"/v1/refunds/{refund.id}", None
    note = client.v1.credit_notes.create({"invoice": invoice, "amount": 100})
    yield "credit_note", f"/v1/credit_notes/{note.id}", None
    seti = client.v1.setup_intents.create({"customer": cust.id})
    yield "setup_intent", f"/v1/setup_intents/{seti.id}", None
    account = client.v1.accounts.create({"type": "custom"})
    yield "account", f"/v1/accounts/{account.id}", None
    hook = client.v1.webhook_endpoints.create({"url": "https://hooks.test/x",
                                               "enabled_events": ["*"]})
    yield "webhook_endpoint", f"/v1/webhook_endpoints/{hook.id}", None
    event = client.v1.events.list({"limit": 1}).data[0]
    yield "event", f"/v1/events/{event.id}", None


def _at(body: dict[str, Any], path: str | None) -> dict[str, Any]:
    node: Any = body
    for part in (path.split(".") if path else []):
        node = node[int(part)] if part.isdigit() else node[part]
    return dict(node)


def report(versions: tuple[str, ...] = (PRE_BASIL, BASIL, CLOVER, SDK_VERSION)) -> list[Row]:
    app = create_app(SimSettings(seed=19, limits=False))
    rows: list[Row] = []
    with ServerThread(app) as server, httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        client = stripe.StripeClient(KEY, base_addresses={"api": server.url},
                                     max_network_retries=0)
        made = list(_objects(client, http))
        for version in versions:
            for name, path, inner in made:
                body = http.get(path, headers={"Stripe-Version": version}).json()
                obj = _at(body, inner)
                assert obj.get("object") == name.split(".")[-1] or name.startswith("test"), \
                    (name, obj.get("object"))
                rows.append(compare(version, obj))
    return rows


def render_text(rows: list[Row], *, verbose: bool = False) -> str:
    out = [f"drift: the billing fake against stripe-python {stripe.VERSION} "
           f"(pins {SDK_VERSION})", ""]
    header = (f"{'version':<19} {'object':<24} {'fields':>6} {'missing':>7} {'invented':>8} "
              f"{'null':>4} {'enum':>4} {'explained':>9}")
    out.append(header)
    for r in rows:
        out.append(f"{r.version:<19} {r.obj:<24} {r.fields:>6} {len(r.missing):>7} "
                   f"{len(r.invented):>8} {len(r.nullability):>4} {len(r.enum):>4} "
                   f"{len(r.explained):>9}")
        for kind in ("missing", "invented", "nullability", "enum"):
            names = getattr(r, kind)
            if names:
                out.append(f"    {kind}: {', '.join(names)}")
        if verbose:
            out.extend(f"    explained {e}" for e in r.explained)
    total = sum(r.unexplained for r in rows)
    per_version: dict[str, int] = {}
    for r in rows:
        per_version[r.version] = per_version.get(r.version, 0) + r.unexplained
    out += ["", "unexplained differences: " + ", ".join(
        f"{v} {n}" for v, n in per_version.items()) + f" (total {total}); explained: "
        f"{sum(len(r.explained) for r in rows)}"]
    return "\n".join(out)


def command(args: argparse.Namespace) -> int:
    """``fintwin drift`` (harness/cli.py)."""
    rows = report()
    print(render_text(rows, verbose=args.verbose))
    return 1 if args.strict and any(r.unexplained for r in rows) else 0
