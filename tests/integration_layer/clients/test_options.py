"""One frozen options object for every vendor client."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
import respx

from integration_layer.clients import BillingClient, ClientOptions, CrmClient, ErpClient
from tests.integration_layer.clients.support import Records, run, seeded_policy


def test_options_cannot_change_under_a_client() -> None:
    options = ClientOptions(timeout=5.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.timeout = 1.0  # type: ignore[misc]


def test_every_client_takes_the_same_options() -> None:
    records = Records()
    options = ClientOptions(policy=seeded_policy(), recorder=records, vendor="renamed")

    async def scenario() -> None:
        with respx.mock(assert_all_called=False) as router:
            router.post("https://crm.test/services/oauth2/token").mock(
                return_value=httpx.Response(200, json={"access_token": "t1"}))
            router.post("https://erp.test/services/rest/auth/oauth2/v1/token").mock(
                return_value=httpx.Response(200, json={"access_token": "t2"}))
            router.get(url__regex=r".*").mock(return_value=httpx.Response(200, json={}))
            clients = [
                CrmClient("https://crm.test", token_url="/services/oauth2/token",
                          client_id="c", client_secret="s", options=options),
                ErpClient("https://erp.test", "1", client_id="c", client_secret="s",
                          options=options),
                BillingClient("https://billing.test", "sk_test_x", options=options),
            ]
            for client in clients:
                async with client:
                    await client.caller.http.get("/ping")
                    assert client.caller.vendor == "renamed"
                    assert client.caller.policy is options.policy

    run(scenario())


def test_both_oauth_clients_share_the_token_helper() -> None:
    async def scenario() -> None:
        with respx.mock() as router:
            token = router.post("https://erp.test/services/rest/auth/oauth2/v1/token").mock(
                side_effect=[httpx.Response(200, json={"access_token": "old"}),
                             httpx.Response(200, json={"access_token": "new"})])
            seen: list[str] = []

            def answer(request: httpx.Request) -> httpx.Response:
                seen.append(request.headers["authorization"])
                return httpx.Response(401 if len(seen) == 1 else 200, json={})

            router.get("https://erp.test/services/rest/record/v1/customer/1").mock(
                side_effect=answer)
            async with ErpClient("https://erp.test", "1", client_id="c", client_secret="s",
                                 options=ClientOptions(policy=seeded_policy())) as erp:
                await erp.get("customer", "1")
                # A refused token is replaced once and the call repeated with the new one.
                assert seen == ["Bearer old", "Bearer new"] and erp.token_fetches == 2
            assert token.call_count == 2

    run(scenario())
