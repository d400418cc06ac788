"""Credentials and secrets are not computable from the seed, are not served in snapshots
without an admin token, and webhooks cannot be aimed at a fake's control plane (issue 18)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from simulators.billing.app import create_app as billing
from simulators.crm.app import create_app as crm
from simulators.engine.delivery import control_plane_url
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport
from simulators.erp.app import create_app as erp
from simulators.erp.auth import register

KEY = "sk_test_identity"


async def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=InProcessTransport(app), base_url="https://fake.test")


def _billing_endpoint(settings: SimSettings) -> tuple[dict[str, Any], dict[str, Any]]:
    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        app = billing(settings)
        async with await _client(app) as client:
            auth = {"Authorization": f"Bearer {KEY}"}
            created = await client.post("/v1/webhook_endpoints", headers=auth, data={
                "url": "https://receiver.test/hook", "enabled_events[]": "*"})
            assert created.status_code == 200, created.text
            state = await client.get("/_sim/state", params={"tenant": KEY},
                                     headers={"X-Sim-Admin-Token": settings.admin_token or ""})
            return created.json(), state.json()
    return asyncio.run(main())


def test_webhook_secrets_are_not_seeded_but_ids_are() -> None:
    first, _ = _billing_endpoint(SimSettings(seed=7))
    second, _ = _billing_endpoint(SimSettings(seed=7))
    assert first["id"] == second["id"]  # ids reproduce from the seed
    assert first["secret"].startswith("whsec_") and first["secret"] != second["secret"]


def test_snapshots_leave_secrets_out_without_an_admin_token() -> None:
    created, state = _billing_endpoint(SimSettings(seed=7))
    endpoint = state["store"]["webhook_endpoint"][0]
    assert "_secret" not in endpoint and created["secret"] not in str(state)
    assert state["redacted"]["fields"]
    created, state = _billing_endpoint(SimSettings(seed=7, admin_token="t0ken"))
    assert state["store"]["webhook_endpoint"][0]["_secret"] == created["secret"]


def test_access_tokens_are_not_seeded_and_not_in_snapshots() -> None:
    async def tokens() -> tuple[str, str, dict[str, Any]]:
        crm_app, erp_app = crm(SimSettings(seed=7)), erp(SimSettings(seed=7))
        register(erp_app.sim, "1234567", "app", secret="s")
        async with await _client(crm_app) as c, await _client(erp_app) as e:
            crm_token = (await c.post("/services/oauth2/token", data={
                "grant_type": "client_credentials", "client_id": "app",
                "client_secret": "s"})).json()["access_token"]
            erp_token = (await e.post("/services/rest/auth/oauth2/v1/token",
                                      data={"grant_type": "client_credentials"},
                                      auth=("app", "s"))).json()["access_token"]
            state = (await e.get("/_sim/state", params={"tenant": "1234567"})).json()
        return crm_token, erp_token, state

    crm1, erp1, state = asyncio.run(tokens())
    crm2, erp2, _ = asyncio.run(tokens())
    assert crm1[:15] == crm2[:15]  # the org id prefix is an id: seeded
    assert crm1 != crm2 and erp1 != erp2
    assert erp1 not in str(state) and "_token" not in state["store"]


@pytest.mark.parametrize(("url", "refused"), [
    ("http://127.0.0.1:8000/_sim/reset", True),
    ("http://127.0.0.1:8000/_SIM/reset", True),
    ("http://127.0.0.1:8000/%5fsim/reset", True),
    ("http://127.0.0.1:8000/%255fsim/reset", True),
    ("http://127.0.0.1:8000/hooks/../_sim/reset", True),
    ("http://127.0.0.1:8000//_sim/reset", True),
    ("http://127.0.0.1:8000/_sim", True),
    ("http://127.0.0.1:8000/hooks/_sim/x", False),
    ("http://127.0.0.1:8000/_simulated", False),
    ("https://receiver.test/stripe", False),
])
def test_control_plane_urls(url: str, refused: bool) -> None:
    assert control_plane_url(url) is refused


def test_webhooks_cannot_target_a_control_plane() -> None:
    async def main() -> None:
        app = billing(SimSettings(seed=7))
        async with await _client(app) as client:
            auth = {"Authorization": f"Bearer {KEY}"}
            r = await client.post("/v1/webhook_endpoints", headers=auth, data={
                "url": "http://127.0.0.1:9/_sim/reset", "enabled_events[]": "*"})
            assert r.status_code == 400 and r.json()["error"]["param"] == "url"
            made = (await client.post("/v1/webhook_endpoints", headers=auth, data={
                "url": "http://127.0.0.1:9/hook", "enabled_events[]": "*"})).json()
            r = await client.post(f"/v1/webhook_endpoints/{made['id']}", headers=auth,
                                  data={"url": "http://127.0.0.1:9/_sim/reset"})
            assert r.status_code == 400 and r.json()["error"]["param"] == "url"
        crm_app = crm(SimSettings(seed=7))
        async with await _client(crm_app) as client:
            r = await client.post("/_sim/subscriptions", params={"tenant": "x"},
                                  json={"url": "http://127.0.0.1:9/_sim/reset"})
            assert r.status_code == 400 and r.json()["error"]["param"] == "url"
    asyncio.run(main())


def test_a_registered_erp_client_changes_only_with_its_secret() -> None:
    async def main() -> None:
        app = erp(SimSettings(seed=7))
        async with await _client(app) as client:
            url = "/_sim/erp/clients"
            made = await client.post(url, params={"tenant": "1234567"},
                                     json={"client_id": "app", "client_secret": "right"})
            assert made.status_code == 201
            again = await client.post(url, params={"tenant": "1234567"},
                                      json={"client_id": "app", "client_secret": "right"})
            assert again.status_code == 201  # the same registration: idempotent
            taken = await client.post(url, params={"tenant": "1234567"},
                                      json={"client_id": "app", "client_secret": "mine"})
            assert taken.status_code == 409
            token = await client.post("/services/rest/auth/oauth2/v1/token",
                                      data={"grant_type": "client_credentials"},
                                      auth=("app", "mine"))
            assert token.status_code == 401
    asyncio.run(main())
