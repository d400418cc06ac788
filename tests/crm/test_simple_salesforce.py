"""simple-salesforce, unchanged, against the CRM fake served over TLS by uvicorn."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest
import requests
from simple_salesforce import (
    Salesforce,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from tests.crm.conftest import Server

Sf = tuple[Salesforce, str]


@pytest.fixture
def sf(server: Server) -> Sf:
    return server.salesforce()


def test_crud_round_trip(sf: Sf) -> None:
    client, _ = sf
    created = client.Account.create({"Name": "Acme", "Industry": "Technology"})
    assert created["success"] is True and created["errors"] == []
    account_id = created["id"]
    assert len(account_id) == 18 and account_id.startswith("001")

    record = client.Account.get(account_id)
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v59.0/sobjects/Account/{account_id}",
    }
    assert record["Name"] == "Acme" and record["Industry"] == "Technology"
    assert record["CreatedDate"] == "2024-01-31T10:00:00.000+0000"

    assert client.Account.update(account_id, {"Name": "Acme Corp"}) == 204
    assert client.Account.get(account_id)["Name"] == "Acme Corp"
    # A 15-character id reaches the same record.
    assert client.Account.get(account_id[:15])["Id"] == account_id

    assert client.Account.delete(account_id) == 204
    with pytest.raises(SalesforceResourceNotFound):
        client.Account.get(account_id)


def test_bad_input_surfaces_as_malformed_request_naming_the_field(sf: Sf) -> None:
    client, _ = sf
    with pytest.raises(SalesforceMalformedRequest) as missing:
        client.Opportunity.create({"Name": "No stage"})
    assert missing.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert set(missing.value.content[0]["fields"]) == {"StageName", "CloseDate"}
    with pytest.raises(SalesforceMalformedRequest) as picklist:
        client.Opportunity.create({"Name": "x", "StageName": "Won-ish", "CloseDate": "2024-02-01"})
    assert picklist.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert picklist.value.content[0]["fields"] == ["StageName"]


def test_upsert_by_external_id_creates_then_updates(sf: Sf) -> None:
    client, _ = sf
    assert client.Account.upsert("External_Id__c/cust-42", {"Name": "First"}) == 201
    assert client.Account.upsert("External_Id__c/cust-42", {"Name": "Second"}) == 200
    found = client.Account.get_by_custom_id("External_Id__c", "cust-42")
    assert found["Name"] == "Second"
    rows = client.query("SELECT Id FROM Account WHERE External_Id__c = 'cust-42'")
    assert rows["totalSize"] == 1


def test_upsert_with_several_matches_is_300(server: Server, sf: Sf) -> None:
    client, tenant = sf
    server.control(
        "POST",
        "/_sim/crm/fields",
        tenant,
        {
            "sobject": "Account",
            "name": "Legacy_Code__c",
            "type": "string",
            "externalId": True,
            "unique": False,
        },
    )
    client.Account.create({"Name": "A", "Legacy_Code__c": "dup"})
    client.Account.create({"Name": "B", "Legacy_Code__c": "dup"})
    with pytest.raises(SalesforceMoreThanOneRecord) as exc:
        client.Account.upsert("Legacy_Code__c/dup", {"Name": "C"})
    assert len(exc.value.content) == 2
    assert all(
        url.startswith("/services/data/v59.0/sobjects/Account/") for url in exc.value.content
    )


def test_query_all_pages_through_several_batches(sf: Sf) -> None:
    client, _ = sf
    for start in range(0, 450, 150):
        records = [
            {"attributes": {"type": "Account"}, "Name": f"Acct {i:03d}"}
            for i in range(start, start + 150)
        ]
        results = client.restful(
            "composite/sobjects", method="POST", json={"allOrNone": True, "records": records}
        )
        assert all(r["success"] for r in results)
    headers = {"Sforce-Query-Options": "batchSize=200"}
    first = client.query("SELECT Id, Name FROM Account ORDER BY Name", headers=headers)
    assert first["totalSize"] == 450 and first["done"] is False
    assert len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/")

    everything = client.query_all("SELECT Id, Name FROM Account ORDER BY Name", headers=headers)
    names = [r["Name"] for r in everything["records"]]
    assert names == [f"Acct {i:03d}" for i in range(450)]
    assert everything["totalSize"] == 450


def test_relationship_and_child_queries(sf: Sf) -> None:
    client, _ = sf
    account = client.Account.create({"Name": "Parent Co"})["id"]
    book = client.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")["records"][0]["Id"]
    product = client.Product2.create({"Name": "Seat", "IsActive": True})["id"]
    entry = client.PricebookEntry.create(
        {"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 49.99, "IsActive": True}
    )["id"]
    opp = client.Opportunity.create(
        {
            "Name": "Seats",
            "StageName": "Prospecting",
            "CloseDate": "2024-04-30",
            "AccountId": account,
        }
    )["id"]
    client.OpportunityLineItem.create(
        {"OpportunityId": opp, "PricebookEntryId": entry, "Quantity": 3, "UnitPrice": 49.99}
    )
    client.Opportunity.update(opp, {"StageName": "Closed Won"})

    result = client.query(
        "SELECT Id, Amount, IsWon, IsClosed, Account.Name, "
        "(SELECT Quantity, TotalPrice, Product2.Name FROM OpportunityLineItems) "
        f"FROM Opportunity WHERE Id = '{opp}'"
    )
    row = result["records"][0]
    assert row["Account"]["Name"] == "Parent Co"
    assert row["IsWon"] is True and row["IsClosed"] is True
    assert row["Amount"] == pytest.approx(149.97)
    lines = row["OpportunityLineItems"]["records"]
    assert lines[0]["TotalPrice"] == pytest.approx(149.97)
    assert lines[0]["Product2"]["Name"] == "Seat"

    parents = client.query(
        f"SELECT Name, (SELECT Name FROM Opportunities) FROM Account WHERE Id = '{account}'"
    )
    assert parents["records"][0]["Opportunities"]["records"][0]["Name"] == "Seats"


def test_composite_with_references(sf: Sf) -> None:
    client, _ = sf
    body: dict[str, Any] = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Account",
                "referenceId": "acct",
                "body": {"Name": "Composite Co"},
            },
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Contact",
                "referenceId": "person",
                "body": {"LastName": "Lovelace", "AccountId": "@{acct.id}"},
            },
            {
                "method": "GET",
                "url": "/services/data/v59.0/sobjects/Contact/@{person.id}",
                "referenceId": "read",
            },
        ],
    }
    answer = client.restful("composite", method="POST", json=body)
    statuses = [r["httpStatusCode"] for r in answer["compositeResponse"]]
    assert statuses == [201, 201, 200]
    read = answer["compositeResponse"][2]["body"]
    assert read["AccountId"] == answer["compositeResponse"][0]["body"]["id"]
    assert read["Name"] == "Lovelace"


def test_describe(sf: Sf) -> None:
    client, _ = sf
    everything = client.describe()
    assert {"Account", "Opportunity", "Quote", "OrderItem"} <= {
        o["name"] for o in everything["sobjects"]
    }
    opp = client.Opportunity.describe()
    fields = {f["name"]: f for f in opp["fields"]}
    assert fields["External_Id__c"]["externalId"] is True
    assert "Closed Won" in [v["value"] for v in fields["StageName"]["picklistValues"]]
    assert opp["keyPrefix"] == "006"


def test_api_usage_comes_from_the_limit_info_header(sf: Sf) -> None:
    client, _ = sf
    client.query("SELECT Id FROM Account")
    first = client.api_usage["api-usage"]
    client.query("SELECT Id FROM Account")
    second = client.api_usage["api-usage"]
    assert second.used == first.used + 1
    assert second.total == 100_000
    limits = client.limits()
    assert limits["DailyApiRequests"]["Max"] == 100_000


def test_expired_token_raises_expired_session(server: Server, sf: Sf) -> None:
    client, tenant = sf
    client.query("SELECT Id FROM Account")
    server.control("POST", "/_sim/clock/advance", tenant, {"seconds": 7201})
    with pytest.raises(SalesforceExpiredSession) as exc:
        client.query("SELECT Id FROM Account")
    assert exc.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_unknown_token_is_invalid_session(server: Server) -> None:
    client = Salesforce(
        instance_url=server.url,
        session_id="00D000000000000!nope",
        session=server.session(),
        version="59.0",
    )
    with pytest.raises(SalesforceExpiredSession):
        client.Account.describe()


def test_daily_allocation_exhausted_is_refused_request(server: Server, sf: Sf) -> None:
    client, tenant = sf
    server.control("PUT", "/_sim/crm/limits", tenant, {"daily_api_requests": 3})
    client.query("SELECT Id FROM Account")
    client.query("SELECT Id FROM Account")
    client.query("SELECT Id FROM Account")
    with pytest.raises(SalesforceRefusedRequest) as exc:
        client.query("SELECT Id FROM Account")
    assert exc.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    # A new business day brings a new allocation.
    server.control("POST", "/_sim/clock/advance", tenant, {"seconds": 86400})
    fresh, _ = server.salesforce(tenant)
    assert fresh.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_bad_soql_is_malformed_query(sf: Sf) -> None:
    client, _ = sf
    with pytest.raises(SalesforceMalformedRequest) as exc:
        client.query("SELECT Id FORM Account")
    assert exc.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as field:
        client.query("SELECT Nope FROM Account")
    assert field.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_versions_retired_are_gone_and_unknown_not_found(server: Server, sf: Sf) -> None:
    _, tenant = sf
    s = server.session()
    tok = server.token(tenant)
    ok = s.get(
        f"{server.url}/services/data/v62.0/limits", headers={"Authorization": f"Bearer {tok}"}
    )
    old = s.get(
        f"{server.url}/services/data/v20.0/limits", headers={"Authorization": f"Bearer {tok}"}
    )
    unknown = s.get(
        f"{server.url}/services/data/v99.0/limits", headers={"Authorization": f"Bearer {tok}"}
    )
    assert ok.status_code == 200
    assert old.status_code == 410 and old.json()[0]["errorCode"] == "GONE"
    assert unknown.status_code == 404 and unknown.json()[0]["errorCode"] == "NOT_FOUND"
    assert "Sforce-Limit-Info" in old.headers


def test_password_grant_and_bad_credentials(server: Server) -> None:
    s: requests.Session = server.session()
    url = f"{server.url}/services/oauth2/token"
    form = {
        "grant_type": "password",
        "client_id": "pw-client",
        "client_secret": "cs",
        "username": "ops@example.com",
        "password": "hunter2",
    }
    ok = s.post(url, data=form)
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer"
    bad = s.post(url, data={**form, "password": "wrong"})
    assert bad.status_code == 400
    assert bad.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    assert isinstance(ok.json(), dict | OrderedDict)
