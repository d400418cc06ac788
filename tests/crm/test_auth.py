"""Tokens: grants, pinned credentials, expiry in business time, and sessions, money and
custom fields that survive a restart with a state directory."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx

from simulators.crm.app import create_app
from simulators.engine.transport import InProcessTransport
from tests.crm.conftest import DATA, run, settings


async def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=InProcessTransport(app), base_url="https://crm.test")


def test_grants_and_credentials() -> None:
    async def main() -> None:
        app = create_app(settings())
        async with await _client(app) as c:
            basic = base64.b64encode(b"cid-1:secret").decode()
            r = await c.post(
                "/services/oauth2/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
            )
            assert r.status_code == 200
            body = r.json()
            assert body["token_type"] == "Bearer" and body["instance_url"] == "https://crm.test"
            assert body["access_token"].startswith(body["id"].split("/")[-2][:15] + "!")
            wrong = await c.post(
                "/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "cid-1",
                    "client_secret": "other",
                },
            )
            assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
            grant = await c.post(
                "/services/oauth2/token", data={"grant_type": "implicit", "client_id": "x"}
            )
            assert grant.json()["error"] == "unsupported_grant_type"
            # Two client ids, two orgs that never see each other's records.
            other = (
                await c.post(
                    "/services/oauth2/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": "cid-2",
                        "client_secret": "s",
                    },
                )
            ).json()["access_token"]
            mine = body["access_token"]
            await c.post(
                DATA + "/sobjects/Account/",
                json={"Name": "Mine"},
                headers={"Authorization": f"Bearer {mine}"},
            )
            theirs = await c.get(
                DATA + "/query",
                params={"q": "SELECT Id FROM Account"},
                headers={"Authorization": f"Bearer {other}"},
            )
            assert theirs.json()["totalSize"] == 0
        await app.sim.deliveries.stop()

    run(main())


def test_missing_and_expired_tokens_are_invalid_session() -> None:
    async def main() -> None:
        app = create_app(settings(extra={"token_ttl_seconds": 60}))
        async with await _client(app) as c:
            r = await c.get(DATA + "/limits")
            assert r.status_code == 401
            assert r.json() == [
                {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
            ]
            tok = (
                await c.post(
                    "/services/oauth2/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": "ttl",
                        "client_secret": "s",
                    },
                )
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {tok}"}
            assert (await c.get(DATA + "/limits", headers=auth)).status_code == 200
            await c.post("/_sim/clock/advance", params={"tenant": "ttl"}, json={"seconds": 60})
            assert (await c.get(DATA + "/limits", headers=auth)).status_code == 401
        await app.sim.deliveries.stop()

    run(main())


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"

    async def first() -> tuple[str, str]:
        app = create_app(settings(state_dir=state))
        async with await _client(app) as c:
            tok = (
                await c.post(
                    "/services/oauth2/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": "durable",
                        "client_secret": "s",
                    },
                )
            ).json()["access_token"]
            await c.post(
                "/_sim/crm/fields",
                params={"tenant": "durable"},
                json={"sobject": "Account", "name": "Tier__c", "type": "string"},
            )
            r = await c.post(
                DATA + "/sobjects/Account/",
                json={"Name": "Kept", "AnnualRevenue": "1234.55", "Tier__c": "gold"},
                headers={"Authorization": f"Bearer {tok}"},
            )
            assert r.status_code == 201, r.text
        await app.sim.deliveries.stop()
        app.sim.close()
        return tok, r.json()["id"]

    async def second(tok: str, account: str) -> None:
        app = create_app(settings(state_dir=state))
        async with await _client(app) as c:
            auth = {"Authorization": f"Bearer {tok}"}
            r = await c.get(
                DATA + "/query",
                headers=auth,
                params={"q": "SELECT Id, Tier__c FROM Account WHERE AnnualRevenue > 1234.5"},
            )
            assert r.status_code == 200, r.text
            assert r.json()["records"][0]["Id"] == account
            assert r.json()["records"][0]["Tier__c"] == "gold"
            raw = await c.get(DATA + f"/sobjects/Account/{account}", headers=auth)
            assert b'"AnnualRevenue":1234.55' in raw.content
        await app.sim.deliveries.stop()
        app.sim.close()

    tok, account = run(first())
    run(second(tok, account))
