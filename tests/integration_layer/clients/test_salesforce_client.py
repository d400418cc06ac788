from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from integration_layer.clients.errors import (
    AmbiguousOutcome,
    PermanentError,
    SessionExpired,
    TransientError,
)
from integration_layer.clients.options import ClientOptions
from integration_layer.clients.policy import RetryPolicy
from integration_layer.clients.salesforce_client import ApiUsage, CrmClient, UpsertResult
from integration_layer.clients.sleeper import RecordingSleeper
from tests.integration_layer.clients.support import Records, run, seeded_policy

INSTANCE = "https://crm.test"
TOKEN_URL = "https://login.crm.test/services/oauth2/token"
DATA = "/services/data/v59.0"


def client(
    sleeper: RecordingSleeper | None = None,
    *,
    policy: RetryPolicy | None = None,
    recorder: Records | None = None,
) -> CrmClient:
    return CrmClient(
        INSTANCE,
        token_url=TOKEN_URL,
        client_id="cid",
        client_secret="secret",
        options=ClientOptions(policy=policy or seeded_policy(),
                              sleep=sleeper or RecordingSleeper(),
                              recorder=recorder if recorder is not None else Records()),
    )


def token(value: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={"access_token": value, "instance_url": INSTANCE, "token_type": "Bearer"},
    )


def sf_error(status: int, code: str, message: str = "boom") -> httpx.Response:
    return httpx.Response(status, json=[{"message": message, "errorCode": code, "fields": []}])


def mock_token(router: respx.MockRouter, *values: str) -> respx.Route:
    return router.post(TOKEN_URL).mock(side_effect=[token(v) for v in values])


def test_client_credentials_token_is_fetched_once_and_sent_as_bearer() -> None:
    async def scenario() -> None:
        async with client() as crm:
            await crm.get("Account", "001A")
            await crm.get("Account", "001B", fields=["Name", "Industry"])

    with respx.mock(base_url=INSTANCE) as router:
        token_route = mock_token(router, "tok-1")
        route = router.get(path__regex=rf"{DATA}/sobjects/Account/001[AB]").mock(
            return_value=httpx.Response(200, json={"Id": "001A"})
        )
        run(scenario())
    assert token_route.call_count == 1
    form = dict(parse_qsl(token_route.calls[0].request.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "cid",
        "client_secret": "secret",
    }
    assert {c.request.headers["Authorization"] for c in route.calls} == {"Bearer tok-1"}
    assert route.calls[1].request.url.params["fields"] == "Name,Industry"


def test_reauth_once_on_invalid_session_then_succeeds() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> tuple[dict[str, Any], int]:
        async with client(sleeper) as crm:
            record = await crm.get("Opportunity", "006A")
            return record, crm.token_fetches

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok-old", "tok-new")
        route = router.get(f"{DATA}/sobjects/Opportunity/006A").mock(
            side_effect=[
                sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid"),
                httpx.Response(200, json={"Id": "006A"}),
            ]
        )
        record, fetches = run(scenario())
    assert record == {"Id": "006A"}
    assert fetches == 2
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer tok-old",
        "Bearer tok-new",
    ]
    assert sleeper.delays == []  # a re-auth is not a backoff


def test_second_401_after_reauth_is_permanent() -> None:
    async def scenario() -> None:
        async with client() as crm:
            await crm.get("Opportunity", "006A")

    with respx.mock(base_url=INSTANCE) as router:
        token_route = mock_token(router, "tok-1", "tok-2")
        route = router.get(f"{DATA}/sobjects/Opportunity/006A").mock(
            return_value=sf_error(401, "INVALID_SESSION_ID")
        )
        with pytest.raises(SessionExpired) as info:
            run(scenario())
    assert info.value.vendor_code == "INVALID_SESSION_ID"
    assert route.call_count == 2
    assert token_route.call_count == 2


def test_bad_client_credentials_are_permanent() -> None:
    async def scenario() -> None:
        async with client() as crm:
            await crm.query("SELECT Id FROM Account")

    with respx.mock(base_url=INSTANCE) as router:
        router.post(TOKEN_URL).mock(
            return_value=httpx.Response(
                400,
                json={"error": "invalid_grant", "error_description": "authentication failure"},
            )
        )
        with pytest.raises(PermanentError) as info:
            run(scenario())
    assert info.value.vendor_code == "invalid_grant"


