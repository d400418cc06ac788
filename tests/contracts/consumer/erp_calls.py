"""What the integration layer sends the ERP (NetSuite REST), as pact interactions.

Each function declares one request the SUT's ERP client makes, the provider states it
assumes, and the parts of the answer the SUT reads (matchers, not copied values).
"""

from __future__ import annotations

from typing import Any

from pact import Pact, match

from tests.contracts.consumer import ids
from tests.contracts.consumer.pacts import ERP_CLIENT, authorization

RECORD = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
TOKEN_EXAMPLE = "erp-access-token-example"
DATE = r"^\d{4}-\d{2}-\d{2}$"
AMOUNT = r"^-?\d+(\.\d+)?$"


def _basic() -> str:
    import base64

    pair = f"{ERP_CLIENT[0]}:{ERP_CLIENT[1]}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def token(pact: Pact) -> None:
    (pact.upon_receiving("an OAuth client-credentials token request")
     .with_request("POST", "/services/rest/auth/oauth2/v1/token")
     .with_header("Authorization", match.regex(_basic(), regex=r"^Basic [A-Za-z0-9+/=]+$"))
     .with_header("Content-Type", "application/x-www-form-urlencoded")
     .with_body("grant_type=client_credentials", "application/x-www-form-urlencoded")
     .will_respond_with(200)
     .with_body({"access_token": match.str(TOKEN_EXAMPLE),
                 "token_type": match.regex("bearer", regex=r"(?i)^bearer$")}))


def _authorised(pact: Pact, description: str, method: str, path: str) -> Any:
    return (pact.upon_receiving(description).with_request(method, path)
            .with_header("Authorization", authorization(f"Bearer {TOKEN_EXAMPLE}")))


def _suiteql(pact: Pact, description: str, query: str, rows: Any,
             states: list[tuple[str, dict[str, Any]]]) -> None:
    interaction = _authorised(pact, description, "POST", SUITEQL)
    for name, params in states:
        interaction = interaction.given(name, params)
    (interaction.with_query_parameter("limit", "1000")
     .with_query_parameter("offset", "0")
     .with_header("Prefer", "transient")
     .with_header("Content-Type", "application/json")
     .with_body({"q": query}, "application/json")
     .will_respond_with(200)
     .with_body({"items": rows, "hasMore": match.bool(False)}))


def subsidiaries(pact: Pact, unmapped: str | None = None) -> None:
    """The SUT maps legal entities (countries) to subsidiaries and finds the parent one;
    with ``unmapped``, a country the account has no subsidiary for."""
    states = [("a subsidiary exists for legal entity {country}",
               {"country": "US", "currency": "USD"})]
    description = "a SuiteQL query of the subsidiaries"
    if unmapped:
        states.append(("no subsidiary exists for legal entity {country}",
                       {"country": unmapped}))
        description += f" (none for {unmapped})"
    _suiteql(pact, description, "SELECT id, country, currency, parent FROM subsidiary",
             match.array_containing([
                 {"id": match.str(ids.SUBSIDIARY), "country": "US",
                  "currency": match.str(ids.CURRENCY)},
                 {"id": match.str("2"), "country": match.str("GB"),
                  "currency": match.str("2"), "parent": match.str(ids.SUBSIDIARY)}]),
             states)


def currencies(pact: Pact) -> None:
    _suiteql(pact, "a SuiteQL query of the currencies", "SELECT id, symbol FROM currency",
             match.array_containing([{"id": match.str(ids.CURRENCY), "symbol": "USD"}]), [])


def items(pact: Pact) -> None:
    _suiteql(pact, "a SuiteQL query of the items", "SELECT id, itemid FROM item",
             match.array_containing([{"id": match.str(ids.ERP_ITEM), "itemid": ids.PRODUCT}]),
             [("an item {item} with item id {itemid} exists",
               {"item": ids.ERP_ITEM, "itemid": ids.PRODUCT})])


def _location(kind: str, example_id: str) -> Any:
    return match.regex(f"http://127.0.0.1/services/rest/record/v1/{kind}/{example_id}",
                       regex=rf"^https?://[^/]+{RECORD}/{kind}/\d+$")


def upsert_customer(pact: Pact) -> None:
    """Customers are upserted by external id (the CRM Account id): safe to repeat."""
    (_authorised(pact, "an upsert of the customer of a CRM account by external id", "PUT",
                 f"{RECORD}/customer/eid:{ids.ACCOUNT}")
     .given("no customer has external id {external_id}", {"external_id": ids.ACCOUNT})
     .with_header("Content-Type", "application/json")
     .with_body({"companyName": match.str("Acme Corp"),
                 "subsidiary": {"id": ids.SUBSIDIARY}, "currency": {"id": ids.CURRENCY}},
                "application/json")
     .will_respond_with(204)
     .with_header("Location", _location("customer", ids.ERP_CUSTOMER)))


def _header_fields(memo: str) -> dict[str, Any]:
    return {"entity": {"id": ids.ERP_CUSTOMER}, "subsidiary": {"id": ids.SUBSIDIARY},
            "currency": {"id": ids.CURRENCY},
            "tranDate": match.regex("2026-01-15", regex=DATE),
            "memo": match.regex(f"{memo} trace flow-1", regex=r"^.+ trace \S+$")}


