"""Composite and sObject Collections: references, allOrNone rollback, per-record results."""

from __future__ import annotations

from typing import Any

from tests.crm.conftest import DATA, Org, in_org


def _sub(method: str, url: str, ref: str, body: Any = None) -> dict[str, Any]:
    sub: dict[str, Any] = {"method": method, "url": DATA + url, "referenceId": ref}
    if body is not None:
        sub["body"] = body
    return sub


def test_all_or_none_rolls_back_every_subrequest() -> None:
    async def check(org: Org) -> None:
        r = await org.post(
            "/composite",
            {
                "allOrNone": True,
                "compositeRequest": [
                    _sub("POST", "/sobjects/Account", "a", {"Name": "Kept?"}),
                    _sub("POST", "/sobjects/Contact", "c", {"AccountId": "@{a.id}"}),
                    _sub("GET", "/sobjects/Account/@{a.id}", "g"),
                ],
            },
        )
        assert r.status_code == 200
        results = r.json()["compositeResponse"]
        assert [x["httpStatusCode"] for x in results] == [400, 400, 400]
        assert results[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
        assert results[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
        assert (await org.query("SELECT COUNT() FROM Account"))["totalSize"] == 0
        events = (await org.control("GET", "/_sim/crm/events")).json()["events"]
        assert events == []

    in_org(check)


def test_without_all_or_none_failures_stay_local() -> None:
    async def check(org: Org) -> None:
        r = await org.post(
            "/composite",
            {
                "compositeRequest": [
                    _sub("POST", "/sobjects/Account", "a", {"Name": "Kept"}),
                    _sub("POST", "/sobjects/Account", "bad", {}),
                    _sub("PATCH", "/sobjects/Account/@{a.id}", "u", {"Phone": "555"}),
                    _sub("GET", "/sobjects/Account/@{bad.id}", "dangling"),
                    _sub("GET", "/query?q=SELECT+Name,Phone+FROM+Account", "q"),
                ]
            },
        )
        results = r.json()["compositeResponse"]
        assert [x["httpStatusCode"] for x in results] == [201, 400, 204, 400, 200]
        assert results[0]["httpHeaders"]["Location"].startswith(DATA + "/sobjects/Account/")
        assert "Invalid reference specified" in results[3]["body"][0]["message"]
        assert results[4]["body"]["records"][0]["Phone"] == "555"

    in_org(check)


def test_composite_limits_and_shape_errors() -> None:
    async def check(org: Org) -> None:
        many = [_sub("GET", "/limits", f"r{i}") for i in range(26)]
        r = await org.post("/composite", {"compositeRequest": many})
        assert r.status_code == 400
        r = await org.post("/composite", {"compositeRequest": "nope"})
        assert r.status_code == 400 and r.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
        r = await org.post(
            "/composite",
            {"compositeRequest": [_sub("POST", "/composite", "nested", {"compositeRequest": []})]},
        )
        assert r.json()["compositeResponse"][0]["httpStatusCode"] == 400

    in_org(check)


def test_collections_create_update_upsert_retrieve_delete() -> None:
    async def check(org: Org) -> None:
        r = await org.post(
            "/composite/sobjects",
            {
                "allOrNone": False,
                "records": [
                    {"attributes": {"type": "Account"}, "Name": "One"},
                    {"attributes": {"type": "Account"}},
                    {"attributes": {"type": "Contact"}, "LastName": "Two"},
                ],
            },
        )
        results = r.json()
        assert [x["success"] for x in results] == [True, False, True]
        assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
        account, contact = results[0]["id"], results[2]["id"]

        r = await org.client.patch(
            DATA + "/composite/sobjects",
            headers=org.auth,
            json={"records": [{"attributes": {"type": "Account"}, "Id": account, "Phone": "1"}]},
        )
        assert r.json() == [{"id": account, "success": True, "errors": []}]

        r = await org.client.patch(
            DATA + "/composite/sobjects/Account/External_Id__c",
            headers=org.auth,
            json={
                "records": [
                    {"attributes": {"type": "Account"}, "Name": "New", "External_Id__c": "e-1"}
                ]
            },
        )
        assert r.json()[0]["created"] is True

        r = await org.get(
            "/composite/sobjects/Account",
            params={"ids": f"{account},{contact}", "fields": "Name,Phone"},
        )
        assert r.json()[0]["Phone"] == "1" and r.json()[1] is None

        r = await org.client.delete(
            DATA + "/composite/sobjects", headers=org.auth, params={"ids": f"{account},{contact}"}
        )
        assert [x["success"] for x in r.json()] == [True, True]

    in_org(check)


def test_collection_all_or_none_reports_rolled_back_records() -> None:
    async def check(org: Org) -> None:
        r = await org.post(
            "/composite/sobjects",
            {
                "allOrNone": True,
                "records": [
                    {"attributes": {"type": "Account"}, "Name": "Fine"},
                    {"attributes": {"type": "Account"}, "Name": "Bad", "Industry": "Piracy"},
                ],
            },
        )
        results = r.json()
        assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
        assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        assert (await org.query("SELECT COUNT() FROM Account"))["totalSize"] == 0

    in_org(check)


def test_composite_takes_25_subrequests_and_collections_200_records() -> None:
    async def check(org: Org) -> None:
        r = await org.post(
            "/composite", {"compositeRequest": [_sub("GET", "/limits", f"r{i}") for i in range(25)]}
        )
        assert r.status_code == 200 and len(r.json()["compositeResponse"]) == 25
        r = await org.post(
            "/composite", {"compositeRequest": [_sub("GET", "/limits", f"r{i}") for i in range(26)]}
        )
        assert r.status_code == 400
        assert r.json()[0]["errorCode"] == "EXCEEDED_MAX_SUBREQUESTS"
        assert r.json()[0]["fields"] == ["compositeRequest"]
        records = [{"attributes": {"type": "Account"}, "Name": f"A{i}"} for i in range(201)]
        r = await org.post("/composite/sobjects", {"records": records})
        assert r.status_code == 400 and r.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
        assert (await org.query("SELECT COUNT() FROM Account"))["totalSize"] == 0
        r = await org.post("/composite/sobjects", {"records": records[:200]})
        assert r.status_code == 200 and all(x["success"] for x in r.json())
        assert (await org.query("SELECT COUNT() FROM Account"))["totalSize"] == 200

    in_org(check)


def test_all_or_none_must_be_a_boolean() -> None:
    async def check(org: Org) -> None:
        bodies: list[tuple[str, dict[str, Any]]] = [
            ("/composite", {"allOrNone": "yes", "compositeRequest": [_sub("GET", "/limits", "r")]}),
            (
                "/composite/sobjects",
                {"allOrNone": 1, "records": [{"attributes": {"type": "Account"}, "Name": "A"}]},
            ),
        ]
        for path, body in bodies:
            r = await org.post(path, body)
            assert r.status_code == 400, r.text
            assert r.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
            assert r.json()[0]["fields"] == ["allOrNone"]
        assert (await org.query("SELECT COUNT() FROM Account"))["totalSize"] == 0

    in_org(check)
