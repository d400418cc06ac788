"""Stripe's idempotency semantics (Stripe API reference, "Idempotent requests").

The first response to a key (status and body, 500s included) is stored and
replayed with ``Idempotent-Replayed: true``. The same key with other
parameters or another endpoint is a 400 ``idempotency_error``; the same key
while the first request is still running is a 409. Requests rejected by
parameter validation are not stored. Keys are pruned after 24 hours.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import orjson

from simulators.engine.tenancy import Tenant

KEY_TTL = 24 * 3600.0
MAX_KEY_LENGTH = 255


@dataclass(slots=True)
class Entry:
    fingerprint: bytes
    done: bool = False
    status: int = 0
    body: bytes = b""
    stored_at: float = field(default_factory=time.monotonic)


def fingerprint(method: str, path: str, params: object) -> bytes:
    return method.encode() + b" " + path.encode() + b" " + orjson.dumps(
        params, option=orjson.OPT_SORT_KEYS)


def cache(tenant: Tenant) -> dict[str, Entry]:
    entries: dict[str, Entry] | None = tenant.transient.get("idempotency")
    if entries is None:
        entries = tenant.transient["idempotency"] = {}
    return entries


def prune(entries: dict[str, Entry], now: float) -> None:
    """Drop keys older than the TTL (cheap: insertion order is age order)."""
    while entries:
        key = next(iter(entries))
        if now - entries[key].stored_at < KEY_TTL:
            break
        del entries[key]
