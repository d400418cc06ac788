from __future__ import annotations

import base64
import json
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
from integration_layer.clients.netsuite_client import (
    ErpClient,
    parse_location_id,
    parse_netsuite_error,
)
from integration_layer.clients.options import ClientOptions
from integration_layer.clients.sleeper import RecordingSleeper
from tests.integration_layer.clients.support import run, seeded_policy

BASE = "https://1234567.suitetalk.erp.test"
TOKEN = "/services/rest/auth/oauth2/v1/token"
RECORDS = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"


def client(sleeper: RecordingSleeper | None = None, **kwargs: Any) -> ErpClient:
    return ErpClient(
        BASE,
        "1234567",
        client_id="cid",
        client_secret="s3cret",
        options=ClientOptions(policy=seeded_policy(), sleep=sleeper or RecordingSleeper()),
        **kwargs,
    )


def ns_error(status: int, code: str, detail: str = "failed") -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
            "title": "Bad Request",
            "status": status,
            "o:errorDetails": [{"detail": detail, "o:errorCode": code}],
        },
    )


def mock_token(router: respx.MockRouter, *values: str) -> respx.Route:
    return router.post(TOKEN).mock(
        side_effect=[
            httpx.Response(200, json={"access_token": v, "token_type": "Bearer"}) for v in values
        ]
    )


@pytest.mark.parametrize(
    ("location", "record_type", "expected"),
    [
        (f"{BASE}{RECORDS}/customer/647", "customer", "647"),
        (f"{BASE}{RECORDS}/invoice/1201/", "invoice", "1201"),
        (f"{RECORDS}/creditMemo/88", "creditmemo", "88"),
        (f"http://127.0.0.1:9000{RECORDS}/journalEntry/5?x=1", "journalEntry", "5"),
    ],
)
def test_parse_location_id(location: str, record_type: str, expected: str) -> None:
    assert parse_location_id(location, record_type) == expected


@pytest.mark.parametrize(
    "location", [f"{BASE}{RECORDS}/invoice/12", f"{BASE}/services/rest/record/v1", ""]
)
def test_parse_location_id_rejects_other_records(location: str) -> None:
    with pytest.raises(ValueError):
        parse_location_id(location, "customer")


def test_create_returns_id_from_location_with_basic_client_auth() -> None:
    async def scenario() -> str:
        async with client() as erp:
            return await erp.create("customer", {"companyName": "Acme", "subsidiary": {"id": "1"}})

    with respx.mock(base_url=BASE) as router:
        token_route = mock_token(router, "tok")
        route = router.post(f"{RECORDS}/customer").mock(
            return_value=httpx.Response(204, headers={"Location": f"{BASE}{RECORDS}/customer/647"})
        )
        assert run(scenario()) == "647"
    token_request = token_route.calls[0].request
    assert dict(parse_qsl(token_request.content.decode())) == {"grant_type": "client_credentials"}
    assert token_request.headers["Authorization"] == "Basic " + base64.b64encode(
        b"cid:s3cret"
    ).decode("ascii")
    sent = route.calls[0].request
    assert sent.headers["Authorization"] == "Bearer tok"
    assert json.loads(sent.content) == {"companyName": "Acme", "subsidiary": {"id": "1"}}


def test_post_client_auth_sends_credentials_in_the_form() -> None:
    async def scenario() -> None:
        async with client(client_auth="post") as erp:
            await erp.get("customer", "1")

    with respx.mock(base_url=BASE) as router:
        token_route = mock_token(router, "tok")
        router.get(f"{RECORDS}/customer/1").mock(return_value=httpx.Response(200, json={}))
        run(scenario())
    request = token_route.calls[0].request
    assert "Authorization" not in request.headers
    assert dict(parse_qsl(request.content.decode()))["client_secret"] == "s3cret"


def test_create_without_location_is_ambiguous() -> None:
    async def scenario() -> None:
        async with client() as erp:
            await erp.create("invoice", {"externalId": "in_1"})

    with respx.mock(base_url=BASE) as router:
        mock_token(router, "tok")
        router.post(f"{RECORDS}/invoice").mock(return_value=httpx.Response(204))
        with pytest.raises(AmbiguousOutcome):
            run(scenario())


def test_create_is_not_retried_on_a_reset_or_5xx() -> None:
    async def scenario() -> None:
        async with client() as erp:
            await erp.create("invoice", {"externalId": "in_1"})

    for failure in (httpx.RemoteProtocolError("reset"), httpx.Response(502)):
        with respx.mock(base_url=BASE) as router:
            mock_token(router, "tok")
            route = router.post(f"{RECORDS}/invoice").mock(side_effect=[failure])
            with pytest.raises(AmbiguousOutcome):
                run(scenario())
        assert route.call_count == 1


