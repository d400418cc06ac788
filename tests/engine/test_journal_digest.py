"""The request journal keeps a digest of each request body, also for a request a fault
refused before the vendor app read it, and the trace-id of the W3C ``traceparent`` the
client sent: the harness tells a request sent again (same method, path, query and body,
same trace) from other work on the same path."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from simulators.billing.app import create_app
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport

KEY = {"Authorization": "Bearer sk_test_digest"}
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SECOND_IS_LIMITED = {"rules": [{"name": "limit", "match": {"method": "POST", "nth": [2]},
                                "fault": {"rate_limit": {"retry_after": "1s"}}}]}


async def _journal() -> list[dict[str, Any]]:
    app = create_app(SimSettings(seed=1, limits=False))
    async with httpx.AsyncClient(transport=InProcessTransport(app),
                                 base_url="http://billing") as c:
        assert (await c.put("/_sim/faults", json=SECOND_IS_LIMITED)).status_code == 200
        for email in ("a@acme.test", "b@acme.test", "b@acme.test"):
            await c.post("/v1/customers", data={"email": email},
                         headers={**KEY, "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"})
        await c.get("/v1/customers", headers=KEY)
        data: list[dict[str, Any]] = (await c.get("/_sim/journal")).json()["data"]
    return data


def test_same_body_same_digest_also_when_a_fault_answered() -> None:
    first, limited, again, read = asyncio.run(_journal())
    assert [e["status"] for e in (first, limited, again, read)] == [200, 429, 200, 200]
    assert limited["retry_after"] == "1"
    assert limited["body_digest"] == again["body_digest"]
    assert first["body_digest"] and first["body_digest"] != limited["body_digest"]
    assert read["body_digest"] is None
    assert [e["trace_id"] for e in (first, limited, again, read)] == [TRACE] * 3 + [None]
