"""What the integration layer sends billing (Stripe's v1 API), as pact interactions: form
bodies with an Idempotency-Key on every POST, list filters as query parameters, and the
parts of each answer the SUT reads."""

from __future__ import annotations

from typing import Any

from pact import Pact, match

from tests.contracts.consumer import ids
from tests.contracts.consumer.pacts import BILLING_KEY, authorization

FORM = "application/x-www-form-urlencoded"
# Stripe takes any key of up to 255 characters (docs.stripe.com/api/idempotent_requests).
IDEMPOTENCY_KEY = r"^.{1,255}$"

SUBSCRIPTION_PARAMS = {"subscription": ids.SUBSCRIPTION, "customer": ids.CUSTOMER,
                       "lookup_key": f"{ids.PRODUCT}:USD", "price": ids.PRICE,
                       "item": ids.SUBSCRIPTION_ITEM, "quantity": ids.QUANTITY,
                       "invoice": ids.INVOICE, "crm_account": ids.ACCOUNT,
                       "crm_opportunity": ids.OPPORTUNITY}
ACTIVE = ("an active subscription {subscription} exists for customer {customer}",
          SUBSCRIPTION_PARAMS)


def version_state(version: str) -> tuple[str, dict[str, Any]]:
    return ("the billing account is on API version {version}", {"version": version})


def _call(pact: Pact, description: str, method: str, path: str,
          *states: tuple[str, dict[str, Any]]) -> Any:
    interaction = pact.upon_receiving(description)
    for name, params in states:
        interaction = interaction.given(name, params)
    return (interaction.with_request(method, path)
            .with_header("Authorization", authorization(f"Bearer {BILLING_KEY}")))


def _post(pact: Pact, description: str, path: str, body: dict[str, Any] | None,
          *states: tuple[str, dict[str, Any]]) -> Any:
    interaction = (_call(pact, description, "POST", path, *states)
                   .with_header("Idempotency-Key", match.regex("fintwin:example:step",
                                                               regex=IDEMPOTENCY_KEY))
                   .with_header("Content-Type", FORM))
    return interaction if body is None else interaction.with_body(body, FORM)


def _id(example: str, prefix: str) -> Any:
    return match.regex(example, regex=rf"^{prefix}_\w+$")


def create_customer(pact: Pact) -> None:
    """One billing customer per CRM account, keyed by the account."""
    (_post(pact, "a create of the billing customer of a CRM account", "/v1/customers",
           {"name": match.str("Acme Corp"), "metadata[crm_account_id]": ids.ACCOUNT})
     .will_respond_with(200)
     .with_body({"id": _id(ids.CUSTOMER, "cus")}))


def retrieve_customer(pact: Pact, description: str = "a read of a customer",
                      given: tuple[tuple[str, dict[str, Any]], bool] | None = None) -> None:
    """The CRM account of a customer (metadata) and whether it is delinquent (dunning)."""
    state, delinquent = given or (("a customer {customer} exists",
                                   {"customer": ids.CUSTOMER, "crm_account": ids.ACCOUNT}),
                                  False)
    (_call(pact, description, "GET", f"/v1/customers/{ids.CUSTOMER}", state)
     .will_respond_with(200)
     .with_body({"id": _id(ids.CUSTOMER, "cus"),
                 "metadata": {"crm_account_id": match.str(ids.ACCOUNT)},
                 "delinquent": delinquent}))


def list_prices(pact: Pact) -> None:
    """Prices by lookup key PRODUCT:CURRENCY, active only."""
    (_call(pact, "a list of the active prices with a lookup key", "GET", "/v1/prices",
           ("prices exist for lookup keys {lookup_keys}",
            {"lookup_keys": [f"{ids.PRODUCT}:USD"], "prices": [ids.PRICE]}))
     .with_query_parameter("lookup_keys[0]", f"{ids.PRODUCT}:USD")
     .with_query_parameter("limit", "100")
     .with_query_parameter("active", "true")
     .will_respond_with(200)
     .with_body({"data": match.each_like({"id": _id(ids.PRICE, "price"),
                                          "lookup_key": f"{ids.PRODUCT}:USD"}, min=1),
                 "has_more": match.bool(False)}))


def list_tax_rates(pact: Pact) -> None:
    """The account's active tax rates, whose ``country`` picks a legal entity's (none set
    up here: the subscription is created without tax rates)."""
    (_call(pact, "a list of the active tax rates", "GET", "/v1/tax_rates")
     .with_query_parameter("active", "true")
     .with_query_parameter("limit", "100")
     .will_respond_with(200)
     .with_body({"data": match.type([]), "has_more": match.bool(False)}))


def list_all_prices(pact: Pact) -> None:
    """An amendment that adds no product still lists the active prices (all of them)."""
    (_call(pact, "a list of the active prices", "GET", "/v1/prices",
           ("prices exist for lookup keys {lookup_keys}",
            {"lookup_keys": [f"{ids.PRODUCT}:USD"], "prices": [ids.PRICE]}))
     .with_query_parameter("limit", "100")
     .with_query_parameter("active", "true")
     .will_respond_with(200)
     .with_body({"data": match.type([]), "has_more": match.bool(False)}))


def retrieve_price(pact: Pact) -> None:
    """An invoice line's product code, from its price's lookup key."""
    (_call(pact, "a read of a price", "GET", f"/v1/prices/{ids.PRICE}",
           ("prices exist for lookup keys {lookup_keys}",
            {"lookup_keys": [f"{ids.PRODUCT}:USD"], "prices": [ids.PRICE]}))
     .will_respond_with(200)
     .with_body({"id": _id(ids.PRICE, "price"),
                 "lookup_key": match.regex(f"{ids.PRODUCT}:USD", regex=r"^\w+:[A-Z]{3}$")}))


