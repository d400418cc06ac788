"""Events and webhook endpoints: every state change becomes an event, delivered at least once.

Events render ``data.object`` in the account's default API version at the time
of the event (Stripe API reference, "Events"), and a webhook endpoint created
with ``api_version`` receives that version instead.
"""

from __future__ import annotations

from typing import Any

import orjson

from simulators.billing.context import Ctx
from simulators.billing.metadata import updated_metadata
from simulators.billing.render import render
from simulators.billing.versions import DEFAULT_VERSION
from simulators.engine.credentials import new_secret
from simulators.engine.delivery import Endpoint
from simulators.engine.frozen import immutable_values
from simulators.engine.seed import Streams
from simulators.engine.shapes import Shape
from simulators.engine.store import Record, Store

# One event per change: the most numerous records after customers' (shapes.py).
# An event is one flat record: ``data`` and ``request`` are built when it is
# rendered (render.py), since two more shared-key dicts cost ~300 bytes an event.
_EVENT = Shape("event")
# The object as it was at the event is kept compactly against its key tuple, one
# tuple per distinct key order shared by every event of that kind: its values
# themselves when all are immutable (frozen.immutable_values: the event shares
# them with the record), else its values as JSON text.
_KEY_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}
_MAX_KEY_TUPLES = 4096


def shared_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The one tuple equal to ``keys`` that events share."""
    shared = _KEY_TUPLES.get(keys)
    if shared is not None:
        return shared
    if len(_KEY_TUPLES) < _MAX_KEY_TUPLES:  # records with ad-hoc keys must not grow it forever
        _KEY_TUPLES[keys] = keys
    return keys


def account_version(ctx: Ctx) -> str:
    return str(ctx.tenant.meta.get("api_version", DEFAULT_VERSION))


def emit(ctx: Ctx, event_type: str, kind: str, obj: Record,
         previous: dict[str, Any] | None = None, at: int | None = None) -> None:
    """Record an event for ``obj`` (as it is now) and queue it for every subscribed endpoint.

    Everything the event says is taken now. With no endpoint to deliver to, the
    record itself is built when the event collection is next read (Store.defer):
    most events of a busy account are never read, and building the record (its
    id, its shared-key dict, its store entries) was a fifth of a customer
    create. Its id is drawn then, from the event id stream in event order, so
    it is the id an immediate build would have drawn.
    """
    tenant = ctx.tenant
    version = account_version(ctx)
    keys = shared_keys(tuple(obj))
    values = immutable_values(obj)
    if values is not None:
        ctx.snapshot = (obj, keys, values)  # the response may remember the same tuples
    item: _Pending = (
        tenant.streams, event_type, version,
        at if at is not None else ctx.now(obj.get("customer")), kind, keys,
        values if values is not None else orjson.dumps(list(obj.values())).decode(),
        previous, ctx.request_id or None, ctx.idempotency_key)
    hooks = tenant.store.collections.get("webhook_endpoint")
    endpoints = [] if hooks is None else [
        we for we in hooks.items.values()
        if we["status"] == "enabled"
        and ("*" in we["enabled_events"] or event_type in we["enabled_events"])]
    if not endpoints:
        tenant.store.defer("event", _event_record, item)
        return
    ctx.store.collection("event")  # builds deferred events: they draw their ids first
    event = _event_record(item)
    event["pending_webhooks"] = len(endpoints)
    ctx.put("event", event)
    for we in endpoints:
        body = orjson.dumps(render(ctx, "event", event, we.get("api_version") or version))
        ctx.sim.deliveries.enqueue(tenant, event["id"], event_type, body,
                                   [Endpoint(we["id"], we["url"], we["_secret"])])


# What an event is built from: (id streams, type, api_version, created, object kind,
# object keys, object values (or their JSON), previous attributes, request id, idempotency
# key).
_Pending = tuple[Streams, str, str, int, str, tuple[str, ...], tuple[Any, ...] | str,
                 dict[str, Any] | None, str | None, str | None]


def _event_record(item: _Pending) -> Record:
    (streams, event_type, version, created, kind, keys, values, previous, request_id,
     idempotency_key) = item
    return _EVENT({
        "id": streams.new_id("evt_", 24), "object": "event", "api_version": version,
        "created": created, "livemode": False, "pending_webhooks": 0, "type": event_type,
        "_object_kind": kind, "_object_keys": keys, "_object_values": values,
        "_previous_attributes": previous, "_request_id": request_id,
        "_idempotency_key": idempotency_key,
    })


def changed(before: Record, after: Record, fields: tuple[str, ...]) -> dict[str, Any] | None:
    """``previous_attributes`` for an update: the old values of the fields that changed."""
    prev = {f: before.get(f) for f in fields if before.get(f) != after.get(f)}
    return prev or None


def create_webhook_endpoint(ctx: Ctx, p: dict[str, Any]) -> Record:
    we: Record = {
        "id": ctx.new_id("we_"), "object": "webhook_endpoint",
        "api_version": p.get("api_version"), "application": None,
        "created": ctx.now(), "description": p.get("description"),
        "enabled_events": p["enabled_events"], "livemode": False,
        "metadata": p.get("metadata") or {}, "status": "enabled", "url": p["url"],
        # Stripe returns the secret only on create; a receiver keys HMAC with the
        # whole whsec_ string (Stripe docs, "Check the webhook signatures").
        "_secret": new_secret("whsec_", 32),  # never from the seed (engine.credentials)
    }
    ctx.put("webhook_endpoint", we)
    return we


def update_webhook_endpoint(ctx: Ctx, we: Record, p: dict[str, Any]) -> Record:
    for key in ("url", "enabled_events", "description"):
        if p.get(key) is not None:
            we[key] = p[key]
    if "metadata" in p:
        we["metadata"] = updated_metadata(we["metadata"], p["metadata"])
    if p.get("disabled") is not None:
        we["status"] = "disabled" if p["disabled"] else "enabled"
    ctx.put("webhook_endpoint", we)
    return we


def share_restored_keys(store: Store) -> None:
    """Restored events (JSON: a list of keys each) share key tuples again, ~1.5 KB each."""
    events = store.collections.get("event")
    for event in [] if events is None else events.items.values():
        keys = event.get("_object_keys")
        if isinstance(keys, list):
            event["_object_keys"] = shared_keys(tuple(keys))
