"""Events keep their object compactly, and keep sharing key tuples after a restore."""

from __future__ import annotations

import orjson

from simulators.billing.app import create_app
from simulators.billing.context import Ctx
from simulators.billing.customers import create_customer
from simulators.billing.events import create_webhook_endpoint
from simulators.billing.render import render
from simulators.billing.vendor import account_id_for_key
from simulators.engine.settings import SimSettings

KEY = "sk_test_events_compact"
EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def test_events_share_key_tuples_after_a_snapshot_restore() -> None:
    app = create_app(SimSettings(seed=2, limits=False))
    tenant = app.sim.tenant(account_id_for_key(KEY))
    ctx = Ctx(app.sim, tenant, "2024-06-20")
    for i in range(3):
        create_customer(ctx, {"name": f"c{i}", "email": f"c{i}@example.test"})
    before = [render(ctx, "event", e) for e in tenant.store.all("event")]

    snapshot = orjson.loads(orjson.dumps(app.sim.snapshot()))  # lists, as on disk
    again = create_app(SimSettings(seed=2, limits=False))
    restored = again.sim.restore_tenant(snapshot["tenants"][tenant.id])
    events = restored.store.all("event")
    keys = [e["_object_keys"] for e in events]
    assert all(isinstance(k, tuple) for k in keys) and all(k is keys[0] for k in keys)
    ctx2 = Ctx(again.sim, restored, "2024-06-20")
    assert [render(ctx2, "event", e) for e in events] == before
    assert before[0]["data"]["object"]["email"] == "c0@example.test"


def _ids_and_events(read_each: bool) -> tuple[list[str], bytes, dict[str, int]]:
    # Business time frozen at one instant: the two runs compared must not see the wall
    # clock tick between them (the customers' and events' "created").
    app = create_app(SimSettings(seed=4, limits=False, epoch=EPOCH, frozen_clock=True))
    tenant = app.sim.tenant(account_id_for_key(KEY))
    ctx = Ctx(app.sim, tenant, "2024-06-20")
    for i in range(70):  # past one block of 64 ids
        create_customer(ctx, {"name": f"c{i}", "email": f"c{i}@example.test"})
        if read_each:
            tenant.store.all("event")  # builds the event now
    events = tenant.store.all("event")
    rendered = orjson.dumps([render(ctx, "event", e) for e in events])
    return [e["id"] for e in events], rendered, tenant.snapshot()["counters"]


def test_deferred_events_are_the_events_built_at_once() -> None:
    """Events are built when first read (Store.defer); building each at once must give
    the same ids, order, bytes and id counters."""
    lazy = _ids_and_events(read_each=False)
    eager = _ids_and_events(read_each=True)
    assert lazy == eager
    assert len(lazy[0]) == 70 and len(set(lazy[0])) == 70


def test_a_snapshot_counts_the_ids_deferred_events_draw() -> None:
    app = create_app(SimSettings(seed=4, limits=False))
    tenant = app.sim.tenant(account_id_for_key(KEY))
    create_customer(Ctx(app.sim, tenant, "2024-06-20"), {"name": "c"})
    snap = tenant.snapshot()
    assert snap["counters"]["id:evt_"] == 1 and len(snap["store"]["event"]) == 1


def test_events_for_an_endpoint_follow_the_deferred_ones() -> None:
    """An event with an endpoint to deliver to is built at once, after the deferred ones."""
    def run(endpoint_after: int | None) -> list[tuple[str, int]]:
        app = create_app(SimSettings(seed=5, limits=False))
        tenant = app.sim.tenant(account_id_for_key(KEY))
        ctx = Ctx(app.sim, tenant, "2024-06-20")
        for i in range(6):
            if i == endpoint_after:
                create_webhook_endpoint(ctx, {"url": "http://127.0.0.1:9/hook",
                                              "enabled_events": ["*"]})
            create_customer(ctx, {"name": f"c{i}"})
        return [(e["id"], e["pending_webhooks"]) for e in tenant.store.all("event")]

    plain, hooked = run(None), run(3)
    assert [i for i, _ in hooked] == [i for i, _ in plain]
    assert [n for _, n in hooked] == [0, 0, 0, 1, 1, 1]
