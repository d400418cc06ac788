"""Test clocks (Stripe API reference, "Test clocks"): frozen time, advanced forward only.

Advancing runs every renewal, invoice and dunning retry due for the clock's
customers, in time order. Stripe advances asynchronously (status
``advancing`` then ``ready``); the fake completes the advance within the
request and returns ``ready``, still emitting both events.
"""

from __future__ import annotations

from typing import Any

from simulators.billing.context import Ctx
from simulators.billing.cycle import customers_on_test_clock, run_until
from simulators.billing.errors import InvalidRequest
from simulators.billing.events import emit
from simulators.engine.store import Record

KIND = "test_helpers.test_clock"


def create_clock(ctx: Ctx, p: dict[str, Any]) -> Record:
    clock: Record = {
        "id": ctx.new_id("clock_"), "object": "test_helpers.test_clock",
        "created": ctx.now(), "deletes_after": p["frozen_time"] + 30 * 86400,
        "frozen_time": p["frozen_time"], "livemode": False, "name": p.get("name"),
        "status": "ready", "status_details": {},
    }
    ctx.put(KIND, clock)
    emit(ctx, "test_helpers.test_clock.created", KIND, clock)
    return clock


def advance_clock(ctx: Ctx, clock: Record, frozen_time: int) -> Record:
    if frozen_time <= clock["frozen_time"]:
        raise InvalidRequest("The frozen_time must be after the test clock's current "
                             f"frozen_time ({clock['frozen_time']}).", param="frozen_time")
    clock["status"] = "advancing"
    clock["status_details"] = {"advancing": {"target_frozen_time": frozen_time}}
    ctx.put(KIND, clock)
    emit(ctx, "test_helpers.test_clock.advancing", KIND, clock)
    run_until(ctx, customers_on_test_clock(ctx, clock["id"]), frozen_time)
    clock.update(frozen_time=frozen_time, status="ready", status_details={},
                 deletes_after=frozen_time + 30 * 86400)
    ctx.put(KIND, clock)
    emit(ctx, "test_helpers.test_clock.ready", KIND, clock)
    return clock


def delete_clock(ctx: Ctx, clock: Record) -> Record:
    for cust_id in customers_on_test_clock(ctx, clock["id"]):
        cust = ctx.store.get("customer", cust_id)
        if cust is not None:
            cust["deleted"] = True
            ctx.put("customer", cust)
    ctx.store.delete(KIND, clock["id"])
    emit(ctx, "test_helpers.test_clock.deleted", KIND, clock)
    return {"id": clock["id"], "object": "test_helpers.test_clock", "deleted": True}
