"""Change events: pushed to control-plane subscribers (signed, with the plan's duplicates
and reordering), pulled again by replay id, kept 72 hours of business time."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.waiting import until
from simulators.crm.app import create_app
from simulators.engine.transport import InProcessTransport
from tests.crm.conftest import Org, in_org, settings, token

SECRET = "whsec_test_secret"


class Receiver:
    """A subscriber endpoint that verifies signatures and keeps what it got."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.bad_signatures = 0

        async def hook(request: Request) -> Response:
            body = await request.body()
            stamp, _, mac = request.headers["x-fintwin-signature"].partition(",v1=")
            expected = hmac.new(
                SECRET.encode(), f"{stamp[2:]}.".encode() + body, hashlib.sha256
            ).hexdigest()
            if not hmac.compare_digest(mac, expected):
                self.bad_signatures += 1
                return Response(status_code=400)
            self.events.append(orjson.loads(body))
            return Response(status_code=200)

        self.app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def _app_with(receiver: Receiver, plan: dict[str, Any] | None = None) -> Any:
    app = create_app(
        settings(delivery_transport=InProcessTransport(receiver.app), delivery_time_scale=0.001)
    )
    if plan is not None:
        from simulators.engine.faults.plan import FaultPlan

        app.sim.faults.install(FaultPlan.parse(plan))
    return app


async def _subscribe(org: Org, events: list[str] | None = None) -> None:
    r = await org.control(
        "POST",
        "/_sim/subscriptions",
        {"url": "http://receiver.test/hook", "secret": SECRET, "events": events or ["*"]},
    )
    assert r.status_code == 201, r.text


def test_changes_reach_a_subscriber_signed_and_in_order() -> None:
    receiver = Receiver()

    async def check(org: Org) -> None:
        await _subscribe(org)
        account = await org.create("Account", {"Name": "Acme"})
        await org.patch(f"/sobjects/Account/{account}", {"Phone": "555-0100"})
        await org.delete(f"/sobjects/Account/{account}")
        await until(lambda: len(receiver.events) == 3, what="three change events")
        assert receiver.bad_signatures == 0
        headers = [e["payload"]["ChangeEventHeader"] for e in receiver.events]
        assert [h["changeType"] for h in headers] == ["CREATE", "UPDATE", "DELETE"]
        assert all(h["entityName"] == "Account" and h["recordIds"] == [account] for h in headers)
        assert headers[1]["changedFields"] == ["Phone", "LastModifiedDate"]
        assert receiver.events[0]["payload"]["Name"] == "Acme"
        assert receiver.events[1]["payload"]["Phone"] == "555-0100"
        assert receiver.events[0]["channel"] == "/data/AccountChangeEvent"
        assert headers[0]["commitTimestamp"] == 1706695200000
        replays = [e["replayId"] for e in receiver.events]
        assert replays == sorted(replays)

    in_org(check, _app_with(receiver))


def test_one_transaction_shares_a_key_and_numbers_its_changes() -> None:
    receiver = Receiver()

    async def check(org: Org) -> None:
        await _subscribe(
            org,
            ["/data/OpportunityChangeEvent", "OpportunityLineItem", "PricebookEntry", "Product2"],
        )
        book = (await org.query("SELECT Id FROM Pricebook2"))["records"][0]["Id"]
        product = await org.create("Product2", {"Name": "P", "IsActive": True})
        entry = await org.create(
            "PricebookEntry",
            {"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 10, "IsActive": True},
        )
        opp = await org.create(
            "Opportunity", {"Name": "O", "StageName": "Prospecting", "CloseDate": "2024-02-02"}
        )
        await org.create(
            "OpportunityLineItem",
            {"OpportunityId": opp, "PricebookEntryId": entry, "Quantity": 2, "UnitPrice": 10},
        )
        await until(lambda: len(receiver.events) >= 6, what="six events")
        line_txn = [e["payload"]["ChangeEventHeader"] for e in receiver.events[-3:]]
        # The line item, the price book set on the opportunity, the amount roll-up: one
        # transaction, numbered in order.
        assert len({h["transactionKey"] for h in line_txn}) == 1
        assert sorted(h["sequenceNumber"] for h in line_txn) == [1, 2, 3]
        assert {h["entityName"] for h in line_txn} == {"OpportunityLineItem", "Opportunity"}

    in_org(check, _app_with(receiver))


def test_duplicates_and_reordering_when_the_plan_asks() -> None:
    receiver = Receiver()
    plan = {
        "seed": 3,
        "deliveries": {"duplicate": {"probability": 1.0, "copies": 1}, "reorder": {"window": 6}},
    }

    async def check(org: Org) -> None:
        await _subscribe(org)
        # Held until all twelve are queued: the reorder window also flushes after 0.25 s of
        # wall time, and a slow machine would otherwise send small, maybe sorted, batches.
        org.app.sim.deliveries.paused = True
        for i in range(6):
            await org.create("Account", {"Name": f"A{i}"})
        org.app.sim.deliveries.paused = False
        org.app.sim.deliveries.kick()
        await until(lambda: len(receiver.events) == 12, what="twelve deliveries")
        replays = [e["replayId"] for e in receiver.events]
        assert sorted(set(replays)) == list(range(1, 7))
        assert all(replays.count(r) == 2 for r in set(replays))
        assert replays != sorted(replays)

    in_org(check, _app_with(receiver, plan))


def test_pull_by_replay_id_and_retention() -> None:
    async def check(org: Org) -> None:
        for i in range(4):
            await org.create("Account", {"Name": f"A{i}"})
        everything = (await org.control("GET", "/_sim/crm/events")).json()["events"]
        assert [e["replayId"] for e in everything] == [1, 2, 3, 4]
        r = await org.client.get(
            "/_sim/crm/events", params={"tenant": org.client_id, "replayId": 2}
        )
        assert [e["replayId"] for e in r.json()["events"]] == [3, 4]
        r = await org.get("/fintwin/changeEvents", params={"replayId": 3})
        assert r.status_code == 200 and [e["replayId"] for e in r.json()["events"]] == [4]
        assert r.json()["latestReplayId"] == 4

        await org.control("POST", "/_sim/clock/advance", {"seconds": 72 * 3600 + 1})
        org.token = await token(org.client, org.client_id)  # the old session expired
        await org.create("Account", {"Name": "Later"})
        kept = (await org.control("GET", "/_sim/crm/events")).json()["events"]
        assert [e["replayId"] for e in kept] == [5]
        r = await org.get("/fintwin/changeEvents", params={"replayId": 1})
        assert r.status_code == 400 and "not available" in r.json()[0]["message"]

    in_org(check)


def test_undelete_publishes_an_undelete_event() -> None:
    async def check(org: Org) -> None:
        account = await org.create("Account", {"Name": "Acme"})
        await org.delete(f"/sobjects/Account/{account}")
        r = await org.control("POST", "/_sim/crm/undelete", {"ids": [account]})
        assert r.status_code == 200 and r.json()["results"][0]["success"] is True
        assert (await org.record("Account", account))["Name"] == "Acme"
        events = (await org.control("GET", "/_sim/crm/events")).json()["events"]
        headers = [e["payload"]["ChangeEventHeader"] for e in events]
        assert [h["changeType"] for h in headers] == ["CREATE", "DELETE", "UNDELETE"]
        assert headers[2]["recordIds"] == [account] and headers[2]["entityName"] == "Account"
        assert events[2]["payload"]["Name"] == "Acme"  # like a CREATE, the whole record

    in_org(check)
