"""The stack: three fakes and one SUT, wired together, in one of several modes.

- ``inprocess``: the fakes (``create_app(SimSettings)``) and the SUT's in-process factory
  run as ASGI apps in one event loop on a background thread. The SUT reaches the fakes and
  the fakes deliver webhooks to the SUT through ``RoutingTransport`` (by host name);
  the test thread reaches everything through a bridging httpx transport. Fastest.
- ``local``: each fake is a uvicorn server on its own 127.0.0.1 port (a ``fintwin sim``
  subprocess, or a ``ServerThread`` with ``fakes="thread"``); the CRM serves TLS with the
  engine's local CA; the SUT runs the manifest's command with its environment set, and is
  ready when its health path answers 2xx.
- ``external``: the SUT is already running at the manifest's ``start.url``. The fakes are
  the ones named by the manifest's base-URL variables in the harness's own environment
  when those are set, else the harness starts its own on loopback (as ``local``).
- ``containers``: the fakes, and the SUT when its manifest names an image, as Docker
  containers through testcontainers-python (:mod:`harness.stack_containers`).

Every stack exposes the same surface: ``urls``, ``client()``/``async_client()`` (and
``transport()``/``async_transport()``) per target, ``ca_bundle``, ``admin_token``, ``seed``,
the control plane of each fake (``control()``, ``set_faults()``, ``fault_log()``,
``deliveries()``, ``journal()``), ``new_tenant()`` and the SUT's admin paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

import httpx
import yaml

from harness import epoch as epochs
from harness.data import DataFactory, Product, epoch_date
from harness.drivers.crm import CrmCatalog
from harness.manifest import SERVICE_ENV_KEYS, VENDORS, Manifest
from simulators.billing.vendor import account_id_for_key
from simulators.engine.faults.plan import FaultPlan, PlanError
from simulators.engine.settings import SimSettings
from simulators.engine.tls import ensure_local_ca
from simulators.engine.transport import RoutingTransport

if TYPE_CHECKING:
    from harness.drivers import Endpoints, TenantCredentials, World

T = TypeVar("T")

MODES_HELP = "inprocess | local | external | containers"
SUT = "sut"
TARGETS = (*VENDORS, SUT)
APP_MODULES = {"crm": "simulators.crm.app", "billing": "simulators.billing.app",
               "erp": "simulators.erp.app"}
ADMIN_HEADER = "X-Sim-Admin-Token"
# The fakes' control-plane token: `fintwin sim` reads it when --admin-token is not given,
# the external mode when the fakes it uses are locked.
SIM_ADMIN_TOKEN_ENV = "FINTWIN_SIM_ADMIN_TOKEN"
SUT_URL_ENV = "FINTWIN_SUT_URL"  # external mode: the running SUT, over [start].url
OBSERVER_HEADER = "X-Fintwin-Observer"
# In-process host names: RoutingTransport routes by host, the scheme is cosmetic (the CRM
# is https because Salesforce clients build https URLs themselves).
INPROCESS_URLS = {"crm": "https://crm.fintwin.test", "billing": "http://billing.fintwin.test",
                  "erp": "http://erp.fintwin.test", SUT: "http://sut.fintwin.test"}


class StackError(RuntimeError):
    """The stack could not start, or a fake or the SUT refused a harness request."""


@dataclass(frozen=True)
class StackConfig:
    """What every mode shares. ``chaos`` is a profile name or a plan file (None: none)."""

    seed: int = 0
    chaos: str | None = None
    # Where every tenant's business clock starts, frozen (unix seconds; harness.epoch):
    # business dates never depend on the day the run happens.
    epoch: float = epochs.resolve()
    run_dir: Path | None = None  # logs, CA, SUT database; a temp dir when None
    delivery_time_scale: float = 0.01
    limits: bool = True  # the vendors' own rate/concurrency limits
    lock_fakes: bool = False  # require the admin token on the fakes' /_sim/ routes
    tls: tuple[str, ...] = ("crm",)  # local mode: fakes served over HTTPS
    fakes: str = "process"  # local mode: "process" (fintwin sim) or "thread" (ServerThread)
    startup_timeout: float = 30.0
    sut_env: Mapping[str, str] = field(default_factory=dict)  # extra env for the SUT
    # Extra logical settings for the SUT (e.g. {"variant": "no-dedupe"}): merged into the
    # in-process factory's config; in local mode exported under the manifest's [env]
    # names, or as FINTWIN_<KEY> when the manifest names no variable for the key.
    sut_options: Mapping[str, str] = field(default_factory=dict)
    catalog_size: int = 5  # products seeded into each tenant (CRM, billing, ERP)
    # Keep the bodies of the SUT's requests and the webhooks delivered to it, per tenant
    # (the fakes' journal detail and outbox), for recording its contract from the run.
    traffic: bool = False
    # Vendor API versions a new tenant starts on: "billing" the account's default Stripe
    # version, "crm" the Salesforce API version the SUT is registered with.
    vendor_versions: Mapping[str, str] = field(default_factory=dict)


TRAFFIC_LIMIT = 20_000  # requests per tenant whose bodies the fakes keep (traffic mode)
DELIVERED = "/_sim/outbox?status=delivered"  # the webhooks the SUT acknowledged

# -- tenants -----------------------------------------------------------------------


@dataclass(frozen=True)
class CrmTenant:
    client_id: str
    client_secret: str
    org_id: str
    webhook_secret: str | None = None
    subscription_id: str | None = None
    api_version: str | None = None  # the Salesforce API version the SUT is told to use


@dataclass(frozen=True)
class BillingTenant:
    api_key: str
    account_id: str
    webhook_secret: str | None = None
    endpoint_id: str | None = None


@dataclass(frozen=True)
class ErpTenant:
    account_id: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Tenant:
    """One company's accounts in the three fakes, and its connection id in the SUT."""

    label: str
    connection: str
    crm: CrmTenant
    billing: BillingTenant
    erp: ErpTenant
    registered: bool = False  # registered with a multi-tenant SUT
    catalog: tuple[Product, ...] = ()  # seeded in all three fakes at provisioning
    crm_catalog: CrmCatalog | None = field(default=None, compare=False)

    @property
    def credentials(self) -> TenantCredentials:
        """The drivers' view of this tenant (``harness.drivers.World(endpoints, creds)``)."""
        from harness.drivers import TenantCredentials

        return TenantCredentials(
            id=self.connection, billing_api_key=self.billing.api_key,
            crm_client_id=self.crm.client_id, crm_client_secret=self.crm.client_secret,
            erp_account_id=self.erp.account_id, erp_client_id=self.erp.client_id,
            erp_client_secret=self.erp.client_secret)

    @property
    def ids(self) -> dict[str, str]:
        """The tenant id each fake knows this tenant by (fault rules, logs, state)."""
        return {"crm": self.crm.org_id, "billing": self.billing.account_id,
                "erp": self.erp.account_id}

    def ref(self, vendor: str) -> str:
        """How to name this tenant in ``?tenant=`` on a fake's control plane."""
        return self.ids[vendor]

    def connection_body(self, urls: Mapping[str, str]) -> dict[str, Any]:
        """The ``POST /admin/connections`` body (docs/quote-to-cash.md)."""
        return {
            "id": self.connection,
            "crm": {"base_url": urls["crm"], "client_id": self.crm.client_id,
                    "client_secret": self.crm.client_secret,
                    "webhook_secret": self.crm.webhook_secret or "",
                    **({"api_version": self.crm.api_version} if self.crm.api_version else {})},
            "billing": {"base_url": urls["billing"], "api_key": self.billing.api_key,
                        "webhook_secret": self.billing.webhook_secret or ""},
            "erp": {"base_url": urls["erp"], "account_id": self.erp.account_id,
                    "client_id": self.erp.client_id,
                    "client_secret": self.erp.client_secret},
        }

    def settings(self) -> dict[str, str]:
        """Logical settings (manifest ENV_KEYS) with this tenant's credentials."""
        return {
            "crm_client_id": self.crm.client_id, "crm_client_secret": self.crm.client_secret,
            "crm_webhook_secret": self.crm.webhook_secret or "",
            "billing_api_key": self.billing.api_key,
            "billing_webhook_secret": self.billing.webhook_secret or "",
            "erp_account_id": self.erp.account_id, "erp_client_id": self.erp.client_id,
            "erp_client_secret": self.erp.client_secret, "connection_id": self.connection,
        }

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "connection": self.connection, "ids": self.ids,
                "billing_api_key": self.billing.api_key, "crm_client_id": self.crm.client_id,
                "erp_client_id": self.erp.client_id}


