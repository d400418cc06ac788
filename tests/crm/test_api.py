"""The REST surface in-process: GET with ``fields=``, upsert with ``updateOnly``, and the
arguments of ``/updated`` and ``/deleted`` (the version range: test_versions.py)."""

from __future__ import annotations

import pytest

from tests.crm.conftest import Org, in_org


def test_get_with_fields_returns_only_those() -> None:
    async def check(org: Org) -> None:
        account = await org.create("Account", {"Name": "Acme", "Phone": "555"})
        r = await org.get(f"/sobjects/Account/{account}", params={"fields": "Name,Industry"})
        assert r.status_code == 200
        body = r.json()
        assert body["attributes"]["type"] == "Account"
        assert {k: v for k, v in body.items() if k != "attributes"} == {
            "Name": "Acme",
            "Industry": None,
        }
        bad = await org.get(f"/sobjects/Account/{account}", params={"fields": "Name,Bogus"})
        assert bad.status_code == 400
        assert bad.json()[0]["errorCode"] == "INVALID_FIELD" and "Bogus" in bad.json()[0]["message"]

    in_org(check)


def test_upsert_update_only_does_not_create() -> None:
    async def check(org: Org) -> None:
        r = await org.client.patch(
            "/services/data/v59.0/sobjects/Account/External_Id__c/ext-1",
            params={"updateOnly": "true"},
            json={"Name": "Never"},
            headers=org.auth,
        )
        assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"
        assert (await org.query("SELECT COUNT() FROM Account"))["totalSize"] == 0
        created = await org.patch("/sobjects/Account/External_Id__c/ext-1", {"Name": "Made"})
        assert created.status_code == 201 and created.json()["created"] is True
        updated = await org.client.patch(
            "/services/data/v59.0/sobjects/Account/External_Id__c/ext-1",
            params={"updateOnly": "true"},
            json={"Name": "Renamed"},
            headers=org.auth,
        )
        assert updated.status_code == 200 and updated.json()["created"] is False
        found = await org.query("SELECT Name FROM Account WHERE External_Id__c = 'ext-1'")
        assert [r["Name"] for r in found["records"]] == ["Renamed"]

    in_org(check)


@pytest.mark.parametrize("kind", ["updated", "deleted"])
def test_updated_and_deleted_name_their_bad_arguments(kind: str) -> None:
    async def check(org: Org) -> None:
        missing = await org.get(
            f"/sobjects/Account/{kind}/", params={"end": "2024-02-01T00:00:00Z"}
        )
        assert missing.status_code == 400
        assert missing.json()[0]["errorCode"] == "MISSING_ARGUMENT"
        assert "start" in missing.json()[0]["message"]
        bad = await org.get(
            f"/sobjects/Account/{kind}/",
            params={"start": "yesterday", "end": "2024-02-01T00:00:00Z"},
        )
        assert bad.status_code == 400 and "start" in bad.json()[0]["message"]
        ok = await org.get(
            f"/sobjects/Account/{kind}/",
            params={"start": "2024-01-30T00:00:00Z", "end": "2024-02-01T00:00:00Z"},
        )
        assert ok.status_code == 200 and "latestDateCovered" in ok.json()

    in_org(check)
