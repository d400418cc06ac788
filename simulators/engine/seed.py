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
    return hashlib.blake2b(_prefix(seed, parts), digest_size=16).digest()


def uniform(seed: int, *parts: object) -> float:
    """A float in [0, 1) determined by the seed and the parts."""
    return int.from_bytes(_digest(seed, *parts)[:8], "big") / _MAX


# Text is drawn from SHAKE-256, whose output can be as long as asked, and mapped
# byte by byte onto base62 (``bytes.translate``: one C call for a whole block).
# Byte values 0-7 map to '0'-'7' five times instead of four: a slight skew no
# client can rely on or notice, and the price of not looping in Python per digit.
_TABLE = bytes(ord(_ALPHABET[b % 62]) for b in range(256))
# Ids are drawn 64 at a time: the block for ordinals 64k+1..64k+64 is one digest
# of "prefix\x1flength\x1fk", so id n is still a pure function of
# (seed, tenant, stream, n) while a create pays for a digest once in 64 ids.
_BLOCK = 64


def _text(prefix: bytes, length: int) -> str:
    return hashlib.shake_256(prefix).digest(length).translate(_TABLE).decode("ascii")


def _prefix(seed: int, parts: tuple[object, ...]) -> bytes:
    return "\x1f".join([str(seed), *map(str, parts)]).encode()


def token(seed: int, length: int, *parts: object) -> str:
    """A base62 string of ``length`` characters determined by the seed and the parts."""
    return _text(_prefix(seed, parts), length)


def sequence(seed: int, length: int, *parts: object) -> TokenSequence:
    """The tokens of ``length`` characters of the stream named by the seed and the parts."""
    return TokenSequence(_prefix(seed, parts), length)


class TokenSequence:
    """The n-th base62 token of a stream, for n = 1, 2, ...; tokens of one length.

    Remembers the last block drawn, so consecutive ordinals (the usual case:
    ids are handed out in order) cost a slice.
    """

    __slots__ = ("_last", "_length", "_prefix")

    def __init__(self, prefix: bytes, length: int) -> None:
        self._prefix = b"%b\x1f%d\x1f" % (prefix, length)
        self._length = length
        # (block index, its text), replaced as one: a reader never pairs an index
        # with another block's text.
        self._last: tuple[int, str] = (-1, "")

    def at(self, n: int) -> str:
        index, offset = divmod(n - 1, _BLOCK)
        last = self._last
        if last[0] != index:
            last = self._last = (index, _text(b"%b%d" % (self._prefix, index),
                                              self._length * _BLOCK))
        start = offset * self._length
        return last[1][start:start + self._length]


class Streams:
    """Per-tenant id and decision streams, each with its own ordinal counter.

    The counters are the only state; they are part of a tenant's snapshot so a
    restored tenant continues the same sequence.
    """

    __slots__ = ("_sequences", "counters", "seed", "tenant")

    def __init__(self, seed: int, tenant: str, counters: dict[str, int] | None = None) -> None:
        self.seed = seed
        self.tenant = tenant
        self.counters: dict[str, int] = dict(counters or {})
        # (id prefix, length) -> (counter name, its token sequence): built once
        # rather than on each of the several ids a create makes.
        self._sequences: dict[tuple[str, int], tuple[str, TokenSequence]] = {}

    def next_ordinal(self, stream: str) -> int:
        n = self.counters.get(stream, 0) + 1
        self.counters[stream] = n
        return n

    def new_id(self, prefix: str, length: int = 24) -> str:
        """A vendor-looking id, e.g. ``cus_`` + 24 base62 chars (Stripe ids are 14-24)."""
        known = self._sequences.get((prefix, length))
        if known is None:
            known = self._sequences[(prefix, length)] = (
                "id:" + prefix, sequence(self.seed, length, self.tenant, "id", prefix))
        stream, tokens = known
        n = self.counters.get(stream, 0) + 1
        self.counters[stream] = n
        return prefix + tokens.at(n)

    def uniform(self, stream: str, ordinal: int) -> float:
        return uniform(self.seed, self.tenant, stream, ordinal)
