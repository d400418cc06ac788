"""The API versions the CRM fake serves, as Salesforce does (REST API Developer Guide, "API
End-of-Life Policy": 31.0 to the current release are served; 21.0-30.0 are retired since
Summer '25 and 7.0-20.0 since Summer '22, and "REST API returns the 410:GONE error code"
for them). jsforce defaults to v50.0, so a jsforce connection with no version must work."""

from __future__ import annotations

import pytest
from simple_salesforce import SalesforceGeneralError, SalesforceResourceNotFound

from simulators.crm.context import release_name
from tests.crm.conftest import Org, Server, in_org


@pytest.mark.parametrize(
    ("version", "status"),
    [
        ("6.0", 404),
        ("7.0", 410),
        ("20.0", 410),
        ("21.0", 410),
        ("30.0", 410),
        ("31.0", 200),
        ("50.0", 200),
        ("59.0", 200),
        ("68.0", 200),
        ("69.0", 404),
        ("59", 404),
        ("59.00", 404),
        ("latest", 404),
    ],
)
def test_versions_31_to_68_are_served_retired_ones_gone_others_not_found(
        version: str, status: int) -> None:
    async def check(org: Org) -> None:
        r = await org.client.get(f"/services/data/v{version}/limits", headers=org.auth)
        assert r.status_code == status, r.text
        assert r.headers["Sforce-Limit-Info"].startswith("api-usage=")
        if status != 200:
            error = r.json()[0]
            assert error["errorCode"] == ("GONE" if status == 410 else "NOT_FOUND")
            if status == 410:
                assert version in error["message"]

    in_org(check)


def test_a_retired_version_is_gone_on_any_path_even_one_the_fake_lacks() -> None:
    async def check(org: Org) -> None:
        for path in ("sobjects/Account/001000000000000AAA", "no/such/resource"):
            r = await org.client.get(f"/services/data/v25.0/{path}", headers=org.auth)
            assert r.status_code == 410, r.text
            assert r.json()[0]["errorCode"] == "GONE"
        # Without a session it is still 401 first, as for any API path.
        r = await org.client.get("/services/data/v25.0/limits")
        assert r.status_code == 401

    in_org(check)


def test_version_list_names_every_served_version_with_its_release() -> None:
    async def check(org: Org) -> None:
        r = await org.client.get("/services/data/")
        assert r.status_code == 200
        body = r.json()
        assert [v["version"] for v in body] == [f"{n}.0" for n in range(31, 69)]
        assert body[0] == {"label": "Summer '14", "url": "/services/data/v31.0",
                           "version": "31.0"}
        assert body[-1]["url"] == "/services/data/v68.0"

    in_org(check)


@pytest.mark.parametrize(("major", "name"), [(31, "Summer '14"), (32, "Winter '15"),
                                              (33, "Spring '15"), (50, "Winter '21"),
                                              (52, "Summer '21"), (62, "Winter '25"),
                                              (64, "Summer '25"), (68, "Winter '27")])
def test_release_names_follow_the_developer_guides_release_menu(major: int, name: str) -> None:
    assert release_name(major) == name


def test_sobject_collections_start_at_42() -> None:
    """sObject Collections: "available in API version 42.0 and later"."""
    async def check(org: Org) -> None:
        body = {"records": [{"attributes": {"type": "Account"}, "Name": "Acme"}]}
        old = await org.client.post("/services/data/v41.0/composite/sobjects", json=body,
                                     headers=org.auth)
        assert old.status_code == 404 and old.json()[0]["errorCode"] == "NOT_FOUND"
        new = await org.client.post("/services/data/v42.0/composite/sobjects", json=body,
                                    headers=org.auth)
        assert new.status_code == 200, new.text
        assert new.json()[0]["success"] is True

    in_org(check)


def test_simple_salesforce_at_jsforces_default_v50(server: Server) -> None:
    """jsforce (and any client pinned to v50.0) works unchanged: CRUD, query, describe."""
    client, org = server.salesforce(version="50.0")
    created = client.Account.create({"Name": "Acme at v50"})
    record = client.Account.get(created["id"])
    assert record["attributes"]["url"] == f"/services/data/v50.0/sobjects/Account/{created['id']}"
    found = client.query(f"SELECT Id, Name FROM Account WHERE Id = '{created['id']}'")
    assert found["totalSize"] == 1 and found["records"][0]["Name"] == "Acme at v50"
    assert client.Account.describe()["urls"]["sobject"] == "/services/data/v50.0/sobjects/Account"
    # An upsert that updates answers 204 before v46.0 and 200 with a body after.
    client.Account.update(created["id"], {"External_Id__c": "acme-v50"})
    assert client.Account.upsert("External_Id__c/acme-v50", {"Name": "Acme again"}) == 200
    old, _ = server.salesforce(org, version="45.0")
    assert old.Account.upsert("External_Id__c/acme-v50", {"Name": "Acme once more"}) == 204


def test_simple_salesforce_at_a_retired_version_gets_410(server: Server) -> None:
    client, _ = server.salesforce(version="30.0")
    with pytest.raises(SalesforceGeneralError) as gone:
        client.Account.create({"Name": "Too old"})
    assert gone.value.status == 410
    assert gone.value.content[0]["errorCode"] == "GONE"
    future, _ = server.salesforce(version="99.0")
    with pytest.raises(SalesforceResourceNotFound):
        future.query("SELECT Id FROM Account")