def test_upsert_by_external_id_is_a_put_and_is_retried() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> str | None:
        async with client(sleeper) as erp:
            return await erp.upsert("invoice", "in_1 A", {"entity": {"id": "647"}})

    with respx.mock(base_url=BASE) as router:
        mock_token(router, "tok")
        route = router.put(f"{RECORDS}/invoice/eid:in_1%20A").mock(
            side_effect=[
                httpx.ReadTimeout("lost"),
                httpx.Response(204, headers={"Location": f"{BASE}{RECORDS}/invoice/1201"}),
            ]
        )
        assert run(scenario()) == "1201"
    assert route.call_count == 2
    assert len(sleeper.delays) == 1


def test_concurrency_429_is_transient_and_retried() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> None:
        async with client(sleeper) as erp:
            await erp.patch("customer", "647", {"email": "a@b.test"})

    with respx.mock(base_url=BASE) as router:
        mock_token(router, "tok")
        route = router.patch(f"{RECORDS}/customer/647").mock(
            side_effect=[
                ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED"),
                httpx.Response(204),
            ]
        )
        run(scenario())
    assert route.call_count == 2
    assert len(sleeper.delays) == 1


def test_error_envelope_is_parsed() -> None:
    error = parse_netsuite_error(ns_error(400, "USER_ERROR", "Invalid field value subsidiary"))
    assert isinstance(error, PermanentError)
    assert error.vendor_code == "USER_ERROR"
    assert error.message == "Invalid field value subsidiary"
    assert isinstance(parse_netsuite_error(ns_error(429, "X")), TransientError)
    assert isinstance(parse_netsuite_error(ns_error(503, "X")), TransientError)
    assert isinstance(parse_netsuite_error(ns_error(401, "INVALID_LOGIN")), SessionExpired)


def test_reauth_once_on_401() -> None:
    async def scenario() -> dict[str, Any]:
        async with client() as erp:
            return await erp.get("customer", "647", expand_sub_resources=True)

    with respx.mock(base_url=BASE) as router:
        mock_token(router, "old", "new")
        route = router.get(f"{RECORDS}/customer/647").mock(
            side_effect=[ns_error(401, "INVALID_LOGIN"), httpx.Response(200, json={"id": "647"})]
        )
        assert run(scenario()) == {"id": "647"}
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer old",
        "Bearer new",
    ]
    assert route.calls[1].request.url.params["expandSubResources"] == "true"


def test_get_by_external_id_returns_none_when_missing() -> None:
    async def scenario() -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        async with client() as erp:
            return (
                await erp.get_by_external_id("invoice", "in_missing"),
                await erp.get_by_external_id("invoice", "in_1"),
            )

    with respx.mock(base_url=BASE) as router:
        mock_token(router, "tok")
        router.get(f"{RECORDS}/invoice/eid:in_missing").mock(
            return_value=ns_error(404, "NONEXISTENT_ID")
        )
        router.get(f"{RECORDS}/invoice/eid:in_1").mock(
            return_value=httpx.Response(200, json={"id": "1201"})
        )
        assert run(scenario()) == (None, {"id": "1201"})


def test_suiteql_pages_through_links_with_prefer_transient() -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with client() as erp:
            return [row async for row in erp.suiteql("SELECT id FROM invoice", page_size=2)]

    def page(offset: int, rows: list[str], has_more: bool) -> httpx.Response:
        links = [{"rel": "self", "href": f"{BASE}{SUITEQL}?limit=2&offset={offset}"}]
        if has_more:
            links.append(
                {
                    "rel": "next",
                    "href": f"https://elsewhere.test{SUITEQL}?limit=2&offset={offset + 2}",
                }
            )
        return httpx.Response(
            200,
            json={
                "links": links,
                "count": len(rows),
                "hasMore": has_more,
                "items": [{"id": r} for r in rows],
                "offset": offset,
                "totalResults": 3,
            },
        )

    with respx.mock(base_url=BASE) as router:
        mock_token(router, "tok")
        route = router.post(SUITEQL).mock(
            side_effect=[page(0, ["1", "2"], True), page(2, ["3"], False)]
        )
        rows = run(scenario())
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    first, second = (c.request for c in route.calls)
    assert first.headers["Prefer"] == "transient"
    assert json.loads(first.content) == {"q": "SELECT id FROM invoice"}
    assert dict(first.url.params) == {"limit": "2", "offset": "0"}
    assert dict(second.url.params) == {"limit": "2", "offset": "2"}
    assert second.url.host == "1234567.suitetalk.erp.test"


def test_suiteql_steps_offset_when_no_next_link() -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with client() as erp:
            return [row async for row in erp.suiteql("SELECT id FROM customer", page_size=1)]

    with respx.mock(base_url=BASE) as router:
        mock_token(router, "tok")
        route = router.post(SUITEQL).mock(
            side_effect=[
                httpx.Response(200, json={"hasMore": True, "items": [{"id": "1"}], "offset": 0}),
                httpx.Response(200, json={"hasMore": False, "items": [{"id": "2"}], "offset": 1}),
            ]
        )
        assert [r["id"] for r in run(scenario())] == ["1", "2"]
    assert route.calls[1].request.url.params["offset"] == "1"