def crm_webhook_secret(seed: int, label: str) -> str:
    """The secret the CRM signs this tenant's change events with (deterministic)."""
    return "whsec_crm" + hashlib.sha256(f"fintwin:{seed}:{label}:crm".encode()).hexdigest()[:32]


# -- the event loop thread and the transports that cross into it ----------------------


class LoopThread:
    """An asyncio event loop on a daemon thread; ``run()`` a coroutine on it from any
    other thread and wait for the result."""

    def __init__(self, name: str = "fintwin-stack") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.close()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 60.0) -> T:
        if self.in_loop():
            coro.close()
            raise RuntimeError("LoopThread.run() called from its own loop; await instead")
        return self.submit(coro).result(timeout)

    def in_loop(self) -> bool:
        return threading.current_thread() is self._thread

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from sync code, even when this thread already runs an
    event loop (then on a helper thread with its own loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: list[T] = []
    errors: list[BaseException] = []

    def main() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=main, name="fintwin-run-sync")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return result[0]


async def _buffered(transport: httpx.AsyncBaseTransport, method: str, url: httpx.URL,
                    headers: list[tuple[bytes, bytes]], body: bytes,
                    extensions: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    request = httpx.Request(method, url, headers=headers, content=body, extensions=extensions)
    response = await transport.handle_async_request(request)
    try:
        content = await response.aread()
    finally:
        await response.aclose()
    return response.status_code, response.headers.raw, content


class BridgeTransport(httpx.BaseTransport):
    """A sync httpx transport that sends each request through an async transport running
    on a :class:`LoopThread` (the test thread's way into the in-process stack)."""

    def __init__(self, loop: LoopThread, transport: httpx.AsyncBaseTransport) -> None:
        self.loop = loop
        self.inner = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        timeout = (request.extensions.get("timeout") or {}).get("read")
        status, headers, content = self.loop.run(
            _buffered(self.inner, request.method, request.url, request.headers.raw,
                      body, {"timeout": request.extensions.get("timeout", {})}),
            timeout=None if timeout is None else timeout + 5.0)
        return httpx.Response(status, headers=headers, content=content, request=request)


class AsyncBridgeTransport(httpx.AsyncBaseTransport):
    """An async transport usable from any event loop: requests run on the stack's loop."""

    def __init__(self, loop: LoopThread, transport: httpx.AsyncBaseTransport) -> None:
        self.loop = loop
        self.inner = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        coro = _buffered(self.inner, request.method, request.url, request.headers.raw,
                         body, {"timeout": request.extensions.get("timeout", {})})
        if self.loop.in_loop():
            status, headers, content = await coro
        else:
            status, headers, content = await asyncio.wrap_future(self.loop.submit(coro))
        return httpx.Response(status, headers=headers, content=content, request=request)


class Lifespan:
    """Runs an ASGI app's lifespan protocol (startup now, shutdown later)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.supported = True

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        try:
            await self.app(scope, self._inbox.get, self._outbox.put)
        except Exception as exc:  # an app without lifespan support raises on the scope
            self.supported = False
            await self._outbox.put({"type": "lifespan.unsupported", "message": repr(exc)})

    async def startup(self, timeout: float) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())
        await self._inbox.put({"type": "lifespan.startup"})
        message = await asyncio.wait_for(self._outbox.get(), timeout)
        if message["type"] == "lifespan.startup.failed":
            raise StackError(f"startup failed: {message.get('message', '')}")

    async def shutdown(self, timeout: float = 10.0) -> None:
        if self._task is None or not self.supported or self._task.done():
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outbox.get(), timeout)
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self._task, timeout)


# -- the stack -------------------------------------------------------------------------


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
        tenant = _registered(tenant, response)
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
        from harness.drivers import TenantCredentials, World
        from simulators.crm.ids import to_18

        creds = TenantCredentials.derive(self.seed, label)
        world = World(self.endpoints(), creds, observer=True)
        connection = creds.id
        try:
            await world.erp.register_client()
            await world.erp.login()
            token = await world.crm.login()  # a new client id is a new org
            org_id = to_18(token.partition("!")[0])
            # Business time starts at the run's epoch, before the first business object:
            # a no-op on fakes the harness started (their tenants are born there), and what
            # pins a tenant of fakes someone else started.
            await world.clock.freeze(self.config.epoch)
            catalog = self.data(label).catalog(self.config.catalog_size) \
                if self.config.catalog_size else ()
            crm_catalog = await world.crm.seed_catalog(catalog) if catalog else None
            if catalog:
                await world.billing.seed_catalog(catalog)
                await world.erp.seed_items(catalog)
            # The SUT's receivers are registered after the catalog: its change events would
            # otherwise go to a connection the SUT does not know yet (404s, then retries
            # for minutes of the fakes' delivery schedule).
            crm_secret: str | None = None
            crm_sub: str | None = None
            crm_path = self.manifest.webhook_path("crm", connection)
            if crm_path is not None:
                crm_secret = crm_webhook_secret(self.seed, label)
                sub = await world.crm.control("POST", "/_sim/subscriptions", json={
                    "url": self.estate_url(SUT) + crm_path, "secret": crm_secret,
                    "events": ["*"]})
                crm_sub = str(sub["id"])
            billing_secret: str | None = None
            endpoint_id: str | None = None
            billing_path = self.manifest.webhook_path("billing", connection)
            if billing_path is not None:
                endpoint_id, billing_secret = await world.billing.register_webhook(
                    self.estate_url(SUT) + billing_path)
            if self.config.vendor_versions.get("billing"):
                await world.billing.set_api_version(self.config.vendor_versions["billing"])
            if self.config.traffic:
                for driver in (world.crm, world.billing, world.erp):
                    await driver.control("PUT", "/_sim/journal/detail",
                                         json={"limit": TRAFFIC_LIMIT})
        finally:
            await world.aclose()
        return Tenant(
            label=label, connection=connection,
            crm=CrmTenant(creds.crm_client_id, creds.crm_client_secret, org_id, crm_secret,
                          crm_sub, self.config.vendor_versions.get("crm")),
            billing=BillingTenant(creds.billing_api_key,
                                  account_id_for_key(creds.billing_api_key), billing_secret,
                                  endpoint_id),
            erp=ErpTenant(creds.erp_account_id, creds.erp_client_id, creds.erp_client_secret),
            catalog=tuple(catalog), crm_catalog=crm_catalog)

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
        return _registered(tenant, response)

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


# -- in-process ------------------------------------------------------------------------


def _fake_settings(config: StackConfig, **kwargs: Any) -> SimSettings:
    return SimSettings(seed=config.seed, limits=config.limits,
                       delivery_time_scale=config.delivery_time_scale,
                       epoch=config.epoch, frozen_clock=True, **kwargs)


def _create_fake(vendor: str, settings: SimSettings) -> Any:
    import importlib

    return importlib.import_module(APP_MODULES[vendor]).create_app(settings)


class InProcessStack(Stack):
    """The fakes and the SUT's in-process factory in one event loop (a background
    thread). The factory is called as ``factory(config, transport)``: ``config`` is a dict
    of the logical settings (manifest ENV_KEYS, e.g. ``database_url``, ``admin_token``) plus
    ``"env"``, the same settings under the SUT's variable names; ``transport`` is an
    ``httpx.AsyncBaseTransport`` that reaches the fakes at their ``*_base_url``. It returns
    an ASGI app (or an awaitable of one); its lifespan runs in the stack's loop."""

    mode = "inprocess"

    def __init__(self, manifest: Manifest, config: StackConfig | None = None,
                 factory: Callable[..., Any] | None = None) -> None:
        super().__init__(manifest, config)
        self._factory = factory
        self.loop: LoopThread | None = None
        self.apps: dict[str, Any] = {}
        self._routes = RoutingTransport()  # to every app, by host
        self._lifespans: list[Lifespan] = []
        self.attached = False  # astart_attached(): the apps run in the caller's loop

    def _start(self) -> None:
        factory = self._factory or self.manifest.load_factory()
        self.urls = dict(INPROCESS_URLS)
        self.loop = LoopThread()
        timeout = self.config.startup_timeout + 5
        self.loop.run(self._astart_fakes(), timeout=timeout)
        # A single-tenant SUT is configured with its one tenant, provisioned first.
        primary = None if self.manifest.multi_tenant else self.new_tenant("primary")
        self.loop.run(self._astart_sut(factory, primary), timeout=timeout)

    async def _astart_fakes(self) -> None:
        for vendor in VENDORS:
            app = _create_fake(vendor, _fake_settings(
                self.config, admin_token=self.sim_admin_token, base_url=self.urls[vendor],
                delivery_transport=self._routes))
            self.apps[vendor] = app
            self._routes.add(_netloc(self.urls[vendor]), app)
            await self._lifespan(vendor, app)

    async def _astart_sut(self, factory: Callable[..., Any], primary: Tenant | None) -> None:
        settings = self.sut_settings(primary)
        options = dict(self.config.sut_options)
        config: dict[str, Any] = {**settings, **options,
                                  "env": {**self.manifest.environment({**settings, **options}),
                                          **self.config.sut_env},
                                  "seed": self.seed}
        sut = factory(config, self._routes)
        if isinstance(sut, Awaitable):
            sut = await sut
        self.apps[SUT] = sut
        self._routes.add(_netloc(self.urls[SUT]), sut)
        await self._lifespan(SUT, sut)

    async def _lifespan(self, name: str, app: Any) -> None:
        lifespan = Lifespan(app)
        try:
            await lifespan.startup(self.config.startup_timeout)
        except (StackError, TimeoutError) as exc:
            raise StackError(f"{name}: lifespan startup: {exc or 'timed out'}") from exc
        self._lifespans.append(lifespan)

    def _stop(self) -> None:
        if self.loop is None:
            return
        with contextlib.suppress(Exception):
            self.loop.run(self._astop(), timeout=30)
        self.loop.stop()
        self.loop = None

    async def _astop(self) -> None:
        for lifespan in reversed(self._lifespans):
            with contextlib.suppress(Exception):
                await lifespan.shutdown()
        self._lifespans.clear()

    def transport(self, target: str) -> httpx.BaseTransport | None:
        assert self.loop is not None, "stack not started"
        return BridgeTransport(self.loop, self._routes)

    def async_transport(self, target: str) -> httpx.AsyncBaseTransport | None:
        if self.loop is None and self.attached:
            return self._routes  # the apps run in the caller's loop
        assert self.loop is not None, "stack not started"
        return AsyncBridgeTransport(self.loop, self._routes)

    # -- attached: the apps in the caller's event loop --------------------------------

    @property
    def routes(self) -> RoutingTransport:
        """The transport that reaches every app by host name (in the stack's loop)."""
        return self._routes

    async def astart_attached(self) -> Self:
        """Start the fakes and the SUT in the running event loop, with no loop thread: for
        async code that wants the SUT's own objects (its database, its metrics) in its own
        loop, as the integration layer's service tests do. Then only the async surface
        works (``urls``, ``apps``, ``routes``, ``async_client()``, ``endpoints()``,
        ``aprovision()``; no chaos plan is installed); stop with :meth:`aclose_attached`.
        Only for a multi-tenant SUT."""
        if not self.manifest.multi_tenant:
            raise StackError("an attached stack needs a multi-tenant SUT")
        self._make_run_dir()
        self.urls = dict(INPROCESS_URLS)
        self.attached = True
        try:
            await self._astart_fakes()
            await self._astart_sut(self._factory or self.manifest.load_factory(), None)
        except BaseException:
            await self.aclose_attached()
            raise
        self.started = True
        return self

    async def aclose_attached(self) -> None:
        try:
            await self._astop()
            for vendor in VENDORS:
                deliveries = getattr(getattr(self.apps.get(vendor), "sim", None),
                                     "deliveries", None)
                if deliveries is not None:
                    await deliveries.stop()
        finally:
            self.started = False
            self.attached = False
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None


