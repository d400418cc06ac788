"""A sandbox for the integration layer's own tests: an in-process stack
(:class:`harness.stack.InProcessStack`, attached to the test's event loop so that the
test reaches the SUT's objects) and one tenant provisioned with a fixed catalog
(:data:`PRODUCTS` in all three systems, webhooks registered, the connection registered
with the SUT), plus a few user actions on raw HTTP. :func:`provision` also serves the
socket tests (fakes as servers, the SUT as a process). The oracle checks it through
:meth:`World.oracle_world`. The scenario suites and ``fintwin demo`` run on the stack
and the drivers directly."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from harness.data import Product
from harness.drivers import Endpoint, Endpoints, TenantCredentials
from harness.drivers import World as DriverWorld
from harness.drivers.billing import CARD_FAILS, CARD_OK
from harness.manifest import VENDORS, load_manifest, reference_manifest_path
from harness.processes import ssl_context
from harness.stack import OBSERVER_HEADER, SUT, InProcessStack, StackConfig
from harness.waiting import until
from integration_layer.clients import ClientOptions, ErpClient
from integration_layer.service.config import Connection
from integration_layer.service.runtime import Service
from simulators.crm.ids import to_18
from simulators.engine.transport import InProcessTransport

PRODUCTS = {"SKU-PLAT": 12_000, "SKU-SEAT": 1_999, "SKU-SUPPORT": 2_929}  # minor units/month


@dataclass
class World:
    crm: httpx.AsyncClient
    billing: httpx.AsyncClient
    erp: httpx.AsyncClient
    sut: httpx.AsyncClient
    service: Service
    crm_tenant: str
    erp_account: str
    api_key: str
    conn_id: str
    crm_token: str = ""
    erp_client: ErpClient | None = None
    apps: dict[str, Any] = field(default_factory=dict)  # in-process fakes by name
    ca_bundle: str | None = None  # the CA of fakes served over TLS
    endpoints: Endpoints | None = None  # the fakes of an in-process stack
    pricebook_entries: dict[tuple[str, str], str] = field(default_factory=dict)

    # -- CRM as a user ----------------------------------------------------------------

    async def sf(self, method: str, path: str, json: Any = None) -> Any:
        r = await self.crm.request(method, f"/services/data/v59.0{path}", json=json,
                                   headers={"Authorization": f"Bearer {self.crm_token}"})
        assert r.status_code < 300, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    async def account(self, name: str, entity: str = "US", currency: str = "USD") -> str:
        body = {"Name": name, "Legal_Entity__c": entity, "CurrencyIsoCode": currency}
        return str((await self.sf("POST", "/sobjects/Account/", body))["id"])

    async def deal(self, account_id: str, lines: dict[str, int], currency: str = "USD",
                   close: bool = True) -> str:
        opp = await self.sf("POST", "/sobjects/Opportunity/", {
            "Name": f"Deal {uuid.uuid4().hex[:6]}", "AccountId": account_id,
            "StageName": "Prospecting", "CloseDate": "2026-01-15",
            "CurrencyIsoCode": currency, "Pricebook2Id": self.standard_pricebook})
        for code, qty in lines.items():
            await self.sf("POST", "/sobjects/OpportunityLineItem/", {
                "OpportunityId": opp["id"], "Quantity": qty,
                "PricebookEntryId": self.pricebook_entries[(code, currency)],
                "UnitPrice": PRODUCTS[code] / 100})
        if close:
            await self.sf("PATCH", f"/sobjects/Opportunity/{opp['id']}",
                          {"StageName": "Closed Won"})
        return str(opp["id"])

    standard_pricebook: str = ""

    async def card(self, account_id: str, pm: str = CARD_OK) -> str:
        """The customer enters a card (as on a hosted page) once billing knows them."""
        async def customer() -> str | None:
            acct = await self.sf("GET", f"/sobjects/Account/{account_id}")
            return acct.get("Billing_Customer_Id__c") or None

        found = await until(customer, timeout=60, what="the account's billing customer")
        async with DriverWorld(self.driver_endpoints(), self.credentials(),
                               observer=True) as drivers:
            await drivers.billing.set_card(found, fails=pm == CARD_FAILS)
        return found

    # -- reading end state --------------------------------------------------------------

    async def stripe(self, path: str, params: dict[str, Any] | None = None) -> Any:
        r = await self.billing.get(path, params=params,
                                   headers={"Authorization": f"Bearer {self.api_key}"})
        assert r.status_code == 200, r.text
        return r.json()

    async def suiteql(self, q: str) -> list[dict[str, Any]]:
        assert self.erp_client is not None
        return [row async for row in self.erp_client.suiteql(q)]

    async def settled(self) -> bool:
        """Every webhook delivered (copies too) and every inbox event finished."""
        for client, tenant in ((self.billing, self.api_key), (self.crm, self.crm_tenant)):
            out = (await client.get("/_sim/outbox", params={"tenant": tenant})).json()
            if out["pending"]:
                return False
        return not (await self.stats())["inbox"].get("pending", 0)

    def oracle_world(self) -> DriverWorld:
        """The same tenant as the harness drivers see it (for :class:`harness.oracle.Oracle`)."""
        return DriverWorld(self.driver_endpoints(), self.credentials())

    def driver_endpoints(self) -> Endpoints:
        """Where the fakes are, for :mod:`harness.drivers`."""
        if self.endpoints is not None:  # an in-process stack
            return self.endpoints

        def ep(name: str) -> Endpoint:
            if name not in self.apps:  # served over sockets
                base = str(getattr(self, name).base_url).rstrip("/")
                trust = ssl_context(self.ca_bundle) if self.ca_bundle else True
                return Endpoint(base, verify=trust)
            return Endpoint(f"http://{name}", transport=InProcessTransport(self.apps[name]))

        return Endpoints(ep("crm"), ep("billing"), ep("erp"))

    def credentials(self) -> TenantCredentials:
        return TenantCredentials(id=self.conn_id, billing_api_key=self.api_key,
                                 crm_client_id=f"crm-{self.conn_id}",
                                 crm_client_secret="crm-secret",
                                 erp_account_id=self.erp_account,
                                 erp_client_id=f"erp-{self.conn_id}",
                                 erp_client_secret="erp-secret")

    async def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = (await self.sut.get("/admin/stats")).json()
        return stats


@contextlib.asynccontextmanager
async def world(*, variant: str = "reference", seed: int = 7, database_url: str | None = None,
                tenant: str | None = None, limits: bool = False) -> AsyncIterator[World]:
    """The reference SUT and the three fakes of an :class:`~harness.stack.InProcessStack`
    started in this event loop (so the test can reach ``w.service``, its database and
    metrics), and one tenant provisioned by :func:`provision`.

    ``tenant``: a fixed tenant name (the fakes split the seed per tenant, so a fixed
    name meets the same seeded faults every run); default a fresh random one.
    ``limits``: the fakes' default vendor rate limits (off by default)."""
    options = {"variant": variant, "workers": "3", "poll_seconds": "0.5",
               "database_url": database_url or "sqlite://:memory:"}
    stack = InProcessStack(load_manifest(reference_manifest_path()), StackConfig(
        seed=seed, limits=limits, delivery_time_scale=0.001, catalog_size=0,
        sut_options=options))
    await stack.astart_attached()
    uniq = (tenant or uuid.uuid4().hex)[:10]
    # The harness acts as the vendors' users and admins; it reads and writes as an
    # observer so that chaos meant for the SUT never hits the harness itself.
    clients = {name: stack.async_client(name, headers={OBSERVER_HEADER: "1"})
               for name in VENDORS}
    clients[SUT] = stack.async_client(SUT, headers=stack.admin_headers())
    try:
        w = World(clients["crm"], clients["billing"], clients["erp"], clients[SUT],
                  stack.apps[SUT].state.service, "", f"7{uniq[:6]}", f"sk_test_{uniq}",
                  f"t-{uniq}", apps=dict(stack.apps), endpoints=stack.endpoints())
        await provision(w, urls=stack.sut_vendor_urls(), sut_url=stack.urls[SUT])
        try:
            yield w
        finally:
            if w.erp_client is not None:
                await w.erp_client.aclose()
    finally:
        for c in clients.values():
            await c.aclose()
        await stack.aclose_attached()


