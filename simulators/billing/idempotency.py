"""Stripe's idempotency semantics (Stripe API reference, "Idempotent requests").

The first response to a key (status and body, 500s included) is stored and
replayed with ``Idempotent-Replayed: true``. The same key with other
parameters or another endpoint is a 400 ``idempotency_error``; the same key
while the first request is still running is a 409. Requests rejected by
parameter validation are not stored. Keys are pruned after 24 hours.

With ``--state-dir`` every answered key is also written to the tenant's store (the
``_idempotency`` collection, so the WAL keeps it): after a restart a retried request
still gets its first answer instead of creating the object twice. Without a state dir
the keys live in memory only, which keeps the hot path free of an extra record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from simulators.engine.tenancy import Tenant

KEY_TTL = 24 * 3600.0
MAX_KEY_LENGTH = 255


@dataclass(slots=True)
class Entry:
    """A key's answer: its status and body, or, for a record that answered exactly as
    stored and holds only immutable values (frozen.immutable_values), the record's key
    tuple and values. Kept 24 hours per key, the body was ~550 of the ~2 KB a customer
    create kept; the values are the record's own (and its event's), so this costs
    nothing more."""

    fingerprint: bytes
    done: bool = False
    status: int = 0
    body: bytes | tuple[Any, ...] = b""
    stored_at: float = field(default_factory=time.monotonic)
    keys: tuple[str, ...] | None = None  # set when ``body`` is the record's values

    def answer(self) -> bytes:
        """The body to replay, byte for byte the first one."""
        body = self.body
        if isinstance(body, bytes):
            return body
        assert self.keys is not None
        return orjson.dumps(dict(zip(self.keys, body, strict=True)))


# A request's fingerprint is fingerprint_prefix(method, path) followed by its params as
# orjson.dumps(params, option=SORTED). Built inline on the hot path (routes.Endpoint):
# an endpoint with one path computes its prefix once.
SORTED = orjson.OPT_SORT_KEYS


def fingerprint_prefix(method: str, path: str) -> bytes:
    return method.encode() + b" " + path.encode() + b" "


COLLECTION = "_idempotency"


def cache(tenant: Tenant) -> dict[str, Entry]:
    entries: dict[str, Entry] | None = tenant.transient.get("idempotency")
    if entries is None:
        entries = tenant.transient["idempotency"] = _load(tenant)
    return entries


def _load(tenant: Tenant) -> dict[str, Entry]:
    """Answered keys kept in the store (a tenant restored from a state dir)."""
    records = sorted(tenant.store.all(COLLECTION), key=lambda r: r["at"])
    if not records:
        return {}
    wall, mono = time.time(), time.monotonic()
    return {r["id"]: Entry(bytes.fromhex(r["fp"]), True, int(r["status"]),
                           r["body"].encode(), mono - (wall - float(r["at"])))
            for r in records}


def remember(tenant: Tenant, durable: bool, key: str, entry: Entry, status: int,
             body: bytes, record: tuple[tuple[str, ...], tuple[Any, ...]] | None = None
             ) -> None:
    """Record the answer in the key's entry, which the request put in the cache when it
    started (and, with a state dir, write it to the store). ``record``: the answer as
    a record's key tuple and values, when ``body`` is exactly that record's JSON."""
    entry.done, entry.status = True, status
    if record is not None and not durable:
        entry.keys, entry.body = record
        return
    # orjson.dumps returns bytes in an over-allocated buffer (~4-8 KB whatever the
    # length, orjson 3.13): kept for 24 hours, that was 8 KB per create. A copy is
    # allocated to size.
    entry.body = bytes(memoryview(body))
    if durable:
        tenant.store.put(COLLECTION, {"id": key, "fp": entry.fingerprint.hex(),
                                      "status": entry.status, "body": entry.body.decode(),
                                      "at": time.time()})


def prune(entries: dict[str, Entry], now: float, tenant: Tenant | None = None) -> None:
    """Drop keys older than the TTL (cheap: insertion order is age order)."""
    while entries:
        key = next(iter(entries))
        if now - entries[key].stored_at < KEY_TTL:
            break
        del entries[key]
        if tenant is not None and tenant.store.get(COLLECTION, key) is not None:
            tenant.store.delete(COLLECTION, key)
