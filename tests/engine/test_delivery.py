"""The webhook delivery engine over real sockets: duplicates, reorder, retries, burst, restart."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import stripe

from harness.servers import ServerThread
from harness.waiting import eventually
from simulators.billing.app import create_app
from simulators.engine.settings import SimSettings
from tests.conftest import Receiver


def _serve(receiver_url: str, api_key: str, plan: dict[str, object] | None = None,
           **settings: object) -> tuple[ServerThread, stripe.StripeClient]:
    app = create_app(SimSettings(seed=5, limits=False, delivery_time_scale=0.0001,
                                 **settings))  # type: ignore[arg-type]
    server = ServerThread(app).start()
    if plan is not None:
        assert httpx.put(server.url + "/_sim/faults", json=plan).status_code == 200
    client = stripe.StripeClient(api_key, base_addresses={"api": server.url},
                                 max_network_retries=0)
    client.v1.webhook_endpoints.create({"url": receiver_url,
                                        "enabled_events": ["customer.created"]})
    return server, client


def _event_ids(receiver: Receiver) -> list[str]:
    return [json.loads(b)["id"] for b in receiver.bodies()]


def test_duplicates_arrive_as_several_copies(receiver: Receiver, api_key: str) -> None:
    server, client = _serve(receiver.url, api_key,
                            {"deliveries": {"duplicate": {"probability": 1, "copies": 2}}})
    try:
        for i in range(3):
            client.v1.customers.create({"name": f"dup{i}"})
        ids = eventually(lambda: (lambda xs: xs if len(xs) >= 9 else None)(_event_ids(receiver)),
                         what="9 deliveries")
        assert len(set(ids)) == 3 and all(ids.count(i) == 3 for i in set(ids))
    finally:
        server.stop()


def test_reorder_within_a_window(receiver: Receiver, api_key: str) -> None:
    server, client = _serve(receiver.url, api_key, {"deliveries": {"reorder": {"window": 6}}})
    try:
        created = [client.v1.customers.create({"name": f"r{i}"}).id for i in range(6)]
        got = eventually(lambda: (lambda xs: xs if len(xs) == 6 else None)(
            [json.loads(b)["data"]["object"]["id"] for b in receiver.bodies()]),
            what="6 deliveries")
        assert sorted(got) == sorted(created) and got != created
    finally:
        server.stop()


def test_delayed_event_types_always_arrive_last(receiver: Receiver, api_key: str) -> None:
    plan = {"deliveries": {"delay_events": {"customer.cre*": "300ms"}}}
    server, client = _serve(receiver.url, api_key, plan)
    try:
        client.v1.webhook_endpoints.create({"url": receiver.url,
                                            "enabled_events": ["customer.updated"]})
        cust = client.v1.customers.create({"name": "late"})
        client.v1.customers.update(cust.id, {"name": "later"})
        types = eventually(lambda: (lambda xs: xs if len(xs) == 2 else None)(
            [json.loads(b)["type"] for b in receiver.bodies()]), what="2 deliveries")
        # Created first, delivered last: the delay is on the type, not random.
        assert types == ["customer.updated", "customer.created"]
        shown = httpx.get(server.url + "/_sim/faults").json()["plan"]["deliveries"]
        assert shown["delay_events"] == {"customer.cre*": 0.3}
    finally:
        server.stop()


def test_a_malformed_event_delay_is_refused(receiver: Receiver, api_key: str) -> None:
    server, _ = _serve(receiver.url, api_key)
    try:
        for bad in ({"customer.created": "soon"}, ["customer.created"]):
            r = httpx.put(server.url + "/_sim/faults", json={"deliveries": {"delay_events": bad}})
            assert r.status_code == 400 and "delay_events" in r.text, r.text
    finally:
        server.stop()


def test_dropped_first_attempts_are_retried_and_logged(receiver: Receiver, api_key: str) -> None:
    server, client = _serve(receiver.url, api_key, {"deliveries": {"drop_first_attempts": 2}})
    try:
        cust = client.v1.customers.create({"name": "retry me"})
        eventually(lambda: receiver.bodies(), what="delivery after drops")
        tenant = httpx.get(server.url + "/_sim/tenants").json()["data"][0]["id"]
        log = httpx.get(server.url + "/_sim/deliveries",
                        params={"tenant": tenant}).json()["data"]
        mine = [a for a in log if a["event_type"] == "customer.created"]
        assert [(a["attempt"], a["status"]) for a in mine] == [(1, "dropped"), (2, "dropped"),
                                                               (3, 200)]
        assert json.loads(receiver.bodies()[0])["data"]["object"]["id"] == cust.id
    finally:
        server.stop()


def test_failing_receiver_is_retried_until_it_recovers(api_key: str) -> None:
    receiver = Receiver(status=500)
    receiver.server.start()
    server, client = _serve(receiver.url, api_key)
    try:
        client.v1.customers.create({"name": "eventually"})
        eventually(lambda: len(receiver.received) >= 3, what="three failed attempts")
        receiver.status = 200
        tenant = httpx.get(server.url + "/_sim/tenants").json()["data"][0]["id"]

        def delivered() -> bool:
            log = httpx.get(server.url + "/_sim/deliveries", params={"tenant": tenant}).json()
            return any(a["ok"] for a in log["data"])
        eventually(delivered, what="a successful attempt")
    finally:
        server.stop()
        receiver.server.stop()


def test_hold_then_burst(receiver: Receiver, api_key: str) -> None:
    server, client = _serve(receiver.url, api_key, {"deliveries": {"hold": {"for": "3s"}}})
    try:
        for i in range(5):
            client.v1.customers.create({"name": f"held{i}"})
        assert receiver.bodies() == []  # held: the hold window has not ended yet
        eventually(lambda: len(receiver.bodies()) == 5, timeout=15,
                   what="burst after the hold")
    finally:
        server.stop()


def test_restart_with_state_dir_loses_nothing(tmp_path: Path, api_key: str) -> None:
    dead = "http://127.0.0.1:9/webhooks"  # nothing listens on the discard port
    server, client = _serve(dead, api_key, state_dir=str(tmp_path))
    ids = [client.v1.customers.create({"name": f"durable{i}"}).id for i in range(3)]
    tenant = httpx.get(server.url + "/_sim/tenants").json()["data"][0]["id"]
    server.stop()
    receiver = Receiver()
    receiver.server.start()
    try:
        app = create_app(SimSettings(seed=5, limits=False, delivery_time_scale=0.0001,
                                     state_dir=str(tmp_path)))
        tenant_obj = app.sim.tenants.get(tenant)
        assert tenant_obj is not None
        assert [c["id"] for c in tenant_obj.store.all("customer")] == ids
        # Point the outbox at the live receiver, as a user would after fixing their endpoint.
        for rec in tenant_obj.store.all("_outbox"):
            rec["url"] = receiver.url
        with ServerThread(app) as restarted:
            httpx.post(restarted.url + "/_sim/deliveries/replay", params={"tenant": tenant})
            got = eventually(lambda: (lambda xs: xs if len(xs) >= 3 else None)(
                {json.loads(b)["data"]["object"]["id"] for b in receiver.bodies()}),
                what="replayed deliveries")
            assert got == set(ids)
            new = stripe.StripeClient(api_key, base_addresses={"api": restarted.url})
            assert new.v1.customers.create({"name": "after restart"}).id not in ids
    finally:
        receiver.server.stop()
