"""In-process transport: an httpx transport straight into a fake's ASGI app.

Unlike a bare ``httpx.ASGITransport`` it maps a simulated connection reset to
``httpx.ReadError`` and enforces the client's read timeout (so a ``hang``
fault becomes ``httpx.ReadTimeout``), which is what a SUT sees over a socket.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from simulators.engine.middleware import SimulatedReset


class InProcessTransport(httpx.ASGITransport):
    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app=app, **kwargs)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for drops a cancel that lands as
            # the response completes (gh-86296); 3.12's wait_for is this, in the caller's task.
            async with asyncio.timeout(timeout):
                return await super().handle_async_request(request)
        except SimulatedReset as exc:
            raise httpx.ReadError(str(exc), request=request) from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout("timed out (in-process)", request=request) from exc


class RoutingTransport(httpx.AsyncBaseTransport):
    """Sends each request to the in-process app registered for its host:port.

    The harness gives this to fakes (for webhooks) and to the SUT (for vendor
    calls) when everything runs in one event loop.
    """

    def __init__(self, routes: dict[str, Any] | None = None) -> None:
        self.routes: dict[str, InProcessTransport] = {}
        for netloc, app in (routes or {}).items():
            self.add(netloc, app)

    def add(self, netloc: str, app: Any) -> None:
        self.routes[netloc] = InProcessTransport(app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        netloc = request.url.netloc.decode()
        transport = self.routes.get(netloc)
        if transport is None:
            raise httpx.ConnectError(f"no in-process app at {netloc}", request=request)
        return await transport.handle_async_request(request)
