"""Crossing into an event loop on another thread: the loop thread the in-process
stack runs in, sync and async httpx transports that send requests through it, and
``run_sync`` for sync code that must await."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

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