def _netloc(url: str) -> str:
    return httpx.URL(url).netloc.decode()


# -- local processes -------------------------------------------------------------------


def _registered(tenant: Tenant, response: httpx.Response) -> Tenant:
    """The tenant marked registered, once the SUT accepted its connection."""
    if not 200 <= response.status_code < 300:
        raise StackError(f"SUT refused connection {tenant.connection}: "
                         f"{response.status_code} {response.text[:500]}")
    return replace(tenant, registered=True)


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


def fake_arguments(config: StackConfig, vendor: str, *, port: int, host: str = "127.0.0.1",
                   tls: bool = False, tls_hostnames: tuple[str, ...] = ()) -> list[str]:
    """The ``fintwin sim`` arguments of one fake of this run (a process or a container);
    the control-plane token is not among them (an argument or the environment)."""
    args = ["sim", vendor, "--host", host, "--port", str(port), "--seed", str(config.seed),
            "--epoch", epochs.name(config.epoch), "--freeze-clock",
            "--delivery-time-scale", repr(config.delivery_time_scale)]
    if tls:
        args.append("--tls")
        for name in tls_hostnames:
            args += ["--tls-hostname", name]
    if not config.limits:
        args.append("--no-limits")
    return args


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the OS picks; the socket is closed at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ssl_context(ca_bundle: str | Path) -> ssl.SSLContext:
    """A client SSL context trusting ``ca_bundle``."""
    return ssl.create_default_context(cafile=str(ca_bundle))


