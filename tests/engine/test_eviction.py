"""Idle tenants are forgotten past a cap or a time to live; busy ones and those of a fake
with a state directory are kept (issue 18: 20,000 sk_test_ keys, +83 MiB, kept forever)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from simulators.billing.app import create_app
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport


def customers(settings: SimSettings, keys: list[str]) -> tuple[object, list[int]]:
    async def main() -> tuple[object, list[int]]:
        app = create_app(settings)
        statuses = []
        async with httpx.AsyncClient(transport=InProcessTransport(app),
                                     base_url="http://b") as client:
            for key in keys:
                r = await client.post("/v1/customers", data={"name": key},
                                      headers={"Authorization": f"Bearer {key}"})
                statuses.append(r.status_code)
        app.sim.close()
        return app.sim, statuses
    return asyncio.run(main())


def test_a_cap_keeps_the_most_recently_used_tenants() -> None:
    keys = [f"sk_test_evict_{n:04d}" for n in range(250)]
    sim, statuses = customers(SimSettings(seed=7, limits=False, max_tenants=100), keys)
    assert set(statuses) == {200}
    tenants = sim.tenants  # type: ignore[attr-defined]
    assert len(tenants) <= 100
    last = sim.vendor.resolve_tenant_ref(sim, keys[-1])  # type: ignore[attr-defined]
    assert tenants.get(last) is not None  # the newest stays
    first = sim.vendor.resolve_tenant_ref(sim, keys[0])  # type: ignore[attr-defined]
    assert tenants.get(first) is None


def test_a_time_to_live_forgets_idle_tenants() -> None:
    sim, _ = customers(SimSettings(seed=7, limits=False, tenant_ttl=30.0),
                       ["sk_test_ttl_a", "sk_test_ttl_b"])
    assert len(sim.tenants) == 2  # type: ignore[attr-defined]
    for tenant in sim.tenants:  # type: ignore[attr-defined]
        tenant.last_used -= 60  # as if a minute had passed
    assert len(sim.evict_idle()) == 2  # type: ignore[attr-defined]
    assert len(sim.tenants) == 0  # type: ignore[attr-defined]


def test_a_tenant_with_a_request_in_flight_is_not_idle() -> None:
    sim, _ = customers(SimSettings(seed=7, limits=False, tenant_ttl=30.0), ["sk_test_busy"])
    (tenant,) = list(sim.tenants)  # type: ignore[attr-defined]
    tenant.last_used -= 60
    tenant.inflight = 1
    assert sim.evict_idle() == []  # type: ignore[attr-defined]


def test_a_state_dir_keeps_every_tenant(tmp_path: Path) -> None:
    keys = [f"sk_test_kept_{n}" for n in range(30)]
    sim, _ = customers(SimSettings(seed=7, limits=False, max_tenants=10, state_dir=tmp_path),
                       keys)
    assert len(sim.tenants) == 30  # type: ignore[attr-defined]
