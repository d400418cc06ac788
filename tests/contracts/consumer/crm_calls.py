"""What the integration layer sends the CRM (Salesforce REST, API v59.0), as pact
interactions: its OAuth token request, sObject reads, writes and upserts, SOQL queries and
the change-event pull it falls back on."""

from __future__ import annotations

from typing import Any

from pact import Pact, match

from integration_layer.service.flows.accounts import ACCOUNT_FIELDS
from tests.contracts.consumer import ids
from tests.contracts.consumer.pacts import CRM_CLIENT, authorization

DATA = "/services/data/v59.0"
TOKEN_EXAMPLE = "00D000000000Acm!AQfintwinReferenceSessionToken"
SF_ID = r"^[A-Za-z0-9]{15}([A-Za-z0-5]{3})?$"

ACCOUNT_STATE = ("an account {account} exists",
                 {"account": ids.ACCOUNT, "name": "Acme Corp", "legal_entity": "US",
                  "currency": "USD"})
CLOSED_WON_STATE = ("an opportunity {opportunity} of account {account} is closed won",
                    {"opportunity": ids.OPPORTUNITY, "account": ids.ACCOUNT,
                     "lines": [{"product_code": ids.PRODUCT, "quantity": ids.QUANTITY}]})
CONTRACT_STATE = ("a contract {contract} exists for subscription {subscription}",
                  {"contract": ids.CONTRACT, "subscription": ids.SUBSCRIPTION,
                   "account": ids.ACCOUNT})


def token(pact: Pact) -> None:
    (pact.upon_receiving("an OAuth client-credentials token request")
     .with_request("POST", "/services/oauth2/token")
     .with_header("Content-Type", "application/x-www-form-urlencoded")
     .with_body({"grant_type": "client_credentials", "client_id": match.str(CRM_CLIENT[0]),
                 "client_secret": match.str(CRM_CLIENT[1])},
                "application/x-www-form-urlencoded")
     .will_respond_with(200)
     .with_body({"access_token": match.str(TOKEN_EXAMPLE),
                 "token_type": match.str("Bearer")}))


def _call(pact: Pact, description: str, method: str, path: str,
          *states: tuple[str, dict[str, Any]]) -> Any:
    interaction = pact.upon_receiving(description)
    for name, params in states:
        interaction = interaction.given(name, params)
    return (interaction.with_request(method, f"{DATA}{path}")
            .with_header("Authorization", authorization(f"Bearer {TOKEN_EXAMPLE}"))
            .with_header("Accept", "application/json"))


def get_record(pact: Pact, description: str, sobject: str, record_id: str, fields: list[str],
               answer: dict[str, Any], state: tuple[str, dict[str, Any]]) -> None:
    """``GET /sobjects/{Obj}/{id}?fields=...``: the record's fields the SUT reads."""
    (_call(pact, description, "GET", f"/sobjects/{sobject}/{record_id}", state)
     .with_query_parameter("fields", ",".join(fields))
     .will_respond_with(200)
     .with_body(answer))


def get_account(pact: Pact, description: str, fields: list[str], answer: dict[str, Any],
                state: tuple[str, dict[str, Any]] = ACCOUNT_STATE) -> None:
    get_record(pact, description, "Account", ids.ACCOUNT, fields, answer, state)


def account_for_posting(pact: Pact) -> None:
    """Posting to the ERP needs the account's name, legal entity and currency."""
    get_account(pact, "a read of an account's legal entity and currency", ACCOUNT_FIELDS,
                {"Id": match.regex(ids.ACCOUNT, regex=SF_ID), "Name": match.str("Acme Corp"),
                 "Legal_Entity__c": match.str("US"),
                 "CurrencyIsoCode": match.str("USD")})


def update(pact: Pact, description: str, sobject: str, record_id: str,
           body: dict[str, Any], state: tuple[str, dict[str, Any]]) -> None:
    (_call(pact, description, "PATCH", f"/sobjects/{sobject}/{record_id}", state)
     .with_header("Content-Type", "application/json")
     .with_body(body, "application/json")
     .will_respond_with(204))


def query(pact: Pact, description: str, soql: str, records: Any,
          state: tuple[str, dict[str, Any]]) -> None:
    (_call(pact, description, "GET", "/query", state)
     .with_query_parameter("q", soql)
     .will_respond_with(200)
     .with_body({"done": match.bool(True), "records": records}))


def upsert_contract(pact: Pact) -> None:
    """The contract of a subscription is upserted by the subscription id (External_Id__c)."""
    (_call(pact, "an upsert of the contract of a subscription by external id", "PATCH",
           f"/sobjects/Contract/External_Id__c/{ids.SUBSCRIPTION}", CLOSED_WON_STATE)
     .with_header("Content-Type", "application/json")
     .with_body({"AccountId": ids.ACCOUNT, "Status": "Draft", "ContractTerm": 12,
                 "StartDate": match.regex("2026-01-15", regex=r"^\d{4}-\d{2}-\d{2}$"),
                 "Billing_Subscription_Id__c": ids.SUBSCRIPTION}, "application/json")
     .will_respond_with(201)
     .with_body({"id": match.regex(ids.CONTRACT, regex=SF_ID), "success": True}))


def change_events(pact: Pact) -> None:
    """The polling fallback: change events after the last replay id seen."""
    (_call(pact, "a pull of the change events after replay id 0", "GET",
           "/fintwin/changeEvents", ("an account {account} was created", ACCOUNT_STATE[1]))
     .with_query_parameter("replayId", "0")
     .will_respond_with(200)
     .with_body({"events": match.each_like({
         "replayId": match.int(1),
         "event": {"replayId": match.int(1),
                   "EventUuid": match.uuid("a49912fe-794e-e4ef-4c3e-4abf525ca73c")},
         "payload": {"ChangeEventHeader": {
             "entityName": match.str("Account"), "recordIds": match.each_like(ids.ACCOUNT),
             "changeType": match.regex("CREATE", regex=r"^(CREATE|UPDATE|DELETE|UNDELETE)$"),
             "changedFields": match.type([])}}}, min=1)}))
