"""Seeded ids and tokens: pure functions of (seed, tenant, stream, ordinal)."""

from __future__ import annotations

import re
from collections import Counter

from simulators.engine.seed import Streams, TokenSequence, sequence, token

BASE62 = re.compile(r"^[0-9A-Za-z]+$")


def test_ids_are_base62_of_the_asked_length_and_distinct() -> None:
    streams = Streams(7, "acct_1")
    ids = [streams.new_id("cus_") for _ in range(500)]
    assert all(i.startswith("cus_") and len(i) == 28 and BASE62.match(i[4:]) for i in ids)
    assert len(set(ids)) == 500
    assert len(streams.new_id("a", 12)) == 13


def test_id_n_does_not_depend_on_other_streams_or_tenants() -> None:
    plain = Streams(7, "acct_1")
    busy = Streams(7, "acct_1")
    other = Streams(7, "acct_2")
    mine = [plain.new_id("cus_") for _ in range(130)]
    theirs = []
    for _ in range(130):
        busy.new_id("evt_")
        theirs.append(busy.new_id("cus_"))
        other.new_id("cus_")
    assert mine == theirs
    assert other.new_id("cus_") not in mine
    assert Streams(8, "acct_1").new_id("cus_") != mine[0]


def test_a_restored_stream_continues_the_same_sequence() -> None:
    # Crosses a block boundary (64 ids per block) after the restore.
    first = Streams(3, "t")
    before = [first.new_id("in_") for _ in range(60)]
    restored = Streams(3, "t", dict(first.counters))
    after = [restored.new_id("in_") for _ in range(10)]
    straight = Streams(3, "t")
    assert [straight.new_id("in_") for _ in range(70)] == before + after


def test_sequence_is_random_access() -> None:
    seq = sequence(1, 14, "request")
    forward = [seq.at(n) for n in range(1, 200)]
    backward = [sequence(1, 14, "request").at(n) for n in range(199, 0, -1)]
    assert forward == backward[::-1]
    assert isinstance(seq, TokenSequence)


def test_tokens_use_the_whole_alphabet() -> None:
    chars = Counter(token(5, 62 * 200, "spread"))
    assert len(chars) == 62
    # Byte values map onto 62 digits, so no digit is more than ~1.25x as common as another.
    assert max(chars.values()) < 2 * min(chars.values())
    assert token(5, 10, "a") == token(5, 10, "a") != token(5, 10, "b")
