"""Provider verification of pacts other teams write against the documented provider states:
written by hand here (as another Pact library would write them), verified against the
fakes; a broken one fails, naming the interaction and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.contracts.pactfiles import find
from harness.contracts.verify import Target, verify, verify_provider
from simulators.crm.ids import to_18

ACCOUNT = to_18("001000000000Xyz")


def pact(consumer: str, provider: str, interactions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"consumer": {"name": consumer}, "provider": {"name": provider},
            "interactions": interactions,
            "metadata": {"pactSpecification": {"version": "4.0"}}}


def http(description: str, states: list[dict[str, Any]], method: str, path: str,
         response: dict[str, Any], *, query: dict[str, list[str]] | None = None,
         headers: dict[str, list[str]] | None = None,
         rules: dict[str, Any] | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"method": method, "path": path,
                               "headers": headers or {"Authorization": ["Bearer sk_test_teamx"]}}
    if query:
        request["query"] = query
    return {"type": "Synchronous/HTTP", "description": description, "providerStates": states,
            "request": request,
            "response": {"status": 200, "body": {"content": response,
                                                 "contentType": "application/json"},
                         "matchingRules": {"body": rules or {}}}}


def message(description: str, states: list[dict[str, Any]], content: dict[str, Any],
            rules: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "Asynchronous/Messages", "description": description,
            "providerStates": states,
            "contents": {"content": content, "contentType": "application/json"},
            "matchingRules": {"body": rules or {}}}


TYPE = {"combine": "AND", "matchers": [{"match": "type"}]}
CUSTOMER_STATE = [{"name": "a customer {customer} with a default card exists",
                   "params": {"customer": "cus_TeamX1"}}]
PAID_PRE_BASIL = [{"name": "the billing account is on API version {version}",
                   "params": {"version": "2024-06-20"}},
                  {"name": "an invoice for subscription {subscription} was paid",
                   "params": {"subscription": "sub_TeamX1", "customer": "cus_TeamX1"}}]


def team_pacts(tmp_path: Path, *, broken: bool = False) -> Path:
    customer = {"id": "cus_TeamX1", "email": None, "delinquent": False}
    if broken:
        customer["loyalty_tier"] = "gold"  # a field Stripe does not send
    billing = pact("team-x-billing-sync", "stripe", [
        http("get the customer", CUSTOMER_STATE, "GET", "/v1/customers/cus_TeamX1", customer,
             rules={"$.delinquent": TYPE}),
        message("an invoice was paid", PAID_PRE_BASIL,
                {"type": "invoice.paid", "data": {"object": {
                    "id": "in_1", "subscription": "sub_TeamX1", "amount_paid": 100,
                    **({"paid_by": "card"} if broken else {})}}},
                rules={"$.data.object.id": TYPE, "$.data.object.amount_paid": TYPE}),
    ])
    crm = pact("team-x-billing-sync", "salesforce", [
        # The state's value written into its name, as some teams do.
        http("find the account", [{"name": f"an account {ACCOUNT} exists"}], "GET",
             "/services/data/v58.0/query",
             {"totalSize": 1, "records": [{"Id": ACCOUNT, "Name": "Acme Corp"}]},
             query={"q": [f"SELECT Id, Name FROM Account WHERE Id = '{ACCOUNT}'"]},
             headers={"Authorization": ["Bearer 00Dxx!team-x-token"]},
             rules={"$.records[0].Name": TYPE, "$.totalSize": TYPE}),
    ])
    out = tmp_path / ("broken" if broken else "good")
    out.mkdir()
    (out / "team-x-billing.json").write_text(json.dumps(billing))
    (out / "team-x-crm.json").write_text(json.dumps(crm))
    return out


def test_a_pact_written_by_another_team_verifies(tmp_path: Path) -> None:
    pacts = find([team_pacts(tmp_path)])
    results = verify(pacts, [Target("billing"), Target("crm")])
    for result in results:
        assert result.ok, [(c.description, c.mismatches) for c in result.checks]
    billing = results[0]
    assert {c.description: c.kind for c in billing.checks} == {
        "get the customer": "http", "an invoice was paid": "message"}
    assert [c.pinned for c in billing.checks if c.kind == "message"] == ["2024-06-20"]


def test_a_broken_pact_fails_naming_the_interaction_and_the_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = team_pacts(tmp_path, broken=True)
    code = main(["contracts", "verify", "--pacts", str(folder), "--provider", "billing",
                 "--json", str(tmp_path / "result.json")])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL team-x-billing-sync: get the customer" in out
    assert "loyalty_tier" in out
    assert "FAIL team-x-billing-sync: an invoice was paid [pinned to 2024-06-20]" in out
    assert "paid_by" in out
    [result] = json.loads((tmp_path / "result.json").read_text())
    failed = {c["description"]: c for c in result["checks"] if not c["ok"]}
    assert set(failed) == {"get the customer", "an invoice was paid"}
    assert failed["get the customer"]["mismatches"][0]["path"] == "$"


def test_a_later_api_version_breaks_what_moved_unless_pinned(tmp_path: Path) -> None:
    pacts = find([team_pacts(tmp_path)])
    pinned = verify_provider(Target("billing", api_version="2025-03-31.basil"), pacts)
    assert pinned.ok  # the message keeps the version its state pins
    moved = verify_provider(Target("billing", api_version="2025-03-31.basil",
                                   override_pins=True), pacts)
    [paid] = [c for c in moved.checks if c.description == "an invoice was paid"]
    assert not paid.ok
    assert any("subscription" in str(m.get("mismatch")) for m in paid.mismatches)
    [customer] = [c for c in moved.checks if c.description == "get the customer"]
    assert customer.ok


def test_the_crm_version_of_every_request_can_be_moved(tmp_path: Path) -> None:
    pacts = find([team_pacts(tmp_path)])
    retired = verify_provider(Target("crm", api_version="30.0"), pacts)
    [check] = retired.checks
    assert not check.ok  # Salesforce answers 410 for the retired versions up to v30.0
    assert verify_provider(Target("crm", api_version="62.0"), pacts).ok


def test_an_unknown_state_fails_by_name(tmp_path: Path) -> None:
    bad = pact("team-y", "billing", [
        http("get a unicorn", [{"name": "a unicorn exists"}], "GET", "/v1/customers/cus_1",
             {"id": "cus_1"})])
    (tmp_path / "y.json").write_text(json.dumps(bad))
    result = verify_provider(Target("billing"), find([tmp_path]))
    [check] = result.checks
    assert not check.ok
    [reason] = [m for m in check.mismatches if m["type"] == "providerState"]
    assert reason["path"] == "state 'a unicorn exists'"
    assert "Unknown provider state" in reason["mismatch"] and "Known states" in reason["mismatch"]
