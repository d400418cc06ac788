"""A sandbox: the three fakes and the reference integration layer in one event loop,
wired with routing transports both ways, one fresh tenant provisioned (catalog in all
three systems, webhooks registered, the connection registered with the SUT). What
``fintwin demo`` and the service tests run on; the oracle checks it through
:meth:`World.oracle_world`."""

from __future__ import annotations

import contextlib
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from integration_layer.clients import ErpClient
from integration_layer.service.app import create_app
from integration_layer.service.config import Connection, ServiceConfig
from integration_layer.service.runtime import Service
from simulators.billing.app import create_app as billing_app
from simulators.crm.app import create_app as crm_app
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport, RoutingTransport
from simulators.erp.app import create_app as erp_app

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

    async def card(self, account_id: str, pm: str = "pm_card_visa") -> str:
        """The customer enters a card (as on a hosted page) once billing knows them."""
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            acct = await self.sf("GET", f"/sobjects/Account/{account_id}")
            if acct.get("Billing_Customer_Id__c"):
                break
            assert loop.time() < deadline, "the account never got a billing customer"
            await asyncio.sleep(0.02)
        customer = acct["Billing_Customer_Id__c"]
        h = {"Authorization": f"Bearer {self.api_key}"}
        r = await self.billing.post(f"/v1/payment_methods/{pm}/attach", headers=h,
                                    data={"customer": customer})
        assert r.status_code == 200, r.text
        r = await self.billing.post(f"/v1/customers/{customer}", headers=h, data={
            "invoice_settings[default_payment_method]": r.json()["id"]})
        assert r.status_code == 200, r.text
        return str(customer)

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

    def oracle_world(self) -> Any:
        """The same tenant as the harness drivers see it (for :class:`harness.oracle.Oracle`)."""
        from harness.drivers.base import Endpoint
        from harness.drivers.world import Endpoints, TenantCredentials
        from harness.drivers.world import World as DriverWorld

        def ep(name: str) -> Endpoint:
            if name not in self.apps:  # served over sockets
                base = str(getattr(self, name).base_url).rstrip("/")
                trust = ssl.create_default_context(cafile=self.ca_bundle) if self.ca_bundle \
                    else True
                return Endpoint(base, verify=trust)
            return Endpoint(f"http://{name}", transport=InProcessTransport(self.apps[name]))

        creds = TenantCredentials(id=self.conn_id, billing_api_key=self.api_key,
                                  crm_client_id=f"crm-{self.conn_id}",
                                  crm_client_secret="crm-secret",
                                  erp_account_id=self.erp_account,
                                  erp_client_id=f"erp-{self.conn_id}",
                                  erp_client_secret="erp-secret")
        return DriverWorld(Endpoints(ep("crm"), ep("billing"), ep("erp")), creds)

    async def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = (await self.sut.get("/admin/stats")).json()
        return stats


@contextlib.asynccontextmanager
async def world(*, variant: str = "reference", seed: int = 7, database_url: str | None = None,
                billing_faults: dict[str, Any] | None = None,
                tenant: str | None = None, limits: bool = False) -> AsyncIterator[World]:
    """``tenant``: a fixed tenant name (the fakes split the seed per tenant, so a fixed
    name meets the same seeded faults every run); default a fresh random one.
    ``limits``: the fakes' default vendor rate limits (off by default)."""
    to_sut = RoutingTransport()
    crm = crm_app(SimSettings(seed=seed, limits=limits, delivery_transport=to_sut,
                              delivery_time_scale=0.001))
    billing = billing_app(SimSettings(seed=seed, limits=limits, delivery_transport=to_sut,
                                      delivery_time_scale=0.001))
    erp = erp_app(SimSettings(seed=seed, limits=limits))
    to_fakes = RoutingTransport({"crm": crm, "billing": billing, "erp": erp})
    cfg = ServiceConfig(database_url=database_url or "sqlite://:memory:", variant=variant,
                        workers=3, poll_seconds=0.5, seed=seed)
    sut = create_app(cfg, transport=to_fakes)
    to_sut.add("sut", sut)
    service: Service = sut.state.service
    uniq = (tenant or uuid.uuid4().hex)[:10]
    # The harness acts as the vendors' users and admins; it reads and writes as an
    # observer so that chaos meant for the SUT never hits the harness itself.
    clients = {name: httpx.AsyncClient(transport=InProcessTransport(app),
                                       base_url=f"http://{name}",
                                       headers={"X-Fintwin-Observer": "1"})
               for name, app in (("crm", crm), ("billing", billing), ("erp", erp),
                                 ("sut", sut))}
    async with sut.router.lifespan_context(sut):
        w = World(clients["crm"], clients["billing"], clients["erp"], clients["sut"],
                  service, "", f"7{uniq[:6]}", f"sk_test_{uniq}", f"t-{uniq}")
        w.apps = {"crm": crm, "billing": billing, "erp": erp, "sut": sut}
        await provision(w)
        try:
            yield w
        finally:
            if w.erp_client is not None:
                await w.erp_client.aclose()
            for c in clients.values():
                await c.aclose()
            for app in (crm, billing):
                await app.sim.deliveries.stop()


