"""Cancels reach what they are aimed at, however they interleave with a wake-up.

Python 3.11's ``asyncio.wait_for`` returns the inner result when it is cancelled after the
inner await has finished but before it resumed (gh-86296): the cancel is lost. The worker
waited on its wake-up event that way, so a ``kick()`` (an enqueue, a finished attempt)
landing just before ``stop()`` left the worker running and ``stop()`` awaiting it forever.
Which loop iteration the cancel lands in is controlled here by yielding to the loop, not
by load; the timeout only bounds a failure (a plain ``asyncio.timeout`` around ``stop()`` would
not: its ``await`` of the worker used to swallow the caller's cancel too).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from simulators.billing.app import create_app
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport


def _workers() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "fintwin-delivery"]


@pytest.mark.parametrize("steps", range(6))
def test_stop_returns_when_a_wake_up_lands_just_before_it(steps: int) -> None:
    engine = create_app(SimSettings(seed=1)).sim.deliveries

    async def main() -> None:
        engine.kick()  # starts the worker
        for _ in range(steps):
            await asyncio.sleep(0)  # one loop iteration: the worker gets one step further
        engine.kick()  # wakes the worker ...
        stopping = asyncio.create_task(engine.stop())  # ... and cancels it next iteration
        done, _ = await asyncio.wait({stopping}, timeout=5)
        assert done, "stop() is still waiting for the delivery worker"
        assert not _workers()

    asyncio.run(main())


def test_kick_after_stop_starts_a_worker_that_stops_too() -> None:
    engine = create_app(SimSettings(seed=1)).sim.deliveries

    async def main() -> None:
        engine.kick()
        await engine.stop()
        engine.kick()
        assert len(_workers()) == 1
        done, _ = await asyncio.wait({asyncio.create_task(engine.stop())}, timeout=5)
        assert done and not _workers()

    asyncio.run(main())


async def _ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize("steps", range(8))
def test_a_cancelled_in_process_request_is_cancelled(steps: int) -> None:
    """The same 3.11 ``wait_for`` sat in the in-process transport (every client with a read
    timeout): a request cancelled as its response completed returned the response, and a
    loop stopped by cancelling it ran on."""

    async def main() -> None:
        async with httpx.AsyncClient(transport=InProcessTransport(_ok),
                                     base_url="http://app.test", timeout=5) as client:
            request = asyncio.create_task(client.get("/"))
            for _ in range(steps):
                await asyncio.sleep(0)
            if request.done():
                return  # finished before the cancel: nothing to lose
            request.cancel()
            await asyncio.wait({request})
            assert request.cancelled()

    asyncio.run(main())
