"""sObject Tree with simple-salesforce (REST API Developer Guide, "sObject Tree"): nested
parent-child records created in request order, all or none, at most 200 records."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce, SalesforceMalformedRequest

from tests.crm.conftest import Server


@pytest.fixture
def sf(server: Server) -> Salesforce:
    return server.salesforce()[0]


def _tree(sf: Salesforce, sobject: str, records: list[dict[str, Any]]) -> Any:
    return sf.restful(f"composite/tree/{sobject}", method="POST", json={"records": records})


def _account(ref: str, name: str, **children: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Account", "referenceId": ref}, "Name": name, **children}


def _contact(ref: str, last: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"attributes": {"type": "Contact", "referenceId": ref}}
    if last is not None:
        body["LastName"] = last
    return body


def test_nested_trees_are_created_in_order_with_their_parents_ids(sf: Salesforce) -> None:
    answer = _tree(sf, "Account", [
        _account("acme", "Acme", Contacts={"records": [_contact("ann", "Ann"),
                                                       _contact("bob", "Bob")]},
                 Opportunities={"records": [{
                     "attributes": {"type": "Opportunity", "referenceId": "deal"},
                     "Name": "Acme deal", "StageName": "Prospecting",
                     "CloseDate": "2024-03-01"}]}),
        _account("globex", "Globex"),
    ])
    assert answer["hasErrors"] is False
    refs = [r["referenceId"] for r in answer["results"]]
    assert refs == ["acme", "ann", "bob", "deal", "globex"]
    ids = {r["referenceId"]: r["id"] for r in answer["results"]}
    assert ids["acme"].startswith("001") and ids["ann"].startswith("003")
    contacts = sf.query(f"SELECT LastName FROM Contact WHERE AccountId = '{ids['acme']}' "
                        "ORDER BY LastName")
    assert [c["LastName"] for c in contacts["records"]] == ["Ann", "Bob"]
    assert sf.Opportunity.get(ids["deal"])["AccountId"] == ids["acme"]


def test_one_bad_record_fails_the_whole_request_and_is_the_only_one_named(
        sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as failed:
        _tree(sf, "Account", [
            _account("ok", "Initech Tree", Contacts={"records": [_contact("good", "Good"),
                                                                 _contact("bad", None)]})])
    body = failed.value.content
    assert body["hasErrors"] is True
    assert len(body["results"]) == 1
    result = body["results"][0]
    assert result["referenceId"] == "bad"
    assert result["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert result["errors"][0]["fields"] == ["LastName"]
    # All or none: the account and the good contact were not kept.
    assert sf.query("SELECT Id FROM Account WHERE Name = 'Initech Tree'")["totalSize"] == 0


@pytest.mark.parametrize(
    ("records", "code"),
    [
        ([_account(f"a{n}", f"A{n}") for n in range(201)], "EXCEEDED_ID_LIMIT"),
        ([_account("same", "One"), _account("same", "Two")], "INVALID_INPUT"),
        ([_contact("c", "Root contact")], "INVALID_INPUT"),
        ([{"Name": "No attributes"}], "JSON_PARSER_ERROR"),
    ],
)
def test_the_limits_and_the_shape_are_checked_before_anything_is_written(
        sf: Salesforce, records: list[dict[str, Any]], code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        _tree(sf, "Account", records)
    assert refused.value.content[0]["errorCode"] == code
    assert sf.query("SELECT Id FROM Account")["totalSize"] == 0


def test_two_hundred_unrelated_records_of_one_type(sf: Salesforce) -> None:
    answer = _tree(sf, "Account", [_account(f"r{n}", f"Bulk {n}") for n in range(200)])
    assert len(answer["results"]) == 200
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 200
