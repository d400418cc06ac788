"""The surface every stack mode shares (:class:`Stack`): lifecycle, clients and
transports per target, the fakes' control planes and fault plans, tenants, the SUT's
admin paths."""

from __future__ import annotations

import asyncio
import secrets
import ssl
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

import httpx
import yaml

from harness import epoch as epochs
from harness.data import DataFactory, epoch_date
from harness.drivers.crm import CrmCatalog
from harness.manifest import SERVICE_ENV_KEYS, VENDORS, Manifest
from harness.processes import ssl_context
from harness.stack.bridge import run_sync
from harness.stack.config import (
    ADMIN_HEADER,
    DELIVERED,
    OBSERVER_HEADER,
    SUT,
    StackConfig,
    StackError,
)
from harness.stack.tenants import Tenant, provision, registered
from simulators.engine.faults.plan import FaultPlan, PlanError

if TYPE_CHECKING:
    from harness.drivers import Endpoints, World

class Stack:
    """Base of every mode. Use as a context manager, or ``start()`` then ``close()``."""

    mode: ClassVar[str] = ""

    def __init__(self, manifest: Manifest, config: StackConfig | None = None) -> None:
        self.manifest = manifest
        self.config = config or StackConfig()
        self.seed = self.config.seed
        self.urls: dict[str, str] = {}
        # Where the estate's members reach each other when not at ``urls`` (a container
        # network): the fakes as the SUT reaches them, the SUT as the fakes do.
        self.network_urls: dict[str, str] = {}
        self.ca_bundle: Path | None = None
        self.admin_token: str = secrets.token_hex(16)  # the SUT's admin token
        self.sim_admin_token: str | None = secrets.token_hex(16) if self.config.lock_fakes \
            else None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.run_dir: Path = Path()
        self._labels: dict[str, int] = {}
        self._tenants: list[Tenant] = []
        self._base_plan: dict[str, Any] = {}
        self._clients: dict[str, httpx.Client] = {}
        self.started = False

    # lifecycle
    def start(self) -> Self:
        if self.started:
            return self
        self._make_run_dir()
        try:
            self._start()
            self.started = True
            self._base_plan = self._chaos_plan()
            self.set_faults(self._base_plan)
        except BaseException:
            self.close()
            raise
        return self

    def _make_run_dir(self) -> None:
        if self.config.run_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="fintwin-stack-")
            self.run_dir = Path(self._tmp.name)
        else:
            self.run_dir = Path(self.config.run_dir)
            self.run_dir.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        try:
            self._stop()
        finally:
            self.started = False
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _start(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    # reaching the fakes and the SUT
    def transport(self, target: str) -> httpx.BaseTransport | None:
        """A sync transport to ``target`` (None: a plain socket transport will do)."""
        return None

    def async_transport(self, target: str) -> httpx.AsyncBaseTransport | None:
        """An async transport to ``target`` usable from any event loop (None: sockets)."""
        return None

    def verify(self) -> ssl.SSLContext | bool:
        """What httpx should verify the fakes' TLS with (the local CA when there is one)."""
        return True if self.ca_bundle is None else ssl_context(self.ca_bundle)

    def client(self, target: str, **kwargs: Any) -> httpx.Client:
        """A new sync client with ``base_url`` set to ``target`` (crm, billing, erp, sut)."""
        kwargs.setdefault("base_url", self.urls[target])
        kwargs.setdefault("timeout", 30.0)
        transport = self.transport(target)
        if transport is not None:
            kwargs.setdefault("transport", transport)
        elif self.ca_bundle is not None:
            kwargs.setdefault("verify", self.verify())
        return httpx.Client(**kwargs)

    def async_client(self, target: str, **kwargs: Any) -> httpx.AsyncClient:
        """A new async client to ``target``; works from any event loop."""
        kwargs.setdefault("base_url", self.urls[target])
        kwargs.setdefault("timeout", 30.0)
        transport = self.async_transport(target)
        if transport is not None:
            kwargs.setdefault("transport", transport)
        elif self.ca_bundle is not None:
            kwargs.setdefault("verify", self.verify())
        return httpx.AsyncClient(**kwargs)

    def _shared(self, target: str) -> httpx.Client:
        if target not in self._clients:
            self._clients[target] = self.client(target)
        return self._clients[target]

    def control_headers(self) -> dict[str, str]:
        """Headers for a fake's ``/_sim/`` routes."""
        return {ADMIN_HEADER: self.sim_admin_token} if self.sim_admin_token else {}

    def observer_headers(self) -> dict[str, str]:
        """Headers that make a vendor-API request an observer's (no faults, no journal,
        no quota): for the oracle and for the harness acting as the vendors' admin."""
        return {OBSERVER_HEADER: self.sim_admin_token or "1"}

    def admin_headers(self) -> dict[str, str]:
        """Headers for the SUT's admin paths."""
        return self.manifest.admin.headers(self.admin_token)

    # the fakes' control planes
    def control(self, vendor: str, method: str, path: str, *, tenant: str | None = None,
                json: Any = None, expect: int | tuple[int, ...] | None = (200, 201)
                ) -> httpx.Response:
        """Call a fake's control plane (``path`` under ``/_sim/``)."""
        params = {"tenant": tenant} if tenant else None
        response = self._shared(vendor).request(method, path, params=params, json=json,
                                                headers=self.control_headers())
        expected = (expect,) if isinstance(expect, int) else expect
        if expected and response.status_code not in expected:
            raise StackError(f"{vendor} {method} {path}: {response.status_code} "
                             f"{response.text[:500]}")
        return response

    def set_faults(self, plan: Mapping[str, Any] | None, vendors: tuple[str, ...] = VENDORS
                   ) -> None:
        """Install ``plan`` (a FaultPlan mapping; empty or None clears) on the fakes."""
        for vendor in vendors:
            if plan:
                self.control(vendor, "PUT", "/_sim/faults", json=dict(plan))
            else:
                self.control(vendor, "DELETE", "/_sim/faults")

    @property
    def base_plan(self) -> dict[str, Any]:
        """The run's chaos plan (as data; empty when no chaos)."""
        return dict(self._base_plan)

    def restore_faults(self) -> None:
        """Back to the run's chaos plan (after a test installed its own rules)."""
        self.set_faults(self._base_plan)

    def _chaos_plan(self) -> dict[str, Any]:
        chaos = self.config.chaos
        if not chaos or chaos == "none":
            return {}
        try:
            path = Path(chaos)
            if path.is_file():
                data = yaml.safe_load(path.read_text())
                FaultPlan.parse(data)
                return dict(data)
            plan = FaultPlan.load_profile(chaos)
        except PlanError as exc:
            raise StackError(f"chaos: {exc}") from exc
        return dict(plan.source)

    def fault_log(self, vendor: str, tenant: Tenant | None = None) -> list[dict[str, Any]]:
        ref = tenant.ref(vendor) if tenant else None
        data: list[dict[str, Any]] = self.control(vendor, "GET", "/_sim/faults/log",
                                                  tenant=ref).json()["data"]
        return data

    def deliveries(self, vendor: str, tenant: Tenant) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.control(vendor, "GET", "/_sim/deliveries",
                                                  tenant=tenant.ref(vendor)).json()["data"]
        return data

    def journal(self, vendor: str, tenant: Tenant) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.control(vendor, "GET", "/_sim/journal",
                                                  tenant=tenant.ref(vendor)).json()["data"]
        return data

    def collect(self, tenant: Tenant) -> dict[str, Any]:
        """What the fakes recorded for ``tenant``: faults, deliveries and journal (and, with
        ``traffic``, the webhooks delivered to the SUT)."""
        out: dict[str, Any] = {"tenant": tenant.to_json(), "faults": {}, "deliveries": {},
                               "journal": {}}
        for vendor in VENDORS:
            out["faults"][vendor] = self.fault_log(vendor, tenant)
            out["deliveries"][vendor] = self.deliveries(vendor, tenant)
            out["journal"][vendor] = self.journal(vendor, tenant)
        if self.config.traffic:
            out["webhooks"] = {vendor: self.control(vendor, "GET", DELIVERED,
                                                    tenant=tenant.ref(vendor)).json()["data"]
                               for vendor in VENDORS}
        return out

    # the SUT's admin paths
    def sut_admin(self, which: str, method: str, json: Any = None, **params: str
                  ) -> httpx.Response:
        """Call the SUT's ``[admin]`` path ``which`` (connections, replay, dlq)."""
        path = getattr(self.manifest.admin, which, None)
        if not isinstance(path, str):
            raise StackError(f"the SUT manifest has no [admin].{which}")
        return self._shared(SUT).request(method, path, json=json, params=params or None,
                                         headers=self.admin_headers())

    def replay(self, tenant: Tenant) -> httpx.Response:
        return self.sut_admin("replay", "POST", json={"connection": tenant.connection})

    def dlq(self, tenant: Tenant | None = None) -> httpx.Response:
        params = {"connection": tenant.connection} if tenant else {}
        return self.sut_admin("dlq", "GET", **params)

    def sut_pending(self, tenant: Tenant | None = None) -> int | None:
        """The SUT's pending work (its manifest's ``[admin].idle`` probe), for one tenant's
        connection or in all; None when the SUT has no probe. A probe that fails answers
        StackError: a run cannot be called settled on a probe that does not answer."""
        if self.manifest.admin.idle is None:
            return None
        params = {"connection": tenant.connection} if tenant else {}
        response = self.sut_admin("idle", "GET", **params)
        return pending_count(response)

    # tenants
    def new_tenant(self, label: str | None = None) -> Tenant:
        """A fresh tenant in each fake, wired to the SUT.

        Billing: a new ``sk_test_`` key (a new account) with a webhook endpoint for the
        SUT's receiver; CRM: a new OAuth client id (a new org) with a change-event
        subscription; ERP: a new account with a registered client. A multi-tenant SUT
        gets the connection registered; a single-tenant SUT has one tenant for the whole
        run (the one it was started with), returned every time.
        """
        if not self.manifest.multi_tenant and self._tenants:
            return self._tenants[0]
        tenant = self._provision(self._unique(label))
        if self.manifest.multi_tenant:
            tenant = self.register(tenant)
        self._tenants.append(tenant)
        return tenant

    async def anew_tenant(self, label: str | None = None) -> Tenant:
        """:meth:`new_tenant` from async code (any event loop): provisioning and the SUT
        registration are awaited, so many tenants can be made at once."""
        if not self.manifest.multi_tenant:
            return await asyncio.to_thread(self.new_tenant, label)
        tenant = await self.aprovision(self._unique(label))
        path = self.manifest.admin.connections
        async with self.async_client(SUT) as client:
            response = await client.post(str(path), headers=self.admin_headers(),
                                         json=tenant.connection_body(self.sut_vendor_urls()))
        tenant = registered(tenant, response)
        self._tenants.append(tenant)
        return tenant

    async def acollect(self, tenant: Tenant, client: Mapping[str, httpx.AsyncClient]
                       ) -> dict[str, Any]:
        """:meth:`collect` from async code, with one async client per fake (``client``:
        from :meth:`async_client`)."""
        out: dict[str, Any] = {"tenant": tenant.to_json(), "faults": {}, "deliveries": {},
                               "journal": {}}

        async def one(vendor: str, path: str) -> list[dict[str, Any]]:
            response = await client[vendor].get(path, params={"tenant": tenant.ref(vendor)},
                                                headers=self.control_headers())
            if response.status_code != 200:
                raise StackError(f"{vendor} GET {path}: {response.status_code} "
                                 f"{response.text[:300]}")
            data: list[dict[str, Any]] = response.json()["data"]
            return data

        paths = [("faults", "/_sim/faults/log"), ("deliveries", "/_sim/deliveries"),
                 ("journal", "/_sim/journal")]
        if self.config.traffic:
            out["webhooks"] = {}
            paths.append(("webhooks", DELIVERED))
        keys = [(key, vendor, path) for vendor in VENDORS for key, path in paths]
        found = await asyncio.gather(*(one(vendor, path) for _, vendor, path in keys))
        for (key, vendor, _), data in zip(keys, found, strict=True):
            out[key][vendor] = data
        return out

    @property
    def tenants(self) -> list[Tenant]:
        return list(self._tenants)

    def _unique(self, label: str | None) -> str:
        base = label or f"tenant-{len(self._labels) + 1}"
        n = self._labels.get(base, 0) + 1
        self._labels[base] = n
        return base if n == 1 else f"{base}#{n}"

    def _provision(self, label: str) -> Tenant:
        return run_sync(self.aprovision(label))

    async def aprovision(self, label: str) -> Tenant:
        """Provision ``label``'s tenant in each fake with the drivers (no SUT registration).

        The harness acts as the vendors' admin here, so it reads and writes as an observer:
        the run's chaos never hits provisioning.
        """
        return await provision(self, label)

    def data(self, label: str) -> DataFactory:
        """The seeded test data of ``label``'s tenant; deals close around the epoch."""
        return DataFactory(self.seed, label, base_date=epoch_date(self.config.epoch))

    def endpoints(self) -> Endpoints:
        """Where the fakes are, for ``harness.drivers`` (works from any event loop)."""
        from harness.drivers import Endpoint, Endpoints

        def one(vendor: str) -> Endpoint:
            # Endpoint.verify is typed bool | str; an SSLContext avoids httpx's warning
            # about verify=<path>.
            verify: Any = self.verify()
            return Endpoint(base_url=self.urls[vendor], transport=self.async_transport(vendor),
                            verify=verify,
                            admin_token=self.sim_admin_token)

        return Endpoints(crm=one("crm"), billing=one("billing"), erp=one("erp"))

    def world(self, tenant: Tenant, *, observer: bool = True) -> World:
        """The drivers of ``tenant`` (acting as its users; the caller closes it).

        They send ``X-Fintwin-Observer`` by default: the harness's own calls never meet the
        run's faults or limits and stay out of the request journal, which then holds only
        the SUT's requests (what the rate-limit and duplicate-write checks read)."""
        from harness.drivers import World

        world = World(self.endpoints(), tenant.credentials, observer=observer)
        if tenant.crm_catalog is not None:
            world.crm.catalog = CrmCatalog(tenant.crm_catalog.pricebook_id,
                                           dict(tenant.crm_catalog.products),
                                           dict(tenant.crm_catalog.entries))
        return world

    def register(self, tenant: Tenant) -> Tenant:
        """``POST`` the connection to the SUT's ``[admin].connections`` path; the tenant,
        marked registered."""
        response = self.sut_admin("connections", "POST",
                                  json=tenant.connection_body(self.sut_vendor_urls()))
        return registered(tenant, response)

    def sut_vendor_urls(self) -> dict[str, str]:
        """The fakes' base URLs as the SUT reaches them."""
        return {v: self.estate_url(v) for v in VENDORS}

    def estate_url(self, target: str) -> str:
        """``target``'s base URL as the other members of the estate reach it (the SUT
        reaches the fakes, the fakes deliver webhooks to the SUT)."""
        return self.network_urls.get(target) or self.urls[target]

    def sut_ca_bundle(self) -> str | None:
        """The fakes' CA bundle as a path the SUT can read."""
        return None if self.ca_bundle is None else str(self.ca_bundle)

    def sut_settings(self, primary: Tenant | None) -> dict[str, str]:
        """Logical settings (manifest ENV_KEYS) handed to the SUT at start."""
        values: dict[str, str] = {
            "database_url": f"sqlite:///{self.run_dir / 'sut.db'}",
            "admin_token": self.admin_token, "seed": str(self.seed),
        }
        ca_bundle = self.sut_ca_bundle()
        if ca_bundle is not None:
            values["ca_bundle"] = ca_bundle
        if not self.manifest.multi_tenant:
            values.update({f"{v}_base_url": u for v, u in self.sut_vendor_urls().items()})
            if primary is not None:
                values.update(primary.settings())
        else:
            values = {k: v for k, v in values.items() if k in SERVICE_ENV_KEYS}
        return values

    def describe(self) -> dict[str, Any]:
        """What a report or a rerun needs to know about this stack."""
        return {"mode": self.mode, "sut": self.manifest.name, "seed": self.seed,
                "epoch": epochs.name(self.config.epoch),
                "chaos": self.config.chaos or "none", "urls": dict(self.urls),
                "network_urls": dict(self.network_urls),
                "ca_bundle": None if self.ca_bundle is None else str(self.ca_bundle),
                "multi_tenant": self.manifest.multi_tenant}



def pending_count(response: httpx.Response) -> int:
    """The ``pending`` count of an idle probe's answer (StackError if it has none)."""
    try:
        body = response.json() if response.status_code < 300 else None
        value = body.get("pending") if isinstance(body, dict) else None
    except ValueError:
        value = None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StackError(f"the SUT's idle probe answered {response.status_code} "
                         f"{response.text[:200]!r}: expected JSON with 'pending', a count")
    return value


def scoped_plan(base: Mapping[str, Any], rules: list[Mapping[str, Any]], tenant_id: str
                ) -> dict[str, Any]:
    """``base`` with ``rules`` narrowed to one tenant and put first (so a test's own rule
    wins over the run's chaos on the same request)."""
    scoped = []
    for i, rule in enumerate(rules):
        match = dict(rule.get("match") or {})
        match["tenant"] = tenant_id
        scoped.append({**rule, "match": match, "name": rule.get("name") or f"test-{i}"})
    plan = {k: v for k, v in base.items() if k != "rules"}
    plan["rules"] = [*scoped, *(base.get("rules") or [])]
    FaultPlan.parse(plan)
    return plan
