"""Fixtures for the CRM fake: an in-process app, and a real uvicorn server over TLS for
simple-salesforce (which only speaks HTTPS)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import requests
from simple_salesforce import Salesforce

from harness.servers import ServerThread
from simulators.crm.app import create_app
from simulators.engine.app import SimApp
from simulators.engine.settings import SimSettings
from simulators.engine.tls import ensure_local_ca
from simulators.engine.transport import InProcessTransport

T = TypeVar("T")
VERSION = "59.0"
DATA = f"/services/data/v{VERSION}"
# 2024-01-31T10:00:00Z: business time starts frozen here so timestamps are predictable.
T0 = 1706695200.0
_clients = itertools.count(1)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def new_client_id(prefix: str = "client") -> str:
    return f"{prefix}-{next(_clients)}-{time.monotonic_ns()}"


# --- in-process ---------------------------------------------------------------------------


@dataclass
class Org:
    """An org reached in-process: the app, an httpx client and a bearer token."""

    app: SimApp
    client: httpx.AsyncClient
    token: str
    client_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(
            DATA + path, headers={**self.auth, **kw.pop("headers", {})}, **kw
        )

    async def post(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return await self.client.post(DATA + path, json=body, headers=self.auth, **kw)

    async def patch(self, path: str, body: Any) -> httpx.Response:
        return await self.client.patch(DATA + path, json=body, headers=self.auth)

    async def delete(self, path: str) -> httpx.Response:
        return await self.client.delete(DATA + path, headers=self.auth)

    async def create(self, sobject: str, body: dict[str, Any]) -> str:
        r = await self.post(f"/sobjects/{sobject}/", body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def record(self, sobject: str, record_id: str) -> dict[str, Any]:
        r = await self.get(f"/sobjects/{sobject}/{record_id}")
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data

    async def query(self, soql: str) -> dict[str, Any]:
        r = await self.get("/query", params={"q": soql})
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data

    async def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.client.request(method, path, params={"tenant": self.client_id}, json=body)


async def token(client: httpx.AsyncClient, client_id: str, secret: str = "s3cret") -> str:
    r = await client.post(
        "/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def settings(**kw: Any) -> SimSettings:
    kw.setdefault("epoch", T0)
    kw.setdefault("frozen_clock", True)
    kw.setdefault("seed", 7)
    return SimSettings(**kw)


async def open_org(app: SimApp | None = None, client_id: str | None = None) -> Org:
    app = app or create_app(settings())
    client = httpx.AsyncClient(transport=InProcessTransport(app), base_url="https://crm.test")
    cid = client_id or new_client_id()
    return Org(app, client, await token(client, cid), cid)


def in_org(test: Callable[[Org], Awaitable[None]], app: SimApp | None = None) -> None:
    """Run ``test`` against a fresh org of a fresh (or the given) in-process app."""

    async def main() -> None:
        org = await open_org(app)
        try:
            await test(org)
        finally:
            await org.client.aclose()
            await org.app.sim.deliveries.stop()

    run(main())


async def seed_catalogue(org: Org) -> dict[str, str]:
    """An account, a product priced in the standard price book, and an opportunity."""
    book = (await org.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true"))["records"][0]
    account = await org.create("Account", {"Name": "Acme", "External_Id__c": "acme"})
    product = await org.create(
        "Product2", {"Name": "Widget", "ProductCode": "W-1", "IsActive": True}
    )
    entry = await org.create(
        "PricebookEntry",
        {"Pricebook2Id": book["Id"], "Product2Id": product, "UnitPrice": 100, "IsActive": True},
    )
    opp = await org.create(
        "Opportunity",
        {
            "Name": "Big deal",
            "StageName": "Prospecting",
            "CloseDate": "2024-03-15",
            "AccountId": account,
        },
    )
    return {
        "book": book["Id"],
        "account": account,
        "product": product,
        "entry": entry,
        "opportunity": opp,
    }


# --- a real server over TLS ---------------------------------------------------------------


@dataclass
class Server:
    url: str
    ca: Path
    app: SimApp
    sessions: list[requests.Session]

    def session(self) -> requests.Session:
        s = requests.Session()
        self.sessions.append(s)
        # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override Session.verify when
        # trust_env is on; the fake's CA must win.
        s.trust_env = False
        s.verify = str(self.ca)
        return s

    def token(self, client_id: str, secret: str = "s3cret") -> str:
        r = self.session().post(
            f"{self.url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        r.raise_for_status()
        return str(r.json()["access_token"])

    def salesforce(self, client_id: str | None = None,
                   version: str = VERSION) -> tuple[Salesforce, str]:
        cid = client_id or new_client_id("sf")
        sf = Salesforce(
            instance_url=self.url,
            session_id=self.token(cid),
            session=self.session(),
            version=version,
        )
        return sf, cid

    def control(self, method: str, path: str, tenant: str, body: Any = None) -> Any:
        r = self.session().request(
            method, f"{self.url}{path}", params={"tenant": tenant}, json=body
        )
        assert r.status_code < 300, r.text
        return r.json()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The CRM fake under uvicorn with TLS on a loopback port, in a background thread."""
    folder = tmp_path_factory.mktemp("crm-tls")
    files = ensure_local_ca(folder)
    app = create_app(settings(delivery_time_scale=0.001))
    srv = ServerThread(app, ssl_certfile=str(files.cert_pem), ssl_keyfile=str(files.key_pem),
                       graceful_shutdown=5).start()
    served = Server(srv.url, files.ca_pem, app, [])
    try:
        yield served
    finally:
        # Close the clients' keep-alive connections first: a TLS connection left open
        # holds uvicorn's shutdown until its close_notify times out.
        for s in served.sessions:
            s.close()
        srv.stop()
        assert srv.stopped, "the CRM server did not stop within 10 s"
