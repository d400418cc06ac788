"""The CRM's outermost layer: when each API request arrived and when it finished.

Salesforce limits how many requests that have run 20 s or longer an org may have at once
("Concurrent API Request Limits"); the tracker wraps everything, injected latency
included, so the limit sees that time too (``limits.over_long_running``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import MutableMapping
from typing import Any

from simulators.crm.limits import arrived, finished
from simulators.engine.asgi import ASGIApp, Receive, Send
from simulators.engine.runtime import Simulation


class LongRunningTracker:
    """Outermost layer: notes when each API request arrived and when it finished, so the
    concurrent long-running limit sees time spent in injected latency too."""

    def __init__(self, app: ASGIApp, sim: Simulation) -> None:
        self.app = app
        self.sim = sim
        self._keys = itertools.count(1)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/services/data/"):
            await self.app(scope, receive, send)
            return
        tenant_id = self.sim.vendor.identify(self.sim, scope)
        tenant = self.sim.tenants.get(tenant_id) if tenant_id else None
        if tenant is None:
            await self.app(scope, receive, send)
            return
        key = next(self._keys)
        scope["crm.inflight_key"] = key
        arrived(tenant, key, time.monotonic())
        try:
            await self.app(scope, receive, send)
        finally:
            finished(tenant, key)