def _line(amount: str, description: str) -> dict[str, Any]:
    return {"item": {"id": ids.ERP_ITEM}, "quantity": match.int(ids.QUANTITY),
            "rate": match.regex("120.00", regex=AMOUNT),
            "amount": match.regex(amount, regex=AMOUNT),
            "description": match.str(description)}


CUSTOMER_STATE = ("a customer {customer} with external id {external_id} exists",
                  {"customer": ids.ERP_CUSTOMER, "external_id": ids.ACCOUNT})
ITEM_STATE = ("an item {item} with item id {itemid} exists",
              {"item": ids.ERP_ITEM, "itemid": ids.PRODUCT})
INVOICE_STATE = ("an invoice {invoice} with external id {external_id} exists for customer "
                 "{customer}", {"invoice": ids.ERP_INVOICE, "external_id": ids.INVOICE,
                                "customer": ids.ERP_CUSTOMER,
                                "customer_external_id": ids.ACCOUNT, "item": ids.ERP_ITEM,
                                "itemid": ids.PRODUCT, "quantity": ids.QUANTITY,
                                "rate": "120.00"})


def create_invoice(pact: Pact) -> None:
    """A billing invoice becomes an ERP invoice keyed by the billing invoice id."""
    (_authorised(pact, "a create of the ERP invoice of a billing invoice", "POST",
                 f"{RECORD}/invoice")
     .given(*CUSTOMER_STATE).given(*ITEM_STATE)
     .with_header("Content-Type", "application/json")
     .with_body({**_header_fields("FINT-0001"),
                 "item": {"items": match.each_like(_line("240.00", ids.PRODUCT), min=1)},
                 "externalId": match.regex(ids.INVOICE, regex=r"^in_\w+$")},
                "application/json")
     .will_respond_with(204)
     .with_header("Location", _location("invoice", ids.ERP_INVOICE)))


def create_payment(pact: Pact) -> None:
    """A paid billing invoice becomes a customer payment applied to its ERP invoice."""
    (_authorised(pact, "a create of the customer payment of a paid invoice", "POST",
                 f"{RECORD}/customerPayment")
     .given(*INVOICE_STATE)
     .with_header("Content-Type", "application/json")
     .with_body({"customer": {"id": ids.ERP_CUSTOMER}, "subsidiary": {"id": ids.SUBSIDIARY},
                 "currency": {"id": ids.CURRENCY},
                 "tranDate": match.regex("2026-01-15", regex=DATE),
                 "payment": match.regex("240.00", regex=AMOUNT),
                 "memo": match.regex("payment of FINT-0001 trace flow-1",
                                     regex=r"^payment of .+ trace \S+$"),
                 "apply": {"items": match.each_like({
                     "doc": {"id": ids.ERP_INVOICE}, "apply": True,
                     "amount": match.regex("240.00", regex=AMOUNT)}, min=1)},
                 "externalId": match.regex(f"pay:{ids.INVOICE}", regex=r"^pay:in_\w+$")},
                "application/json")
     .will_respond_with(204)
     .with_header("Location", _location("customerPayment", "302")))


def get_invoice(pact: Pact) -> None:
    """A credit note is posted against the ERP invoice's first item, applied while open."""
    (_authorised(pact, "a read of an ERP invoice with its lines", "GET",
                 f"{RECORD}/invoice/{ids.ERP_INVOICE}")
     .given(*INVOICE_STATE)
     .with_query_parameter("expandSubResources", "true")
     .with_header("Accept", "application/json")
     .will_respond_with(200)
     .with_body({"id": match.str(ids.ERP_INVOICE),
                 "status": {"id": match.str("open")},
                 "amountRemaining": match.type(240.0),
                 "item": {"items": match.each_like({"item": {"id": match.str(ids.ERP_ITEM)}},
                                                   min=1)}}))


def create_credit_memo(pact: Pact) -> None:
    """A billing credit note becomes a credit memo applied to the open ERP invoice."""
    (_authorised(pact, "a create of the credit memo of a credit note", "POST",
                 f"{RECORD}/creditMemo")
     .given(*INVOICE_STATE)
     .with_header("Content-Type", "application/json")
     .with_body({**_header_fields("credit note FINT-0001-CN-01"),
                 "item": {"items": match.each_like({
                     "item": {"id": ids.ERP_ITEM}, "quantity": match.int(1),
                     "rate": match.regex("10.00", regex=AMOUNT),
                     "amount": match.regex("10.00", regex=AMOUNT),
                     "description": match.str("credit note FINT-0001-CN-01")}, min=1)},
                 "apply": {"items": match.each_like({
                     "doc": {"id": ids.ERP_INVOICE}, "apply": True,
                     "amount": match.regex("10.00", regex=AMOUNT)}, min=1)},
                 "externalId": match.regex(ids.CREDIT_NOTE, regex=r"^cn_\w+$")},
                "application/json")
     .will_respond_with(204)
     .with_header("Location", _location("creditMemo", "303")))
