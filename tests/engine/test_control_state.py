"""PUT /_sim/state with a malformed snapshot is a 400 naming the field, on every fake, and
the tenant stays as it was (issue 18: a malformed store answered 500)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from simulators.billing.app import create_app as billing
from simulators.crm.app import create_app as crm
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport
from simulators.erp.app import create_app as erp

MALFORMED: list[tuple[dict[str, Any], str]] = [
    ({"store": 5}, "store"),
    ({"store": {"customer": 5}}, "store.customer"),
    ({"store": {"customer": [5]}}, "store.customer[0]"),
    ({"store": {"customer": [{"name": "no id"}]}}, "store.customer[0]"),
    ({"store": {}, "clock": 5}, "clock"),
    ({"store": {}, "clock": {"frozen_at": "soon"}}, "clock"),
    ({"store": {}, "counters": 5}, "counters"),
    ({"store": {}, "counters": {"cus": "x"}}, "counters"),
    ({"store": {}, "meta": []}, "meta"),
]
FAKES = {"billing": billing, "crm": crm, "erp": erp}


@pytest.mark.parametrize("fake", FAKES)
def test_malformed_snapshots_are_refused_naming_the_field(fake: str) -> None:
    async def main() -> None:
        app = FAKES[fake](SimSettings(seed=7))
        async with httpx.AsyncClient(transport=InProcessTransport(app),
                                     base_url="http://fake") as client:
            for body, field in MALFORMED:
                r = await client.put("/_sim/state", params={"tenant": "t1"}, json=body)
                assert r.status_code == 400, (body, r.text)
                assert r.json()["error"]["param"] == field, (body, r.text)
            assert app.sim.tenants.get("t1") is None  # nothing kept
    asyncio.run(main())


def test_a_snapshot_the_fake_cannot_load_leaves_the_tenant_as_it_was() -> None:
    async def main() -> None:
        app = erp(SimSettings(seed=7))
        async with httpx.AsyncClient(transport=InProcessTransport(app),
                                     base_url="http://fake") as client:
            good = {"store": {"note": [{"id": "1", "text": "kept"}]}}
            assert (await client.put("/_sim/state", params={"tenant": "t1"},
                                     json=good)).status_code == 200
            bad = {"store": {"invoice": [{"id": "1"}]}}  # an invoice without its ledger
            r = await client.put("/_sim/state", params={"tenant": "t1"}, json=bad)
            assert r.status_code == 400 and r.json()["error"]["param"] == "store"
            tenant = app.sim.tenants.get("t1")
            assert tenant is not None and tenant.store.get("note", "1") is not None
    asyncio.run(main())


@pytest.mark.parametrize("body", [b'{"seconds": 1e308}', b'{"seconds": NaN}',
                                  b'{"seconds": Infinity}', b'{"seconds": -5}',
                                  b'{"seconds": .nan}', b'{"to": 1e308}', b'{"by": "1e400s"}'])
def test_clock_advances_out_of_range_are_refused(body: bytes) -> None:
    async def main() -> None:
        app = billing(SimSettings(seed=7))
        async with httpx.AsyncClient(transport=InProcessTransport(app),
                                     base_url="http://fake") as client:
            r = await client.post("/_sim/clock/advance", params={"tenant": "sk_test_clock"},
                                  content=body)
            assert r.status_code == 400, r.text
            assert r.json()["error"]["param"] in ("seconds", "body")
    asyncio.run(main())
