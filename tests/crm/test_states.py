"""The CRM fake's provider states: records with the ids the pact names, read back through
the REST API with the session token the setup answered, their change events published;
teardown empties the org."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.servers import ServerThread
from simulators.crm.app import create_app
from simulators.crm.ids import to_18
from simulators.engine.settings import SimSettings
from tests.contracts.states import States

DATA = "/services/data/v59.0"
ACCOUNT = to_18("001000000000Acm")
OPP = to_18("006000000000Acm")
CONTRACT = to_18("800000000000Acm")
ORDER = to_18("801000000000Acm")


@pytest.fixture(scope="module")
def states() -> Iterator[States]:
    app = create_app(SimSettings(seed=3, limits=False))
    with ServerThread(app) as server, httpx.Client(base_url=server.url) as client:
        yield States(client, "pact-verifier-crm")


def test_an_opportunity_closed_won_with_its_lines(states: States) -> None:
    states.given("an opportunity {opportunity} of account {account} is closed won",
                 {"opportunity": OPP, "account": ACCOUNT, "currency": "EUR",
                  "legal_entity": "DE",
                  "lines": [{"product_code": "PLAT", "quantity": 3},
                            {"product_code": "SEAT", "quantity": 1}]})
    opp = states.get(f"{DATA}/sobjects/Opportunity/{OPP}").json()
    assert opp["StageName"] == "Closed Won" and opp["AccountId"] == ACCOUNT
    rows = states.get(f"{DATA}/query", q="SELECT Product2.ProductCode, Quantity FROM "
                      f"OpportunityLineItem WHERE OpportunityId = '{OPP}'").json()["records"]
    assert sorted((r["Product2"]["ProductCode"], r["Quantity"]) for r in rows) == [
        ("PLAT", 3), ("SEAT", 1)]
    account = states.get(f"{DATA}/sobjects/Account/{ACCOUNT}").json()
    assert account["Legal_Entity__c"] == "DE" and account["CurrencyIsoCode"] == "EUR"
    events = states.get(f"{DATA}/fintwin/changeEvents", replayId="0").json()
    kinds = [(e["payload"]["ChangeEventHeader"]["entityName"],
              e["payload"]["ChangeEventHeader"]["changeType"]) for e in events["events"]]
    assert kinds[-1] == ("Opportunity", "UPDATE")
    assert "StageName" in events["events"][-1]["payload"]["ChangeEventHeader"]["changedFields"]
    states.teardown()
    assert states.client.get(f"{DATA}/sobjects/Account/{ACCOUNT}", headers={
        "Authorization": states.values["authorization"]}).status_code == 401


def test_an_order_amending_a_contract_was_activated(states: States) -> None:
    states.given("an order {order} amending contract {contract} was activated",
                 {"order": ORDER, "contract": CONTRACT, "account": ACCOUNT,
                  "subscription": "sub_Amended", "lines": [{"product_code": "PLAT",
                                                            "quantity": 5}]})
    contract = states.get(f"{DATA}/sobjects/Contract/{CONTRACT}").json()
    assert contract["Status"] == "Activated"
    assert contract["Billing_Subscription_Id__c"] == "sub_Amended"
    order = states.get(f"{DATA}/sobjects/Order/{ORDER}").json()
    assert order["Status"] == "Activated" and order["ContractId"] == CONTRACT
    states.teardown()


def test_cancel_at_period_end_and_the_name_carries_the_value(states: States) -> None:
    states.given(f"contract {CONTRACT} was set to cancel at period end",
                 {"subscription": "sub_Ending", "account": ACCOUNT})
    contract = states.get(f"{DATA}/sobjects/Contract/{CONTRACT}").json()
    assert contract["Cancel_At_Period_End__c"] is True
    states.teardown()


def test_a_bad_id_is_refused_by_name(states: States) -> None:
    response = states.setup("an account {account} exists", {"account": OPP})
    assert response.status_code == 400 and response.json()["error"]["param"] == "account"