def test_request_limit_exceeded_is_transient_with_a_long_delay() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> None:
        async with client(sleeper) as crm:
            await crm.update("Account", "001A", {"Status__c": "Delinquent"})

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        route = router.patch(f"{DATA}/sobjects/Account/001A").mock(
            return_value=sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        )
        with pytest.raises(TransientError) as info:
            run(scenario())
    assert not isinstance(info.value, AmbiguousOutcome)
    assert info.value.vendor_code == "REQUEST_LIMIT_EXCEEDED"
    assert info.value.retry_after == 3600.0
    assert route.call_count == 1  # longer than max_retry_after: handed back, no sleep
    assert sleeper.delays == []


def test_request_limit_with_retry_after_waits_what_it_says() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> None:
        async with client(sleeper) as crm:
            await crm.update("Account", "001A", {"Status__c": "Delinquent"})

    limited = httpx.Response(429, headers={"Retry-After": "2"}, json=[
        {"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED", "fields": []}])
    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        route = router.patch(f"{DATA}/sobjects/Account/001A").mock(
            side_effect=[limited, httpx.Response(204)])
        run(scenario())
    assert route.call_count == 2
    assert len(sleeper.delays) == 1 and 2.0 <= sleeper.delays[0] < 3600


def test_unable_to_lock_row_is_retried() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> None:
        async with client(sleeper) as crm:
            await crm.update("Contract", "800A", {"Status": "Activated"})

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        route = router.patch(f"{DATA}/sobjects/Contract/800A").mock(
            side_effect=[sf_error(400, "UNABLE_TO_LOCK_ROW"), httpx.Response(204)]
        )
        run(scenario())
    assert route.call_count == 2
    assert len(sleeper.delays) == 1


def test_validation_error_is_permanent_with_fields() -> None:
    async def scenario() -> None:
        async with client() as crm:
            await crm.update("Account", "001A", {"Name": ""})

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        router.patch(f"{DATA}/sobjects/Account/001A").mock(
            return_value=httpx.Response(
                400,
                json=[
                    {
                        "message": "Required fields are missing: [Name]",
                        "errorCode": "REQUIRED_FIELD_MISSING",
                        "fields": ["Name"],
                    }
                ],
            )
        )
        with pytest.raises(PermanentError) as info:
            run(scenario())
    assert info.value.vendor_code == "REQUIRED_FIELD_MISSING"
    assert info.value.details["fields"] == ["Name"]


def test_query_follows_next_records_url() -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with client() as crm:
            return await crm.query("SELECT Id FROM Account")

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        first = router.get(f"{DATA}/query").mock(
            return_value=httpx.Response(
                200,
                json={
                    "totalSize": 3,
                    "done": False,
                    "nextRecordsUrl": f"{DATA}/query/01gD0000002HU6KIAW-2",
                    "records": [{"Id": "001A"}, {"Id": "001B"}],
                },
            )
        )
        second = router.get(f"{DATA}/query/01gD0000002HU6KIAW-2").mock(
            return_value=httpx.Response(
                200, json={"totalSize": 3, "done": True, "records": [{"Id": "001C"}]}
            )
        )
        records = run(scenario())
    assert [r["Id"] for r in records] == ["001A", "001B", "001C"]
    assert first.calls[0].request.url.params["q"] == "SELECT Id FROM Account"
    assert second.call_count == 1


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            httpx.Response(201, json={"id": "001N", "success": True, "created": True}),
            UpsertResult("001N", True),
        ),
        (
            httpx.Response(200, json={"id": "001E", "success": True, "created": False}),
            UpsertResult("001E", False),
        ),
        (httpx.Response(204), UpsertResult(None, False)),
    ],
)
def test_upsert_by_external_id(response: httpx.Response, expected: UpsertResult) -> None:
    async def scenario() -> UpsertResult:
        async with client() as crm:
            return await crm.upsert("Account", "Billing_Id__c", "cus 1/x", {"Name": "Acme"})

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        route = router.patch(f"{DATA}/sobjects/Account/Billing_Id__c/cus%201%2Fx").mock(
            return_value=response
        )
        assert run(scenario()) == expected
    assert route.calls[0].request.content == b'{"Name":"Acme"}'