async def provision(w: World, urls: dict[str, str] | None = None,
                    sut_url: str = "http://sut") -> None:
    """A fresh tenant in the three fakes, webhooks to ``sut_url``, the connection
    registered with the SUT at ``w.sut``. ``urls``: how the SUT reaches the fakes
    (default: their in-process names)."""
    uniq = w.conn_id
    urls = urls or {name: f"http://{name}" for name in ("crm", "billing", "erp")}
    # CRM: an org for our client id, its token, the product catalog, price book entries.
    token = await w.crm.post("/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": f"crm-{uniq}",
        "client_secret": "crm-secret"})
    assert token.status_code == 200, token.text
    w.crm_token = token.json()["access_token"]
    w.crm_tenant = token.json()["id"].split("/")[-2]
    pb = await w.sf("GET", "/query?q=" + "SELECT Id FROM Pricebook2 WHERE IsStandard = true")
    w.standard_pricebook = pb["records"][0]["Id"]
    billing_h = {"Authorization": f"Bearer {w.api_key}"}
    for code, minor in PRODUCTS.items():
        prod = await w.sf("POST", "/sobjects/Product2/", {"Name": code, "ProductCode": code,
                                                         "IsActive": True})
        bprod = (await w.billing.post("/v1/products", data={"name": code},
                                      headers=billing_h)).json()
        for cur, factor in (("USD", 1), ("GBP", 1), ("EUR", 1)):
            entry = await w.sf("POST", "/sobjects/PricebookEntry/", {
                "Pricebook2Id": w.standard_pricebook, "Product2Id": prod["id"],
                "UnitPrice": minor * factor / 100, "IsActive": True, "CurrencyIsoCode": cur})
            w.pricebook_entries[(code, cur)] = entry["id"]
            r = await w.billing.post("/v1/prices", headers=billing_h, data={
                "product": bprod["id"], "currency": cur.lower(), "unit_amount": minor * factor,
                "recurring[interval]": "month", "lookup_key": f"{code}:{cur}"})
            assert r.status_code == 200, r.text
    # ERP: a client for our account, items named after the product codes.
    r = await w.erp.post("/_sim/erp/clients", params={"tenant": w.erp_account},
                         json={"client_id": f"erp-{uniq}", "client_secret": "erp-secret"})
    assert r.status_code in (200, 201), r.text
    w.erp_client = ErpClient(str(w.erp.base_url).rstrip("/"), w.erp_account,
                             client_id=f"erp-{uniq}", client_secret="erp-secret",
                             transport=w.erp._transport)
    income = await w.suiteql("SELECT id FROM account WHERE acctnumber = '4000'")
    for code in PRODUCTS:
        await w.erp_client.create("serviceSaleItem", {
            "itemId": code, "displayName": code, "incomeAccount": {"id": str(income[0]["id"])}})
    # Webhooks: billing endpoint and CRM change-event subscription pointing at the SUT.
    crm_secret = "crm-hook-" + uniq
    we = (await w.billing.post("/v1/webhook_endpoints", headers=billing_h, data={
        "url": f"{sut_url}/webhooks/billing/{uniq}", "enabled_events[]": "*"})).json()
    r = await w.crm.post("/_sim/subscriptions", params={"tenant": w.crm_tenant},
                         json={"url": f"{sut_url}/webhooks/crm/{uniq}", "secret": crm_secret})
    assert r.status_code == 201, r.text
    conn = Connection.from_dict({
        "id": uniq,
        "crm": {"base_url": urls["crm"], "client_id": f"crm-{uniq}",
                "client_secret": "crm-secret", "webhook_secret": crm_secret},
        "billing": {"base_url": urls["billing"], "api_key": w.api_key,
                    "webhook_secret": we["secret"]},
        "erp": {"base_url": urls["erp"], "account_id": w.erp_account,
                "client_id": f"erp-{uniq}", "client_secret": "erp-secret"}})
    r = await w.sut.post("/admin/connections", json=conn.to_dict())
    assert r.status_code == 201, r.text