def create_subscription(pact: Pact) -> None:
    """A closed-won deal's subscription, keyed by the opportunity."""
    (_post(pact, "a create of the subscription of a closed-won opportunity", "/v1/subscriptions",
           {"customer": ids.CUSTOMER, "items[0][price]": ids.PRICE,
            "items[0][quantity]": match.regex(str(ids.QUANTITY), regex=r"^\d+$"),
            "metadata[crm_opportunity_id]": ids.OPPORTUNITY,
            "metadata[crm_account_id]": ids.ACCOUNT,
            "metadata[correlation_id]": match.str("flow-1")},
           ("a customer {customer} with a default card exists",
            {"customer": ids.CUSTOMER, "crm_account": ids.ACCOUNT}),
           ("prices exist for lookup keys {lookup_keys}",
            {"lookup_keys": [f"{ids.PRODUCT}:USD"], "prices": [ids.PRICE]}))
     .will_respond_with(200)
     .with_body({"id": _id(ids.SUBSCRIPTION, "sub")}))


def list_subscriptions(pact: Pact,
                       description: str = "a list of a customer's subscriptions of every status",
                       status: str = "active") -> None:
    """A customer's subscriptions of every status (Churned when none is live)."""
    state = {"past_due": ("a payment failed for an invoice of subscription {subscription}",
                          SUBSCRIPTION_PARAMS),
             "canceled": ("subscription {subscription} was cancelled", SUBSCRIPTION_PARAMS),
             }.get(status, ACTIVE)
    (_call(pact, description, "GET", "/v1/subscriptions", state)
     .with_query_parameter("customer", ids.CUSTOMER)
     .with_query_parameter("status", "all")
     .with_query_parameter("limit", "100")
     .will_respond_with(200)
     .with_body({"data": match.each_like({
         "id": _id(ids.SUBSCRIPTION, "sub"),
         # Only "none is live any more" changes what the SUT does (Churned).
         "status": status if status == "canceled" else match.str(status)}, min=1),
                 "has_more": match.bool(False)}))


def retrieve_subscription(pact: Pact) -> None:
    """An amendment compares the subscription's items with the order's quantities."""
    (_call(pact, "a read of a subscription with its items", "GET",
           f"/v1/subscriptions/{ids.SUBSCRIPTION}", ACTIVE)
     .will_respond_with(200)
     .with_body({"id": _id(ids.SUBSCRIPTION, "sub"), "currency": match.str("usd"),
                 "items": {"data": match.each_like({
                     "id": _id(ids.SUBSCRIPTION_ITEM, "si"),
                     "quantity": match.int(ids.QUANTITY),
                     "price": {"id": _id(ids.PRICE, "price")}}, min=1)}}))


def amend_subscription(pact: Pact) -> None:
    """An activated amendment order sets the item's quantity, invoiced now."""
    (_post(pact, "an update of a subscription's quantities, prorated and invoiced now",
           f"/v1/subscriptions/{ids.SUBSCRIPTION}",
           {"items[0][id]": ids.SUBSCRIPTION_ITEM,
            "items[0][quantity]": match.regex("5", regex=r"^\d+$"),
            "proration_behavior": "always_invoice"}, ACTIVE)
     .will_respond_with(200)
     .with_body({"id": _id(ids.SUBSCRIPTION, "sub")}))


def cancel_at_period_end(pact: Pact) -> None:
    (_post(pact, "an update of a subscription to cancel at period end",
           f"/v1/subscriptions/{ids.SUBSCRIPTION}", {"cancel_at_period_end": "true"}, ACTIVE)
     .will_respond_with(200)
     .with_body({"id": _id(ids.SUBSCRIPTION, "sub"), "cancel_at_period_end": True}))


def retrieve_invoice(pact: Pact, description: str, state: tuple[str, dict[str, Any]],
                     version: str, answer: dict[str, Any]) -> None:
    """Invoices change shape with basil: one interaction per API version."""
    (_call(pact, description, "GET", f"/v1/invoices/{ids.INVOICE}", version_state(version),
           state)
     .will_respond_with(200)
     .with_body({"id": _id(ids.INVOICE, "in"), "customer": _id(ids.CUSTOMER, "cus"),
                 **answer}))


def hold_invoice(pact: Pact, state: tuple[str, dict[str, Any]]) -> None:
    """A renewal invoice of an unmapped legal entity is held in draft."""
    (_post(pact, "an update of a draft invoice to hold it (auto_advance false)",
           f"/v1/invoices/{ids.INVOICE}", {"auto_advance": "false"}, state)
     .will_respond_with(200)
     .with_body({"id": _id(ids.INVOICE, "in"), "auto_advance": False}))


def release_invoice(pact: Pact, held: tuple[str, dict[str, Any]],
                    opened: tuple[str, dict[str, Any]]) -> None:
    """A held renewal invoice released: finalized (auto_advance again), then charged."""
    (_post(pact, "a finalization of a held draft invoice", f"/v1/invoices/{ids.INVOICE}/finalize",
           {"auto_advance": "true"}, held)
     .will_respond_with(200)
     .with_body({"id": _id(ids.INVOICE, "in"), "status": "open"}))
    (_post(pact, "a payment of an open invoice", f"/v1/invoices/{ids.INVOICE}/pay", None,
           opened)
     .will_respond_with(200)
     .with_body({"id": _id(ids.INVOICE, "in"), "status": "paid"}))
