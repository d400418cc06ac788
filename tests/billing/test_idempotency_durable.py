"""With --state-dir an answered idempotency key survives a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from simulators.billing.app import create_app
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport

AUTH = {"Authorization": "Bearer sk_test_durable_keys", "Idempotency-Key": "create-acme"}


async def _create(state: Path, name: str = "Acme") -> httpx.Response:
    app = create_app(SimSettings(seed=4, limits=False, state_dir=str(state)))
    try:
        async with httpx.AsyncClient(transport=InProcessTransport(app),
                                     base_url="http://billing") as c:
            return await c.post("/v1/customers", data={"name": name}, headers=AUTH)
    finally:
        await app.sim.deliveries.stop()
        app.sim.close()


def test_a_retried_create_after_a_restart_replays_the_first_answer(tmp_path: Path) -> None:
    first = asyncio.run(_create(tmp_path))
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    again = asyncio.run(_create(tmp_path))
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    other = asyncio.run(_create(tmp_path, name="Other"))
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"
