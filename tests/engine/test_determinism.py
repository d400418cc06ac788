"""Same seed + same requests = same ids and same fault log, whatever else is going on."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from simulators.billing.app import create_app
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport

PLAN = {"rules": [{"name": "p", "match": {"probability": 0.3}, "fault": {"error": {
    "status": 503}}},
    {"name": "lat", "match": {"probability": 0.5}, "fault": {"latency": {"p50": "1ms",
                                                                         "p99": "3ms"}}}]}


async def _run(seed: int, noise: bool) -> tuple[list[Any], list[Any]]:
    app = create_app(SimSettings(seed=seed, limits=False))
    transport = InProcessTransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billing") as c:
        assert (await c.put("/_sim/faults", json=PLAN)).status_code == 200

        async def tenant(key: str, n: int) -> list[Any]:
            out = []
            for i in range(n):
                r = await c.post("/v1/customers", data={"name": f"c{i}"},
                                 headers={"Authorization": f"Bearer {key}"})
                out.append((r.status_code, r.json().get("id")))
            return out

        jobs = [tenant("sk_test_determinism_a", 30)]
        if noise:  # another tenant interleaving must not change tenant A's outcome
            jobs.append(tenant("sk_test_determinism_b", 30))
        results = await asyncio.gather(*jobs)
        log = (await c.get("/_sim/faults/log", params={"tenant": "sk_test_determinism_a"})
               ).json()["data"]
    return results[0], [(e["rule"], e["kind"], e["method"], e["path"], e["ordinal"])
                        for e in log]


def test_same_seed_same_ids_and_fault_log() -> None:
    first = asyncio.run(_run(42, noise=False))
    second = asyncio.run(_run(42, noise=True))
    assert first == second
    assert any(status == 503 for status, _ in first[0])
    other = asyncio.run(_run(43, noise=False))
    assert other != first