def wait_healthy(url: str, *, deadline: float, verify: ssl.SSLContext | bool = True,
                 alive: Callable[[], str | None] | None = None, what: str = "server") -> None:
    """Poll ``url`` until it answers 2xx; ``alive()`` returns why the server died, if it
    did. Raises StackError at the deadline (a monotonic time)."""
    last = "no answer"
    with httpx.Client(verify=verify, timeout=2.0) as client:
        while True:
            if alive is not None:
                died = alive()
                if died is not None:
                    raise StackError(f"{what} exited before it was healthy: {died}")
            try:
                response = client.get(url)
                if 200 <= response.status_code < 300:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                raise StackError(f"{what} not healthy at {url} in time; last: {last}")
            # Waiting on a condition with a deadline: a short pause between probes.
            threading.Event().wait(0.05)


class _Process:
    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], cwd: Path,
                 log: Path) -> None:
        self.name = name
        self.log = log
        self._fh = open(log, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(argv, env=dict(env), cwd=str(cwd), stdout=self._fh,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def died(self) -> str | None:
        code = self.proc.poll()
        if code is None:
            return None
        return f"exit code {code}; log tail:\n{self.tail()}"

    def tail(self, n: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_bytes()[-n:].decode("utf-8", "replace")
        return ""

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._fh.close()


class LocalStack(Stack):
    """Each fake on its own loopback port, the SUT as a subprocess of the manifest's
    command."""

    mode = "local"

    def __init__(self, manifest: Manifest, config: StackConfig | None = None) -> None:
        super().__init__(manifest, config)
        self._procs: list[_Process] = []
        self._threads: list[Any] = []
        self.sut_process: _Process | None = None

    def _start(self) -> None:
        deadline = time.monotonic() + self.config.startup_timeout
        self._start_fakes(deadline)
        self._start_sut()

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        bindir = str(Path(sys.executable).parent)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _start_fakes(self, deadline: float) -> None:
        tls = set(self.config.tls)
        if tls:
            self.ca_bundle = ensure_local_ca(self.run_dir / ".fintwin").ca_pem
        for vendor in VENDORS:
            scheme = "https" if vendor in tls else "http"
            if self.config.fakes == "thread":
                self._start_fake_thread(vendor, scheme)
            else:
                self._start_fake_process(vendor, scheme)
        for vendor in VENDORS:
            proc = next((p for p in self._procs if p.name == vendor), None)
            wait_healthy(self.urls[vendor] + "/_sim/health", deadline=deadline,
                         verify=self.verify(),
                         alive=None if proc is None else proc.died, what=f"{vendor} fake")

    def _start_fake_process(self, vendor: str, scheme: str) -> None:
        port = free_port()
        argv = [sys.executable, "-m", "harness.cli",
                *fake_arguments(self.config, vendor, port=port, tls=scheme == "https")]
        if self.sim_admin_token:
            argv += ["--admin-token", self.sim_admin_token]
        # cwd is the run dir: without --state-dir, --tls keeps its CA in ./.fintwin/tls,
        # which is where the CA made above already is.
        self._procs.append(_Process(vendor, argv, self._child_env(), self.run_dir,
                                    self.run_dir / f"{vendor}.log"))
        self.urls[vendor] = f"{scheme}://127.0.0.1:{port}"

    def _start_fake_thread(self, vendor: str, scheme: str) -> None:
        from harness.servers import ServerThread

        tls_files = ensure_local_ca(self.run_dir / ".fintwin") if scheme == "https" else None
        app = _create_fake(vendor, _fake_settings(self.config, admin_token=self.sim_admin_token))
        server = ServerThread(app, ssl_certfile=str(tls_files.cert_pem) if tls_files else None,
                              ssl_keyfile=str(tls_files.key_pem) if tls_files else None)
        server.start(self.config.startup_timeout)
        self._threads.append(server)
        self.urls[vendor] = server.url
        app.sim.settings.base_url = server.url

    def _start_sut(self) -> None:
        start = self.manifest.start
        port = free_port()
        self.urls[SUT] = f"http://127.0.0.1:{port}"
        primary = None
        if not self.manifest.multi_tenant:
            primary = self.new_tenant("primary")
        settings = self.sut_settings(primary)
        env = {**self._child_env(), **start.env, **self.config.sut_env,
               **self.sut_option_env(), **self.manifest.environment(settings)}
        cwd = start.cwd or (self.manifest.path.parent if self.manifest.path else Path.cwd())
        argv = start.argv(port)
        if shutil.which(argv[0], path=env["PATH"]) is None and not Path(argv[0]).exists():
            raise StackError(f"SUT command not found: {argv[0]!r} (manifest [start].command)")
        self.sut_process = _Process(SUT, argv, env, cwd, self.run_dir / "sut.log")
        self._procs.append(self.sut_process)
        wait_healthy(self.urls[SUT] + start.health,
                     deadline=time.monotonic() + start.timeout,
                     alive=self.sut_process.died, what=f"SUT {self.manifest.name!r}")

    def sut_option_env(self) -> dict[str, str]:
        """``config.sut_options`` as the SUT's environment: under the manifest's [env]
        names, or as FINTWIN_<KEY> when the manifest names no variable for the key."""
        return {(self.manifest.env.get(k) or f"FINTWIN_{k.upper()}"): str(v)
                for k, v in self.config.sut_options.items()}

    def _stop(self) -> None:
        for proc in reversed(self._procs):
            proc.stop()
        self._procs.clear()
        for server in reversed(self._threads):
            server.stop()
        self._threads.clear()


class ExternalStack(LocalStack):
    """The SUT already runs at the manifest's ``start.url`` (or ``sut_url``)."""

    mode = "external"

    def __init__(self, manifest: Manifest, config: StackConfig | None = None,
                 sut_url: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(manifest, config)
        self._environ = dict(os.environ if environ is None else environ)
        self._sut_url = sut_url or self._environ.get(SUT_URL_ENV) or manifest.start.url
        self._given = manifest.settings_from_environment(self._environ)
        # Fakes someone else started may have their control planes locked.
        if self._environ.get(SIM_ADMIN_TOKEN_ENV):
            self.sim_admin_token = self._environ[SIM_ADMIN_TOKEN_ENV]

    def _start(self) -> None:
        if not self._sut_url:
            raise StackError("external mode needs the SUT's URL (manifest [start].url)")
        deadline = time.monotonic() + self.config.startup_timeout
        given = {v: self._given[f"{v}_base_url"].rstrip("/") for v in VENDORS
                 if f"{v}_base_url" in self._given}
        if len(given) < len(VENDORS) and self.manifest.fakes:
            given = dict(self.manifest.fakes)  # the estate the manifest describes
            if self.manifest.fakes_ca_bundle is not None:
                self.ca_bundle = self.manifest.fakes_ca_bundle
        if len(given) == len(VENDORS):
            # The SUT was started against these fakes; use them.
            self.urls.update(given)
            self.network_urls = dict(self.manifest.network)
            if self._given.get("ca_bundle"):
                self.ca_bundle = Path(self._given["ca_bundle"])
            if self.ca_bundle is not None and not self.ca_bundle.is_file():
                raise StackError(f"the fakes' CA bundle {self.ca_bundle} is not a file")
            for vendor in VENDORS:
                wait_healthy(self.urls[vendor] + "/_sim/health", deadline=deadline,
                             verify=self.verify(),
                             what=f"{vendor} fake")
        else:
            self._start_fakes(deadline)
        self.urls[SUT] = self._sut_url.rstrip("/")
        wait_healthy(self.urls[SUT] + self.manifest.start.health, deadline=deadline,
                     what=f"SUT {self.manifest.name!r}")
        if "admin_token" in self._given:
            self.admin_token = self._given["admin_token"]

    def new_tenant(self, label: str | None = None) -> Tenant:
        if self.manifest.multi_tenant:
            return super().new_tenant(label)
        if not self._tenants:
            self._tenants.append(self._tenant_from_environment())
        return self._tenants[0]

    def _tenant_from_environment(self) -> Tenant:
        g = self._given
        missing = sorted({"crm_client_id", "billing_api_key", "erp_account_id"} - set(g))
        if missing:
            raise StackError("a single-tenant external SUT: set its credential variables in "
                             "the harness's environment too (missing: "
                             + ", ".join(self.manifest.env[k] for k in missing
                                         if k in self.manifest.env) + ")")
        crm = self._shared("crm").post("/services/oauth2/token",
                                       headers=self.observer_headers(), data={
                                           "grant_type": "client_credentials",
                                           "client_id": g["crm_client_id"],
                                           "client_secret": g.get("crm_client_secret", "")})
        if crm.status_code != 200:
            raise StackError(f"crm token: {crm.status_code} {crm.text[:300]}")
        org_id = str(crm.json()["id"]).rstrip("/").split("/")[-2]
        return Tenant(
            label="external", connection=g.get("connection_id", "default"),
            crm=CrmTenant(g["crm_client_id"], g.get("crm_client_secret", ""), org_id,
                          g.get("crm_webhook_secret")),
            billing=BillingTenant(g["billing_api_key"], account_id_for_key(g["billing_api_key"]),
                                  g.get("billing_webhook_secret")),
            erp=ErpTenant(g["erp_account_id"], g.get("erp_client_id", ""),
                          g.get("erp_client_secret", "")))


from harness.stack_containers import ContainersStack  # noqa: E402  (it subclasses LocalStack)

MODES: dict[str, type[Stack]] = {"inprocess": InProcessStack, "local": LocalStack,
                                 "external": ExternalStack, "containers": ContainersStack}


def create_stack(mode: str, manifest: Manifest, config: StackConfig | None = None,
                 **kwargs: Any) -> Stack:
    """A stack of ``mode`` (not started)."""
    try:
        cls = MODES[mode]
    except KeyError:
        raise StackError(f"unknown stack mode {mode!r} ({MODES_HELP})") from None
    return cls(manifest, config, **kwargs)


@contextlib.contextmanager
def running(mode: str, manifest: Manifest, config: StackConfig | None = None,
            **kwargs: Any) -> Iterator[Stack]:
    """``with running("inprocess", manifest) as stack: ...``"""
    stack = create_stack(mode, manifest, config, **kwargs)
    with stack:
        yield stack


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


def json_safe(value: Any) -> Any:
    """Round-trip through JSON (for data headed to reports and xdist)."""
    return json.loads(json.dumps(value, default=str))

