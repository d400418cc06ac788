"""What the service tests share: waiting on conditions, the fault plans, end-state reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from harness.sandbox import World
from harness.waiting import until as wait_until

T = TypeVar("T")


async def until(probe: Callable[[], Awaitable[T | None]], what: str,
                timeout: float = 20.0) -> T:
    """Poll ``probe`` until it returns something truthy, or fail at the deadline."""
    return await wait_until(probe, timeout=timeout, what=what)


async def erp_rows(w: World, *types: str) -> list[dict[str, Any]]:
    kinds = ", ".join(f"'{t}'" for t in types or ("CustInvc", "CustPymt", "CustCred"))
    return await w.suiteql("SELECT id, externalid, foreigntotal, type"
                           f" FROM transaction WHERE type IN ({kinds})")


async def posted(w: World, n: int) -> list[dict[str, Any]] | None:
    """The ERP invoices and payments, once there are at least ``n``."""
    rows = await erp_rows(w, "CustInvc", "CustPymt")
    return rows if len(rows) >= n else None


async def put_faults(client: Any, plan: dict[str, Any]) -> None:
    r = await client.put("/_sim/faults", json=plan)
    assert r.status_code == 200, r.text


LOST_SUBSCRIPTION_CREATE = {"rules": [
    {"name": "lost-sub", "match": {"method": "POST", "path": "/v1/subscriptions", "first": 1},
     "fault": {"commit_then_fail": {"mode": "reset"}}}]}
LOST_ERP_INVOICE = {"rules": [
    {"name": "lost-inv", "match": {"method": "POST", "path": "/services/rest/record/v1/invoice",
                                   "first": 1},
     "fault": {"commit_then_fail": {"mode": "502"}}}]}
STORM = {"deliveries": {"duplicate": {"probability": 1, "copies": 3, "spacing": "1ms"},
                        "reorder": {"window": 4}}}


async def chaos(w: World) -> None:
    """Lost responses on the subscription create and the ERP invoice create, and every
    webhook delivered three times, reordered."""
    await put_faults(w.billing, {**LOST_SUBSCRIPTION_CREATE, **STORM})
    await put_faults(w.erp, LOST_ERP_INVOICE)
    await put_faults(w.crm, STORM)
