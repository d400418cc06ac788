"""The messages the integration layer consumes, as pact message interactions: Stripe webhook
events and Salesforce change events, with the fields its flows read.

Stripe renders an event's object in the account's API version. Where basil moved a field
the SUT reads, it reads both shapes, so its contract has one message per shape, each
given the API version it is rendered in ("the billing account is on API version ...").
"""

from __future__ import annotations

from typing import Any

from pact import Pact, match

from simulators.billing.versions import BASIL
from tests.contracts.consumer import ids
from tests.contracts.consumer.billing_calls import SUBSCRIPTION_PARAMS, version_state
from tests.contracts.consumer.crm_calls import SF_ID

JSON = "application/json"
PRE_BASIL_SHAPES = "pre-basil shapes"
BASIL_SHAPES = "basil shapes"


def shapes(version: str) -> str:
    return BASIL_SHAPES if version == BASIL else PRE_BASIL_SHAPES


def _event(pact: Pact, description: str, states: list[tuple[str, dict[str, Any]]],
           event_type: str, obj: dict[str, Any]) -> None:
    interaction = pact.upon_receiving(description, "Async")
    for name, params in states:
        interaction = interaction.given(name, params)
    interaction.with_body({"id": match.regex("evt_1", regex=r"^evt_\w+$"),
                           "type": event_type, "data": {"object": obj}}, JSON)


def _invoice(version: str, extra: dict[str, Any], line: bool = True) -> dict[str, Any]:
    basil = version == BASIL
    obj: dict[str, Any] = {
        "id": match.regex(ids.INVOICE, regex=r"^in_\w+$"), "object": "invoice",
        "customer": match.regex(ids.CUSTOMER, regex=r"^cus_\w+$"),
        "currency": match.regex("usd", regex=r"^[a-z]{3}$"),
        "number": match.str("FINT-0001"), "created": match.int(1768435200), **extra}
    sub = match.regex(ids.SUBSCRIPTION, regex=r"^sub_\w+$")
    if basil:
        obj["parent"] = {"subscription_details": {"subscription": sub}}
    else:
        obj["subscription"] = sub
    if line:
        price = match.regex(ids.PRICE, regex=r"^price_\w+$")
        common = {"id": match.str("il_1"), "amount": match.int(24000),
                  "quantity": match.int(ids.QUANTITY)}
        shape = ({**common, "pricing": {"price_details": {"price": price}},
                  "parent": {"subscription_item_details": {"proration": match.bool(False)}},
                  "taxes": match.type([])} if basil else
                 {**common, "price": {"id": price}, "proration": match.bool(False),
                  "tax_amounts": match.type([])})
        obj["lines"] = {"data": match.each_like(shape, min=1)}
    return obj


def invoice_finalized(pact: Pact, version: str) -> None:
    _event(pact, f"an invoice.finalized event ({shapes(version)})",
           [version_state(version),
            ("an invoice for subscription {subscription} was finalized", SUBSCRIPTION_PARAMS)],
           "invoice.finalized",
           _invoice(version, {"total": match.int(24000),
                              "status_transitions": {"finalized_at": match.int(1768435200)}}))


def invoice_paid(pact: Pact, version: str) -> None:
    _event(pact, f"an invoice.paid event ({shapes(version)})",
           [version_state(version),
            ("an invoice for subscription {subscription} was paid", SUBSCRIPTION_PARAMS)],
           "invoice.paid",
           _invoice(version, {"amount_paid": match.int(24000),
                              "status_transitions": {"paid_at": match.int(1768435200)}},
                    line=False))


def invoice_created(pact: Pact) -> None:
    """The SUT reads only the invoice id: it reads the invoice itself back."""
    _event(pact, "an invoice.created event of a renewal",
           [("an invoice for subscription {subscription} was created", SUBSCRIPTION_PARAMS)],
           "invoice.created",
           {"id": match.regex(ids.INVOICE, regex=r"^in_\w+$"), "object": "invoice",
            "customer": match.regex(ids.CUSTOMER, regex=r"^cus_\w+$")})


def credit_note_created(pact: Pact) -> None:
    _event(pact, "a credit_note.created event",
           [("a credit note {credit_note} was issued for invoice {invoice}",
             {**SUBSCRIPTION_PARAMS, "credit_note": ids.CREDIT_NOTE, "amount": 1000})],
           "credit_note.created",
           {"id": match.regex(ids.CREDIT_NOTE, regex=r"^cn_\w+$"), "object": "credit_note",
            "invoice": match.regex(ids.INVOICE, regex=r"^in_\w+$"),
            "currency": match.regex("usd", regex=r"^[a-z]{3}$"),
            "amount": match.int(1000), "subtotal": match.int(1000),
            "number": match.str("FINT-0001-CN-01"), "created": match.int(1768435200)})


def payment_failed(pact: Pact) -> None:
    _event(pact, "an invoice.payment_failed event",
           [("a payment failed for an invoice of subscription {subscription}",
             SUBSCRIPTION_PARAMS)],
           "invoice.payment_failed",
           {"id": match.regex(ids.INVOICE, regex=r"^in_\w+$"), "object": "invoice",
            "customer": match.regex(ids.CUSTOMER, regex=r"^cus_\w+$")})


def subscription_deleted(pact: Pact) -> None:
    _event(pact, "a customer.subscription.deleted event",
           [("subscription {subscription} was cancelled", SUBSCRIPTION_PARAMS)],
           "customer.subscription.deleted",
           {"id": match.regex(ids.SUBSCRIPTION, regex=r"^sub_\w+$"), "object": "subscription",
            "customer": match.regex(ids.CUSTOMER, regex=r"^cus_\w+$")})


def change_event(pact: Pact, description: str, state: tuple[str, dict[str, Any]],
                 entity: str, record_id: str, change: str, changed: list[str],
                 fields: dict[str, Any]) -> None:
    """A Salesforce change event as the CRM pushes it (its envelope and header)."""
    header: dict[str, Any] = {"entityName": entity,
                              "recordIds": match.each_like(match.regex(record_id, regex=SF_ID),
                                                           min=1),
                              "changeType": change}
    if changed:
        header["changedFields"] = match.array_containing(changed)
    (pact.upon_receiving(description, "Async").given(*state)
     .with_body({"replayId": match.int(1),
                 "event": {"replayId": match.int(1),
                           "EventUuid": match.uuid("a49912fe-794e-e4ef-4c3e-4abf525ca73c")},
                 "payload": {"ChangeEventHeader": header, **fields}}, JSON))
