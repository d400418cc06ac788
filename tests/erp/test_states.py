"""The ERP fake's provider states: records with the internal ids the pact names (when still
ahead of their id space), read back through the REST record service with the token the
setup answered."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.servers import ServerThread
from simulators.engine.settings import SimSettings
from simulators.erp.app import create_app
from tests.contracts.states import States

RECORDS = "/services/rest/record/v1"


@pytest.fixture(scope="module")
def states() -> Iterator[States]:
    app = create_app(SimSettings(seed=3, limits=False))
    with ServerThread(app) as server, httpx.Client(base_url=server.url) as client:
        yield States(client, "pact-verifier-erp")


def test_an_invoice_with_its_customer_and_item(states: States) -> None:
    states.given("an invoice {invoice} with external id {external_id} exists for customer "
                 "{customer}", {"invoice": "301", "external_id": "in_Pact", "customer": "107",
                                "item": "12", "itemid": "PLAT", "quantity": 3})
    invoice = states.get(f"{RECORDS}/invoice/301", expandSubResources="true").json()
    assert invoice["externalId"] == "in_Pact" and invoice["entity"]["id"] == "107"
    assert invoice["item"]["items"][0]["item"]["id"] == "12"
    found = states.get(f"{RECORDS}/invoice/eid:in_Pact").json()
    assert found["id"] == "301"
    states.teardown()
    again = states.given("no invoice has external id {external_id}",
                         {"external_id": "in_Pact"})
    assert states.get(f"{RECORDS}/invoice/eid:in_Pact").status_code == 404
    assert again["authorization"].startswith("Bearer ")
    states.teardown()


def test_a_taken_id_is_not_forced(states: States) -> None:
    first = states.given("a customer {customer} with external id {external_id} exists",
                         {"customer": "5", "external_id": "001A"})["customer"]
    second = states.given("a customer {customer} with external id {external_id} exists",
                          {"customer": "5", "external_id": "001B"})["customer"]
    assert (first, second) == ("5", "6")
    assert states.get(f"{RECORDS}/customer/eid:001B").json()["id"] == "6"
    states.teardown()


def test_subsidiaries_for_legal_entities(states: States) -> None:
    made = states.given("a subsidiary exists for legal entity {country}",
                        {"country": "FR", "currency": "EUR"})
    rows = states.post("/services/rest/query/v1/suiteql", headers={"Prefer": "transient"},
                       json={"q": "SELECT id, country FROM subsidiary"}).json()["items"]
    assert (made["subsidiary"], "FR") in [(r["id"], r["country"]) for r in rows]
    states.given("no subsidiary exists for legal entity {country}", {"country": "FR"})
    states.teardown()


def test_an_unknown_record_type_is_refused(states: States) -> None:
    response = states.setup("no widget has external id {external_id}", {"external_id": "x"})
    assert response.status_code == 400
    states.teardown()
