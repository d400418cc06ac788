"""The CRM's operations: declared once, routed over HTTP and inside composite the same way,
and Salesforce's 401, 404 and 405 for what no operation takes."""

from __future__ import annotations

from simulators.crm.api import OPERATIONS
from simulators.crm.pipeline import pipeline
from tests.crm.conftest import DATA, Org, in_org


def test_steps_per_operation() -> None:
    steps, _ = pipeline(OPERATIONS)
    steps.routes(OPERATIONS)
    assert steps.endpoints["createRecord"].steps == ("authenticate", "version", "read",
                                                     "validate", "call")
    assert steps.endpoints["oauthToken"].steps == ("read", "validate", "call")
    assert steps.endpoints["identity"].steps == ("authenticate", "validate", "call")


def test_a_method_the_resource_does_not_take_is_405_naming_those_it_does() -> None:
    async def check(org: Org) -> None:
        r = await org.client.post(DATA + "/limits", headers=org.auth, json={})
        assert r.status_code == 405
        assert r.json()[0]["message"] == "HTTP Method 'POST' not allowed. Allowed are HEAD,GET"
        r = await org.client.put(DATA + "/composite/sobjects", headers=org.auth, json={})
        assert r.json()[0]["message"].endswith("Allowed are POST,PATCH,DELETE")

    in_org(check)


def test_an_unknown_resource_is_401_without_a_session_and_404_with_one() -> None:
    async def check(org: Org) -> None:
        assert (await org.client.get(DATA + "/nothing/here")).status_code == 401
        r = await org.client.get(DATA + "/nothing/here", headers=org.auth)
        assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"

    in_org(check)


def test_a_subrequest_is_routed_like_a_request() -> None:
    async def check(org: Org) -> None:
        r = await org.client.post(DATA + "/composite", headers=org.auth, json={
            "compositeRequest": [
                {"method": "POST", "url": DATA + "/sobjects/Account", "referenceId": "acct",
                 "body": {"Name": "Acme"}},
                {"method": "GET", "url": DATA + "/sobjects/Account/@{acct.id}?fields=Name",
                 "referenceId": "read"},
                {"method": "GET", "url": DATA + "/nothing", "referenceId": "missing"},
                {"method": "PUT", "url": DATA + "/limits", "referenceId": "wrong"},
                {"method": "GET", "url": DATA + "/sobjects/Account/updated?start=x&end=y",
                 "referenceId": "bad"}]})
        answers = {a["referenceId"]: a for a in r.json()["compositeResponse"]}
        assert answers["read"]["body"]["Name"] == "Acme"
        assert answers["missing"]["httpStatusCode"] == 404
        assert answers["wrong"]["httpStatusCode"] == 405
        # The declared parameters are checked for a subrequest too, in Salesforce's words.
        assert answers["bad"]["body"][0]["message"] == "start is not a valid dateTime: x"

    in_org(check)


def test_the_document_lists_each_operation() -> None:
    async def check(org: Org) -> None:
        doc = (await org.client.get("/_sim/openapi.json")).json()["paths"]
        for op in OPERATIONS:
            entry = doc[op.path][op.method.lower()]
            assert entry["operationId"] == op.operation_id
            assert entry.get("description", "") == op.docs

    in_org(check)