def test_upsert_with_several_matches_is_permanent() -> None:
    async def scenario() -> None:
        async with client() as crm:
            await crm.upsert("Account", "Billing_Id__c", "cus_1", {"Name": "Acme"})

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        router.patch(f"{DATA}/sobjects/Account/Billing_Id__c/cus_1").mock(
            return_value=httpx.Response(300, json=[f"{DATA}/sobjects/Account/001A"])
        )
        with pytest.raises(PermanentError) as info:
            run(scenario())
    assert info.value.vendor_code == "MULTIPLE_CHOICES"


def test_create_is_not_retried_after_a_timeout() -> None:
    async def scenario() -> None:
        async with client() as crm:
            await crm.create("Contract", {"AccountId": "001A"})

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        route = router.post(f"{DATA}/sobjects/Contract/").mock(
            side_effect=httpx.ReadTimeout("lost")
        )
        with pytest.raises(AmbiguousOutcome) as info:
            run(scenario())
    assert route.call_count == 1
    assert info.value.idempotency_key is None


def test_create_returns_the_new_id_and_upsert_retries_a_timeout() -> None:
    async def scenario() -> tuple[str, UpsertResult]:
        async with client() as crm:
            new_id = await crm.create("Contract", {"AccountId": "001A"})
            result = await crm.upsert("Account", "Ext__c", "A1", {"Name": "Acme"})
            return new_id, result

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        router.post(f"{DATA}/sobjects/Contract/").mock(
            return_value=httpx.Response(201, json={"id": "800N", "success": True, "errors": []})
        )
        upsert = router.patch(f"{DATA}/sobjects/Account/Ext__c/A1").mock(
            side_effect=[httpx.ReadTimeout("lost"), httpx.Response(200, json={"id": "001A"})]
        )
        assert run(scenario()) == ("800N", UpsertResult("001A", False))
    assert upsert.call_count == 2


def test_composite_and_limit_info() -> None:
    async def scenario() -> tuple[dict[str, Any], str | None, ApiUsage | None]:
        async with client() as crm:
            body = await crm.composite(
                [
                    {
                        "method": "PATCH",
                        "url": f"{DATA}/sobjects/Account/001A",
                        "referenceId": "acct",
                        "body": {"Name": "A"},
                    }
                ],
                all_or_none=True,
            )
            return body, crm.limit_info, crm.api_usage

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        route = router.post(f"{DATA}/composite").mock(
            return_value=httpx.Response(
                200,
                json={"compositeResponse": [{"httpStatusCode": 204, "referenceId": "acct"}]},
                headers={"Sforce-Limit-Info": "api-usage=18/15000"},
            )
        )
        body, info, usage = run(scenario())
    assert body["compositeResponse"][0]["httpStatusCode"] == 204
    assert info == "api-usage=18/15000"
    assert usage == ApiUsage(18, 15000)
    sent = route.calls[0].request
    assert b'"allOrNone":true' in sent.content


def test_composite_with_a_post_is_not_retried() -> None:
    async def scenario() -> None:
        async with client() as crm:
            await crm.composite(
                [
                    {
                        "method": "POST",
                        "url": f"{DATA}/sobjects/Contract",
                        "referenceId": "c",
                        "body": {},
                    }
                ]
            )

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "tok")
        route = router.post(f"{DATA}/composite").mock(return_value=httpx.Response(503))
        with pytest.raises(AmbiguousOutcome):
            run(scenario())
    assert route.call_count == 1


def test_too_many_composite_subrequests_are_refused() -> None:
    async def scenario() -> None:
        async with client() as crm:
            await crm.composite(
                [{"method": "GET", "url": "/x", "referenceId": f"r{i}"} for i in range(26)]
            )

    with pytest.raises(ValueError):
        run(scenario())


def test_records_include_token_fetch_and_reauth() -> None:
    records = Records()

    async def scenario() -> None:
        async with client(recorder=records) as crm:
            await crm.get("Account", "001A")

    with respx.mock(base_url=INSTANCE) as router:
        mock_token(router, "t1", "t2")
        router.get(f"{DATA}/sobjects/Account/001A").mock(
            side_effect=[sf_error(401, "INVALID_SESSION_ID"), httpx.Response(200, json={})]
        )
        run(scenario())
    assert [(r.path_template, r.status, r.outcome) for r in records] == [
        ("/services/oauth2/token", 200, "ok"),
        ("/services/data/v{version}/sobjects/Account/{id}", 401, "reauth"),
        ("/services/oauth2/token", 200, "ok"),
        ("/services/data/v{version}/sobjects/Account/{id}", 200, "ok"),
    ]
