"""The three fakes in-process behind one routing transport, for driver and oracle tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from harness.drivers import Endpoint, Endpoints
from simulators.billing.app import create_app as billing_app
from simulators.crm.app import create_app as crm_app
from simulators.engine.settings import SimSettings
from simulators.engine.transport import RoutingTransport
from simulators.erp.app import create_app as erp_app

T = TypeVar("T")
URLS = {"crm": "http://crm.fintwin.test", "billing": "http://billing.fintwin.test",
        "erp": "http://erp.fintwin.test"}
# 2026-01-15T12:00:00Z: every tenant's business clock starts frozen here.
T0 = 1768478400.0


class Stack:
    """CRM, billing and ERP fakes in one process; ``endpoints`` reach them in-process."""

    def __init__(self, seed: int = 7, admin_token: str | None = None) -> None:
        self.transport = RoutingTransport()
        self.apps: dict[str, Any] = {}
        for name, factory in (("crm", crm_app), ("billing", billing_app), ("erp", erp_app)):
            settings = SimSettings(seed=seed, limits=False, admin_token=admin_token,
                                   epoch=T0, frozen_clock=True, base_url=URLS[name],
                                   delivery_transport=self.transport)
            app = factory(settings)
            self.apps[name] = app
            self.transport.add(URLS[name].removeprefix("http://"), app)
        self.endpoints = Endpoints(
            *(Endpoint(URLS[name], transport=self.transport, admin_token=admin_token)
              for name in ("crm", "billing", "erp")))


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)
