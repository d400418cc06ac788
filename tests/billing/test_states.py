"""The billing fake's provider states: each builds its business situation with the ids the
pact names, visible through the Stripe API with the credential the state answers; a
teardown empties the account; unknown states and bad ids are 400s naming what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.servers import ServerThread
from simulators.billing.app import create_app
from simulators.engine.settings import SimSettings

KEY = "sk_test_states_billing"


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    app = create_app(SimSettings(seed=3, limits=False))
    with ServerThread(app) as server, httpx.Client(base_url=server.url) as client:
        yield client


def setup(api: httpx.Client, state: str, params: dict[str, Any] | None = None,
          **query: str) -> httpx.Response:
    return api.post("/_sim/provider-states", params={"tenant": KEY, **query},
                    json={"state": state, "params": params or {}, "action": "setup"})


def teardown(api: httpx.Client) -> None:
    api.post("/_sim/provider-states", params={"tenant": KEY},
             json={"state": "", "action": "teardown"}).raise_for_status()


def get(api: httpx.Client, path: str, auth: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params, headers={"Authorization": auth})
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def test_a_subscription_state_makes_the_named_objects(api: httpx.Client) -> None:
    made = setup(api, "an active subscription {subscription} exists for customer {customer}",
                 {"subscription": "sub_PactOne", "customer": "cus_PactOne", "quantity": 3,
                  "lookup_key": "PLAT:EUR", "price": "price_PactPlatEur",
                  "item": "si_PactPlat", "invoice": "in_PactFirst",
                  "crm_account": "001000000000AcmAAE"})
    assert made.status_code == 200, made.text
    values = made.json()
    assert values["authorization"] == f"Bearer {KEY}" and values["item"] == "si_PactPlat"
    sub = get(api, "/v1/subscriptions/sub_PactOne", values["authorization"])
    assert sub["customer"] == "cus_PactOne" and sub["status"] == "active"
    assert sub["items"]["data"][0]["id"] == "si_PactPlat"
    assert sub["items"]["data"][0]["price"]["id"] == "price_PactPlatEur"
    assert sub["items"]["data"][0]["quantity"] == 3
    invoice = get(api, "/v1/invoices/in_PactFirst", values["authorization"])
    assert invoice["status"] == "paid" and invoice["currency"] == "eur"
    customer = get(api, "/v1/customers/cus_PactOne", values["authorization"])
    assert customer["metadata"] == {"crm_account_id": "001000000000AcmAAE"}
    events = get(api, "/v1/events", values["authorization"], type="invoice.finalized")
    assert events["data"][0]["data"]["object"]["id"] == "in_PactFirst"
    teardown(api)
    gone = api.get("/v1/subscriptions/sub_PactOne", headers={"Authorization": f"Bearer {KEY}"})
    assert gone.status_code == 404


def test_states_combine_and_the_version_state_wins(api: httpx.Client) -> None:
    assert setup(api, "the billing account is on API version {version}",
                 {"version": "2025-03-31.basil"}, api_version="2024-06-20").status_code == 200
    made = setup(api, "a draft invoice {invoice} exists for subscription {subscription}",
                 {"subscription": "sub_Renewing", "customer": "cus_Renewing",
                  "invoice": "in_Renewal"}, api_version="2024-06-20")
    assert made.status_code == 200, made.text
    invoice = get(api, "/v1/invoices/in_Renewal", f"Bearer {KEY}")
    assert invoice["status"] == "draft" and invoice["auto_advance"] is True
    # basil: the subscription moved under parent.subscription_details
    assert invoice["parent"]["subscription_details"]["subscription"] == "sub_Renewing"
    assert "subscription" not in invoice
    teardown(api)


def test_the_start_version_applies_to_a_new_account(api: httpx.Client) -> None:
    made = setup(api, "a credit note {credit_note} was issued for invoice {invoice}",
                 {"credit_note": "cn_PactNote", "invoice": "in_Credited",
                  "subscription": "sub_Credited", "customer": "cus_Credited", "amount": 500},
                 api_version="2024-06-20")
    assert made.status_code == 200, made.text
    note = get(api, "/v1/credit_notes/cn_PactNote", f"Bearer {KEY}")
    assert note["invoice"] == "in_Credited" and note["amount"] == 500
    invoice = get(api, "/v1/invoices/in_Credited", f"Bearer {KEY}")
    assert invoice["subscription"] == "sub_Credited"  # pre-basil shape
    teardown(api)


def test_failed_payment_and_cancellation(api: httpx.Client) -> None:
    made = setup(api, "a payment failed for an invoice of subscription {subscription}",
                 {"subscription": "sub_Failing", "customer": "cus_Failing"})
    assert made.status_code == 200, made.text
    assert get(api, "/v1/customers/cus_Failing", f"Bearer {KEY}")["delinquent"] is True
    teardown(api)
    made = setup(api, "subscription sub_Gone was cancelled", {"customer": "cus_Gone"})
    assert made.status_code == 200, made.text
    assert get(api, "/v1/subscriptions/sub_Gone", f"Bearer {KEY}")["status"] == "canceled"
    teardown(api)


@pytest.mark.parametrize(("state", "params", "param"), [
    ("a unicorn exists", {}, "state"),
    ("a customer {customer} exists", {"customer": "acct_Nope"}, "customer"),
    ("a customer {customer} exists", {}, "customer"),
    ("the billing account is on API version {version}", {"version": "yesterday"}, "version"),
    ("prices exist for lookup keys {lookup_keys}", {"lookup_keys": ["PLAT"]}, "lookup_key"),
])
def test_bad_states_are_refused_by_name(api: httpx.Client, state: str, params: dict[str, Any],
                                        param: str) -> None:
    response = setup(api, state, params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_a_tenant_must_be_a_test_key(api: httpx.Client) -> None:
    response = api.post("/_sim/provider-states", params={"tenant": "acct_1"},
                        json={"state": "", "action": "setup"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "tenant"


def test_the_vocabulary_is_listed(api: httpx.Client) -> None:
    listed = api.get("/_sim/provider-states").json()
    names = [s["name"] for s in listed["states"]]
    assert "a customer {customer} with a default card exists" in names
    assert all(s["summary"] for s in listed["states"])
