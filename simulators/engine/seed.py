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
    # blake2b over "seed\x1fpart\x1fpart...": one buffer, one call.
    data = "\x1f".join([str(seed), *map(str, parts)]).encode()
    return hashlib.blake2b(data, digest_size=16).digest()


def uniform(seed: int, *parts: object) -> float:
    """A float in [0, 1) determined by the seed and the parts."""
    return int.from_bytes(_digest(seed, *parts)[:8], "big") / _MAX


# Base62 digits are emitted least significant first; converting 5 digits per
# big-int division (and 2 per table lookup) gives the same string, faster.
_PAIRS = tuple(_ALPHABET[i % 62] + _ALPHABET[i // 62] for i in range(62 * 62))
_CHUNK = 62**5
# A 16-byte digest has at most 22 base62 digits.
_DIGEST_DIGITS = 22
_POW62 = tuple(62**i for i in range(_DIGEST_DIGITS + 1))


def _base62_lsb_first(value: int) -> str:
    out: list[str] = []
    while value >= _CHUNK:
        value, low = divmod(value, _CHUNK)
        high, a = divmod(low, 3844)
        c, b = divmod(high, 3844)
        out.append(_PAIRS[a] + _PAIRS[b] + _ALPHABET[c])
    while value:
        value, rem = divmod(value, 62)
        out.append(_ALPHABET[rem])
    return "".join(out)


def _low_digits(value: int, wanted: int) -> str:
    """The first ``wanted`` characters of ``_base62_lsb_first(value)``.

    An id takes only a few digits of its last digest, so only those are
    converted: reducing modulo 62**wanted first gives the same characters,
    with the zero digits the reduction leaves at the top written back.
    """
    if wanted > _DIGEST_DIGITS or value < _POW62[wanted - 1]:  # all of its digits
        return _base62_lsb_first(value)
    return _base62_lsb_first(value % _POW62[wanted]).ljust(wanted, "0")


def _token(prefix: bytes, length: int) -> str:
    text = ""
    counter = 0
    while len(text) < length:
        digest = hashlib.blake2b(b"%b\x1f%d" % (prefix, counter), digest_size=16).digest()
        text += _low_digits(int.from_bytes(digest, "big"), length - len(text))
        counter += 1
    return text


def _prefix(seed: int, parts: tuple[object, ...]) -> bytes:
    return "\x1f".join([str(seed), *map(str, parts)]).encode()


def token(seed: int, length: int, *parts: object) -> str:
    """A base62 string of ``length`` characters determined by the seed and the parts.

    Digests of "seed\x1fparts...\x1fcounter" (counter 0, 1, ...) in base62,
    least significant digit first, concatenated and cut to ``length``.
    """
    return _token(_prefix(seed, parts), length)


class Streams:
    """Per-tenant id and decision streams, each with its own ordinal counter.

    The counters are the only state; they are part of a tenant's snapshot so a
    restored tenant continues the same sequence.
    """

    __slots__ = ("_id_prefixes", "counters", "seed", "tenant")

    def __init__(self, seed: int, tenant: str, counters: dict[str, int] | None = None) -> None:
        self.seed = seed
        self.tenant = tenant
        self.counters: dict[str, int] = dict(counters or {})
        # id prefix -> (counter name, digest prefix without the ordinal): built once
        # rather than on each of the several ids a create makes.
        self._id_prefixes: dict[str, tuple[str, bytes]] = {}

    def next_ordinal(self, stream: str) -> int:
        n = self.counters.get(stream, 0) + 1
        self.counters[stream] = n
        return n

    def new_id(self, prefix: str, length: int = 24) -> str:
        """A vendor-looking id, e.g. ``cus_`` + 24 base62 chars (Stripe ids are 14-24)."""
        known = self._id_prefixes.get(prefix)
        if known is None:
            known = self._id_prefixes[prefix] = (
                "id:" + prefix, _prefix(self.seed, (self.tenant, "id", prefix)))
        stream, digest_prefix = known
        n = self.counters.get(stream, 0) + 1
        self.counters[stream] = n
        return prefix + _token(b"%b\x1f%d" % (digest_prefix, n), length)

    def uniform(self, stream: str, ordinal: int) -> float:
        return uniform(self.seed, self.tenant, stream, ordinal)
