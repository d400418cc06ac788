"""A growing store must not start the GC's collections (store.py, server.tune_gc).

Served fakes run with a 50k-object young generation and gc.freeze every 10k new or
deferred records; a customer create leaves ~5 objects the GC tracks. If that ever
grows (another object kept per create) or the freezes come too rarely, collections
come back: ~1.5 us per create, and p99 spikes as the store grows. Counted, not timed.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from simulators.billing.app import create_app
from simulators.engine.server import tune_gc
from simulators.engine.settings import SimSettings

FORM = b"name=Acme&email=ap%40acme.test"


async def _create(app: Any, n: int) -> None:
    body = {"type": "http.request", "body": FORM, "more_body": False}

    async def receive() -> dict[str, Any]:
        return body

    async def send(message: dict[str, Any]) -> None:
        pass

    for i in range(n):
        await app({"type": "http", "method": "POST", "path": "/v1/customers",
                   "root_path": "", "query_string": b"", "headers": [
                       (b"authorization", b"Bearer sk_test_gc_quiet"),
                       (b"content-type", b"application/x-www-form-urlencoded"),
                       (b"idempotency-key", b"k-%d" % i)]}, receive, send)


@pytest.fixture
def served_gc() -> Iterator[list[int]]:
    """tune_gc()'s settings for the test, collections counted; undone afterwards."""
    threshold = gc.get_threshold()
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    tune_gc()
    gc.callbacks.append(count)
    try:
        yield collections
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*threshold)
        gc.unfreeze()


def test_thirty_thousand_creates_start_no_collection(served_gc: list[int]) -> None:
    app = create_app(SimSettings(seed=1, limits=False))
    asyncio.run(_create(app, 30_000))
    tenant = next(iter(app.sim.tenants))
    assert tenant.store.count("customer") == 30_000
    assert served_gc == []
