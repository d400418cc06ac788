"""Journal detail: asked for per tenant (or for all), the journal keeps each request's
headers and body and the answer the client got (faults included), within a budget, and
never a credential."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson

from simulators.billing.app import create_app
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport

KEY = {"Authorization": "Bearer sk_test_detail"}
OTHER = {"Authorization": "Bearer sk_test_quiet"}
SECOND_IS_LIMITED = {"rules": [{"name": "limit", "match": {"method": "POST", "nth": [2]},
                                "fault": {"rate_limit": {"retry_after": "1s"}}}]}


async def _run(limit: int, tenant: str = "sk_test_detail") -> list[dict[str, Any]]:
    app = create_app(SimSettings(seed=1, limits=False))
    async with httpx.AsyncClient(transport=InProcessTransport(app),
                                 base_url="http://billing") as c:
        assert (await c.put("/_sim/faults", json=SECOND_IS_LIMITED)).status_code == 200
        on = await c.put("/_sim/journal/detail", params={"tenant": tenant},
                         json={"limit": limit})
        assert on.status_code == 200, on.text
        for email in ("a@acme.test", "b@acme.test"):
            await c.post("/v1/customers", data={"email": email},
                         headers={**KEY, "Idempotency-Key": email})
        await c.get("/v1/customers", params={"limit": 1}, headers=KEY)
        await c.get("/v1/customers", headers=OTHER)
        data: list[dict[str, Any]] = (await c.get("/_sim/journal")).json()["data"]
    return data


def test_bodies_kept_for_the_tenant_asked_for_and_credentials_redacted() -> None:
    created, limited, listed, other = asyncio.run(_run(10))
    assert created["request"]["body"] == "email=a%40acme.test"
    assert created["request"]["headers"]["authorization"] == "<redacted>"
    assert created["request"]["headers"]["idempotency-key"] == "a@acme.test"
    assert created["response"]["status"] == 200
    customer = orjson.loads(created["response"]["body"])
    assert customer["object"] == "customer" and customer["email"] == "a@acme.test"
    assert created["response"]["headers"]["content-type"].startswith("application/json")
    # The 429 the fault gave is what the client got, and what is kept.
    assert limited["response"]["status"] == 429
    assert "rate_limit" in limited["response"]["body"]
    assert listed["query"] == "limit=1" and listed["request"]["body"] == ""
    assert orjson.loads(listed["response"]["body"])["object"] == "list"
    assert "request" not in other and "response" not in other  # another tenant: no bodies


def test_budget_bounds_what_is_kept() -> None:
    created, limited, listed, _ = asyncio.run(_run(2, tenant="*"))
    assert "request" in created and "request" in limited
    assert "request" not in listed


def test_detail_refuses_a_bad_limit() -> None:
    async def run() -> httpx.Response:
        app = create_app(SimSettings(seed=1))
        async with httpx.AsyncClient(transport=InProcessTransport(app),
                                     base_url="http://billing") as c:
            return await c.put("/_sim/journal/detail", json={"limit": 0})

    response = asyncio.run(run())
    assert response.status_code == 400 and response.json()["error"]["param"] == "limit"
