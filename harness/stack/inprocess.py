"""``inprocess``: the fakes and the SUT's in-process factory as ASGI apps in one
event loop on a background thread."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Self

import httpx

from harness.manifest import VENDORS, Manifest
from harness.stack.base import Stack
from harness.stack.bridge import AsyncBridgeTransport, BridgeTransport, LoopThread
from harness.stack.config import INPROCESS_URLS, SUT, StackConfig, StackError
from harness.stack.fakes import create_fake, fake_settings
from harness.stack.tenants import Tenant
from simulators.engine.transport import RoutingTransport


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
            app = create_fake(vendor, fake_settings(
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

