"""Change Data Capture: one change event per record change, kept 72 hours of business
time, pushed to control-plane subscribers and readable again by replay id.

Shape (Change Data Capture Developer Guide, "Change Event Message Structure" and
"ChangeEventHeader Fields"): ``payload.ChangeEventHeader`` holds entityName, recordIds,
changeType (CREATE, UPDATE, DELETE, UNDELETE), changedFields, commitTimestamp (epoch
millis), commitNumber, commitUser, transactionKey and sequenceNumber (the order of the
change within its transaction). A create carries every non-null field, an update only the
changed ones, a delete none. Events are kept 72 hours ("Change Data Capture Allocations":
retention) and each has a replay id that orders them within the org.

Salesforce streams these over CometD or the gRPC Pub/Sub API; fintwin pushes each event
as an HTTP POST (JSON body below, HMAC-signed like every fake's webhooks) through the
engine's delivery engine to the subscribers registered at ``/_sim/subscriptions``, and
serves pulls at ``GET /_sim/crm/events?tenant=&replayId=`` and (with a bearer token)
``GET /services/data/vXX.X/fintwin/changeEvents?replayId=``::

    {"channel": "/data/OpportunityChangeEvent", "replayId": 7,
     "event": {"replayId": 7, "EventUuid": "..."},
     "payload": {"ChangeEventHeader": {...}, "StageName": "Closed Won", ...}}
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from simulators.crm import errors as E
from simulators.crm.wire import dumps
from simulators.engine.control import SUBSCRIPTIONS
from simulators.engine.delivery import Endpoint

if TYPE_CHECKING:
    from simulators.crm.records.write import Change
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

EVENTS = "_cdc_event"
RETENTION_SECONDS = 72 * 3600
ALL_CHANNEL = "/data/ChangeEvents"
_SKIP = {"id", "Id", "IsDeleted", "SystemModstamp"}


def channel_for(sobject: str) -> str:
    # Standard object channels are /data/<Object>ChangeEvent ("Subscription Channels").
    return f"/data/{sobject}ChangeEvent"


def _wanted(sub: dict[str, Any], sobject: str) -> bool:
    events = sub.get("events") or ["*"]
    return bool(
        {"*", ALL_CHANNEL, channel_for(sobject), sobject, f"{sobject}ChangeEvent"} & set(events)
    )


def publish(sim: Simulation, tenant: Tenant, changes: list[Change]) -> None:
    """Record and push the change events of one committed transaction."""
    now = tenant.clock.now()
    prune(tenant, now)
    seed = sim.settings.seed
    txn_n = tenant.streams.next_ordinal("cdc:transaction")
    transaction_key = str(uuid.UUID(bytes=_bytes(seed, tenant.id, "txn", txn_n)))
    commit_number = tenant.streams.next_ordinal("cdc:commit")
    subs = [s for s in tenant.store.all(SUBSCRIPTIONS) if s.get("active", True)]
    for sequence, change in enumerate(changes, start=1):
        replay_id = tenant.streams.next_ordinal("cdc:replay")
        header = {
            "entityName": change.sobject,
            "recordIds": [change.record_id],
            "changeType": change.change_type,
            "changeOrigin": "com/salesforce/api/rest",
            "transactionKey": transaction_key,
            "sequenceNumber": sequence,
            "commitTimestamp": int(now * 1000),
            "commitNumber": commit_number,
            "commitUser": tenant.meta.get("user_id"),
            "changedFields": list(change.changed_fields),
            "diffFields": [],
            "nulledFields": [k for k in change.changed_fields if change.record.get(k) is None],
        }
        payload: dict[str, Any] = {"ChangeEventHeader": header}
        if change.change_type in ("CREATE", "UNDELETE"):
            payload.update(
                {k: v for k, v in change.record.items() if k not in _SKIP and v is not None}
            )
        elif change.change_type == "UPDATE":
            payload.update({k: change.record.get(k) for k in change.changed_fields})
        event_uuid = str(uuid.UUID(bytes=_bytes(seed, tenant.id, "event", replay_id)))
        body = {
            "channel": channel_for(change.sobject),
            "replayId": replay_id,
            "event": {"replayId": replay_id, "EventUuid": event_uuid},
            "payload": payload,
        }
        raw = dumps(body)
        tenant.store.put(
            EVENTS,
            {
                "id": f"{replay_id:012d}",
                "replayId": replay_id,
                "committed": now,
                "entity": change.sobject,
                "event": orjson.loads(raw),
            },
        )
        endpoints = [
            Endpoint(s["id"], s["url"], s["secret"]) for s in subs if _wanted(s, change.sobject)
        ]
        if endpoints:
            sim.deliveries.enqueue(tenant, event_uuid, channel_for(change.sobject), raw, endpoints)


def _bytes(seed: int, *parts: object) -> bytes:
    # 16 seeded bytes (a UUID's worth), from the run seed like every other id.
    return hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=16).digest()


def prune(tenant: Tenant, now: float) -> None:
    """Drop events older than the retention window (business time)."""
    coll = tenant.store.collection(EVENTS)
    cutoff = now - RETENTION_SECONDS
    for event_id in list(coll.order[: _first_kept(coll.order, coll.items, cutoff)]):
        if event_id in coll.items:
            tenant.store.delete(EVENTS, event_id)


def _first_kept(order: list[str], items: dict[str, Any], cutoff: float) -> int:
    for n, event_id in enumerate(order):
        rec = items.get(event_id)
        if rec is not None and rec["committed"] >= cutoff:
            return n
    return len(order)


def read(
    tenant: Tenant, replay_id: int, limit: int = 1000, entity: str | None = None
) -> list[dict[str, Any]]:
    """Events after ``replay_id`` (-1: only new ones, i.e. none now; -2: all retained),
    oldest first. A replay id older than the retention window is refused, as the Pub/Sub
    API refuses a replay id that is no longer available."""
    prune(tenant, tenant.clock.now())
    events = [r for r in tenant.store.all(EVENTS)]
    if replay_id == -1:
        return []
    if replay_id >= 0 and events and replay_id < events[0]["replayId"] - 1:
        raise E.bad_request(
            E.INVALID_INPUT, f"The replay ID {replay_id} is not available: events are kept 72 hours"
        )
    out = [
        r["event"]
        for r in events
        if (replay_id < 0 or r["replayId"] > replay_id)
        and (entity is None or r["entity"] == entity)
    ]
    return out[:limit]