def catalog() -> tuple[Product, ...]:
    """:data:`PRODUCTS` as catalog products (one monthly price, the same in USD, GBP, EUR)."""
    return tuple(Product(code, code, "Software",
                         {cur: Decimal(minor) / 100 for cur in ("USD", "GBP", "EUR")})
                 for code, minor in PRODUCTS.items())


async def provision(w: World, urls: dict[str, str] | None = None,
                    sut_url: str = "http://sut") -> None:
    """A fresh tenant in the three fakes (with the drivers, as the vendors' admin:
    :data:`PRODUCTS` in each), webhooks to ``sut_url``, the connection registered with
    the SUT at ``w.sut``. ``urls``: how the SUT reaches the fakes (default: their
    in-process names)."""
    uniq = w.conn_id
    urls = urls or {name: f"http://{name}" for name in ("crm", "billing", "erp")}
    products = catalog()
    drivers = DriverWorld(w.driver_endpoints(), w.credentials(), observer=True)
    try:
        # CRM: an org for our client id, its token, the products, price book entries.
        w.crm_token = await drivers.crm.login()
        w.crm_tenant = to_18(w.crm_token.partition("!")[0])
        crm_catalog = await drivers.crm.seed_catalog(products)
        w.standard_pricebook = crm_catalog.pricebook_id
        w.pricebook_entries.update(crm_catalog.entries)
        await drivers.billing.seed_catalog(products)
        # ERP: a client for our account, items named after the product codes.
        await drivers.erp.register_client()
        await drivers.erp.seed_items(products)
        # Webhooks: billing endpoint and CRM change-event subscription to the SUT.
        crm_secret = "crm-hook-" + uniq
        _, billing_secret = await drivers.billing.register_webhook(
            f"{sut_url}/webhooks/billing/{uniq}")
        await drivers.crm.control("POST", "/_sim/subscriptions", json={
            "url": f"{sut_url}/webhooks/crm/{uniq}", "secret": crm_secret}, expected=(201,))
    finally:
        await drivers.aclose()
    w.erp_client = ErpClient(str(w.erp.base_url).rstrip("/"), w.erp_account,
                             client_id=f"erp-{uniq}", client_secret="erp-secret",
                             options=ClientOptions(transport=w.erp._transport))
    conn = Connection.from_dict({
        "id": uniq,
        "crm": {"base_url": urls["crm"], "client_id": f"crm-{uniq}",
                "client_secret": "crm-secret", "webhook_secret": crm_secret},
        "billing": {"base_url": urls["billing"], "api_key": w.api_key,
                    "webhook_secret": billing_secret},
        "erp": {"base_url": urls["erp"], "account_id": w.erp_account,
                "client_id": f"erp-{uniq}", "client_secret": "erp-secret"}})
    r = await w.sut.post("/admin/connections", json=conn.to_dict())
    assert r.status_code == 201, r.text
