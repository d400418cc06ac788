"""The oracle's observer reads skip faults, the journal and vendor quotas."""

from __future__ import annotations

import asyncio

import httpx

from simulators.billing.app import create_app
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport

ALWAYS_503 = {"rules": [{"name": "down", "match": {}, "fault": {"error": {"status": 503}}}]}
KEY = {"Authorization": "Bearer sk_test_observer"}


async def _statuses(admin_token: str | None, observer: str | None) -> tuple[int, int]:
    app = create_app(SimSettings(seed=1, limits=False, admin_token=admin_token))
    admin = {"X-Sim-Admin-Token": admin_token} if admin_token else {}
    async with httpx.AsyncClient(transport=InProcessTransport(app),
                                 base_url="http://billing") as c:
        assert (await c.put("/_sim/faults", json=ALWAYS_503, headers=admin)).status_code == 200
        headers = dict(KEY)
        if observer is not None:
            headers["X-Fintwin-Observer"] = observer
        r = await c.get("/v1/customers", headers=headers)
        journal = (await c.get("/_sim/journal", headers=admin)).json()["data"]
    return r.status_code, len(journal)


def test_observer_bypasses_faults_and_journal() -> None:
    assert asyncio.run(_statuses(None, None)) == (503, 1)
    assert asyncio.run(_statuses(None, "oracle")) == (200, 0)


def test_locked_control_plane_needs_the_token_to_observe() -> None:
    assert asyncio.run(_statuses("s3cret", "guess"))[0] == 503
    assert asyncio.run(_statuses("s3cret", "s3cret")) == (200, 0)
