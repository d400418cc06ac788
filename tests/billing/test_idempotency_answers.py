"""A replayed answer is the first answer byte for byte, whatever happened since.

Answers whose record holds only immutable values are remembered as the record's
values (idempotency.Entry); this checks that a later change to the record never
shows through, for records remembered that way and for those kept as bytes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from simulators.billing.app import create_app
from simulators.billing.idempotency import cache
from simulators.billing.vendor import account_id_for_key
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport

AUTH = {"Authorization": "Bearer sk_test_answers_kept"}

CASES = {
    "plain": {"name": "Acme", "email": "ap@acme.test"},
    "metadata": {"name": "Acme", "metadata[crm_id]": "001A"},
    "address": {"name": "Acme", "address[city]": "Berlin"},  # a mutable hash: kept as bytes
}


async def _replay_after_update(form: dict[str, str]) -> tuple[httpx.Response, ...]:
    app = create_app(SimSettings(seed=3, limits=False))
    async with httpx.AsyncClient(transport=InProcessTransport(app),
                                 base_url="http://billing") as c:
        key = {**AUTH, "Idempotency-Key": "create-once"}
        first = await c.post("/v1/customers", data=form, headers=key)
        cid = first.json()["id"]
        changed = await c.post(f"/v1/customers/{cid}", headers=AUTH, data={
            "name": "Renamed", "metadata[crm_id]": "002B", "address[city]": "Paris"})
        again = await c.post("/v1/customers", data=form, headers=key)
        events = await c.get("/v1/events", params={"type": "customer.created"}, headers=AUTH)
    await app.sim.deliveries.stop()
    return first, changed, again, events


@pytest.mark.parametrize("case", sorted(CASES))
def test_replay_is_the_first_answer_after_the_record_changed(case: str) -> None:
    first, changed, again, events = asyncio.run(_replay_after_update(CASES[case]))
    assert first.status_code == changed.status_code == again.status_code == 200
    assert changed.json()["name"] == "Renamed"
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    created: dict[str, Any] = events.json()["data"][0]["data"]["object"]
    assert created == first.json()  # the event keeps the object as it was, too


@pytest.mark.parametrize(("case", "compact"), [("plain", True), ("metadata", True),
                                               ("address", False)])
def test_answers_of_immutable_records_are_kept_as_values(case: str, compact: bool) -> None:
    async def create() -> Any:
        app = create_app(SimSettings(seed=3, limits=False))
        async with httpx.AsyncClient(transport=InProcessTransport(app),
                                     base_url="http://billing") as c:
            await c.post("/v1/customers", data=CASES[case],
                         headers={**AUTH, "Idempotency-Key": "k"})
        await app.sim.deliveries.stop()
        tenant = app.sim.tenant(account_id_for_key(AUTH["Authorization"].split()[1]))
        event = tenant.store.all("event")[0]
        return cache(tenant)["k"].body, event["_object_values"]

    body, event_values = asyncio.run(create())
    assert isinstance(body, tuple) is compact
    if compact:
        assert body is event_values  # one tuple for the answer and the event
