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
from simulators.billing.periods import add_interval
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


def advance_limit(ctx: Ctx, clock: Record) -> tuple[int, str]:
    """How far ``clock`` may advance in one call, and why: Stripe's API reference
    ("Advance a test clock", frozen_time): "Cannot be more than two intervals in the future
    from the shortest subscription in this test clock. If there are no subscriptions in
    this test clock, it cannot be more than two years in the future." This also bounds
    the work of one advance (issue 18: 20 years of a daily subscription took 45 s)."""
    now = int(clock["frozen_time"])
    shortest: tuple[int, str] | None = None
    for sub in ctx.store.all("subscription"):
        if sub.get("test_clock") != clock["id"] or sub.get("status") in _ENDED:
            continue
        interval, count = sub["_interval"]
        end = add_interval(now, interval, 2 * int(count))
        if shortest is None or end < shortest[0]:
            shortest = (end, f"two intervals of its shortest subscription ({count} {interval})")
    if shortest is not None:
        return shortest
    return add_interval(now, "year", 2), "two years (it has no subscriptions)"


_ENDED = ("canceled", "incomplete_expired")


def advance_clock(ctx: Ctx, clock: Record, frozen_time: int) -> Record:
    if frozen_time <= clock["frozen_time"]:
        raise InvalidRequest("The frozen_time must be after the test clock's current "
                             f"frozen_time ({clock['frozen_time']}).", param="frozen_time")
    limit, why = advance_limit(ctx, clock)
    if frozen_time > limit:
        # Stripe's wording for this refusal is unverified; the rule is documented.
        raise InvalidRequest(
            f"The test clock cannot advance more than {why} in one call: frozen_time must "
            f"be at most {limit}.", param="frozen_time")
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
