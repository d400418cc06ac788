"""Events and webhook endpoints: every state change becomes an event, delivered at least once.

Events render ``data.object`` in the account's default API version at the time
of the event (Stripe API reference, "Events"), and a webhook endpoint created
with ``api_version`` receives that version instead.
"""

from __future__ import annotations

from typing import Any

import orjson

from simulators.billing.context import Ctx
from simulators.billing.render import render
from simulators.billing.versions import DEFAULT_VERSION
from simulators.engine.delivery import Endpoint
from simulators.engine.shapes import Shape
from simulators.engine.store import Record, Store

# One event per change: the most numerous records after customers' (shapes.py).
# An event is one flat record: ``data`` and ``request`` are built when it is
# rendered (render.py), since two more shared-key dicts cost ~300 bytes an event.
_EVENT = Shape("event")
# The object as it was at the event is kept compactly: its values as JSON text
# against its key tuple, one tuple per distinct key order shared by every event
# of that kind (~290 bytes less per customer event than JSON with its keys).
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
         previous: dict[str, Any] | None = None, at: int | None = None) -> Record:
    """Record an event for ``obj`` (as it is now) and queue it for every subscribed endpoint."""
    version = account_version(ctx)
    event = _EVENT({
        "id": ctx.new_id("evt_"), "object": "event", "api_version": version,
        "created": at if at is not None else ctx.now(obj.get("customer")),
        "livemode": False, "pending_webhooks": 0, "type": event_type,
        "_object_kind": kind, "_object_keys": shared_keys(tuple(obj)),
        "_object_values": orjson.dumps(list(obj.values())).decode(),
        "_previous_attributes": previous,
        "_request_id": ctx.request_id or None, "_idempotency_key": ctx.idempotency_key,
    })
    hooks = ctx.tenant.store.collections.get("webhook_endpoint")
    endpoints = [] if hooks is None else [
        we for we in hooks.items.values()
        if we["status"] == "enabled"
        and ("*" in we["enabled_events"] or event_type in we["enabled_events"])]
    if endpoints:
        event["pending_webhooks"] = len(endpoints)
    ctx.put("event", event)
    for we in endpoints:
        body = orjson.dumps(render(ctx, "event", event, we.get("api_version") or version))
        ctx.sim.deliveries.enqueue(ctx.tenant, event["id"], event_type, body,
                                   [Endpoint(we["id"], we["url"], we["_secret"])])
    return event


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
        "_secret": "whsec_" + ctx.tenant.new_id("", 32),
    }
    ctx.put("webhook_endpoint", we)
    return we


def update_webhook_endpoint(ctx: Ctx, we: Record, p: dict[str, Any]) -> Record:
    for key in ("url", "enabled_events", "description"):
        if p.get(key) is not None:
            we[key] = p[key]
    if "metadata" in p:
        we["metadata"] = {**we["metadata"], **(p["metadata"] or {})}
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
