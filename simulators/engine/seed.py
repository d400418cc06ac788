"""Seeded, interleaving-proof randomness.

Every random choice a fake makes is a pure function of the run seed, the tenant,
a stream name and an ordinal: ``draw(seed, tenant, stream, n)``. No shared
``random.Random`` is ever advanced, so the order in which concurrent tenants'
requests arrive cannot change which request gets which id or which fault.
"""

from __future__ import annotations

import hashlib

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MAX = float(1 << 64)


def _digest(seed: int, *parts: object) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    h.update(str(seed).encode())
    for part in parts:
        h.update(b"\x1f")
        h.update(str(part).encode())
    return h.digest()


def uniform(seed: int, *parts: object) -> float:
    """A float in [0, 1) determined by the seed and the parts."""
    return int.from_bytes(_digest(seed, *parts)[:8], "big") / _MAX


def token(seed: int, length: int, *parts: object) -> str:
    """A base62 string of ``length`` characters determined by the seed and the parts."""
    out: list[str] = []
    counter = 0
    while len(out) < length:
        value = int.from_bytes(_digest(seed, *parts, counter), "big")
        while value and len(out) < length:
            value, rem = divmod(value, 62)
            out.append(_ALPHABET[rem])
        counter += 1
    return "".join(out)


class Streams:
    """Per-tenant id and decision streams, each with its own ordinal counter.

    The counters are the only state; they are part of a tenant's snapshot so a
    restored tenant continues the same sequence.
    """

    __slots__ = ("counters", "seed", "tenant")

    def __init__(self, seed: int, tenant: str, counters: dict[str, int] | None = None) -> None:
        self.seed = seed
        self.tenant = tenant
        self.counters: dict[str, int] = dict(counters or {})

    def next_ordinal(self, stream: str) -> int:
        n = self.counters.get(stream, 0) + 1
        self.counters[stream] = n
        return n

    def new_id(self, prefix: str, length: int = 24) -> str:
        """A vendor-looking id, e.g. ``cus_`` + 24 base62 chars (Stripe ids are 14-24)."""
        n = self.next_ordinal("id:" + prefix)
        return prefix + token(self.seed, length, self.tenant, "id", prefix, n)

    def uniform(self, stream: str, ordinal: int) -> float:
        return uniform(self.seed, self.tenant, stream, ordinal)
