"""Events keep their object compactly, and keep sharing key tuples after a restore."""

from __future__ import annotations

import orjson

from simulators.billing.app import create_app
from simulators.billing.context import Ctx
from simulators.billing.customers import create_customer
from simulators.billing.render import render
from simulators.billing.vendor import account_id_for_key
from simulators.engine.settings import SimSettings

KEY = "sk_test_events_compact"


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
