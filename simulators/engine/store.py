"""Per-tenant object store: collections of JSON-shaped records.

All of a fake's state lives here, never in module globals, so reset, snapshot
and restore are store operations and a tenant can be copied or dropped whole.
Records are plain dicts (the vendor's wire shape) because that is both the
cheapest representation in memory and the one a snapshot needs.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

Record = dict[str, Any]

# A growing in-memory store makes CPython's cyclic GC rescan every record on
# each full collection; with 500k records that put p99 latency in the hundreds
# of ms in a prototype.  Moving long-lived records to the permanent generation
# (gc.freeze) every so often keeps collections proportional to recent garbage.
# Every 10k new or deferred records, i.e. every 5k customer creates (a customer and
# its event): a create leaves ~5 objects the GC tracks, so freezes (which also restart
# the young generation's count) come before the 50k-object threshold tune_gc() sets
# would start a collection. Measured: 20k records let two collections per 20k
# creates through, ~1.5 us per create.
_FREEZE_EVERY = 10_000
_puts_since_freeze = 0


def _note_new(count: int = 1) -> None:
    """Count records that will live long (put, or deferred: what a deferred record is
    built from lives as long), and every _FREEZE_EVERY of them move what the store
    holds now out of the GC's sight."""
    global _puts_since_freeze
    _puts_since_freeze += count
    if _puts_since_freeze >= _FREEZE_EVERY:
        _puts_since_freeze = 0
        gc.freeze()


class Journal(Protocol):
    """Where a store writes its mutations when the fake persists state."""

    def record_put(self, tenant: str, kind: str, obj: Record) -> None: ...

    def record_delete(self, tenant: str, kind: str, obj_id: str) -> None: ...


# Deleted ids a collection keeps in its creation order before compacting (at least).
_COMPACT_AFTER = 64


class Collection:
    """Records of one kind, in creation order, with optional secondary indexes.

    A collection can also hold *deferred* records (Store.defer): what is needed to
    build them, kept in order and built, in that order, before anything reads the
    collection. Store hands out a collection only after building them, so a
    reader cannot tell a deferred record from one put at once.
    """

    __slots__ = ("_pos", "build", "gone", "indexes", "items", "order", "pending")

    def __init__(self, indexed: Iterable[str] = ()) -> None:
        self.items: dict[str, Record] = {}
        self.order: list[str] = []  # ids in creation order (deleted ones too: see compact)
        self._pos: dict[str, int] = {}  # id -> its place in order, built on use (positions)
        self.gone: set[str] = set()  # deleted ids still in order
        self.indexes: dict[str, dict[Any, str | dict[str, None]]] = {f: {} for f in indexed}
        self.pending: list[Any] = []
        self.build: Callable[[Any], Record] | None = None

    def __len__(self) -> int:
        return len(self.items) + len(self.pending)

    # An index bucket is the one id holding a value (most values: an email, a
    # lookup key) or, from the second id on, a dict of ids in insertion order;
    # a one-entry dict per record would cost ~180 bytes each.
    def _unindex(self, obj: Record) -> None:
        obj_id = obj["id"]
        for field, index in self.indexes.items():
            value = obj.get(field)
            bucket = index.get(value)
            if bucket is None:
                continue
            if isinstance(bucket, str):
                if bucket == obj_id:
                    del index[value]
            else:
                bucket.pop(obj_id, None)

    def _index(self, obj: Record, obj_id: str) -> None:
        for field, index in self.indexes.items():
            value = obj.get(field)
            if value is None:
                continue
            bucket = index.setdefault(value, obj_id)  # one lookup for a value's first id
            if bucket is obj_id:
                continue
            if isinstance(bucket, str):
                if bucket != obj_id:
                    index[value] = {bucket: None, obj_id: None}
            else:
                bucket[obj_id] = None

    def put(self, obj: Record) -> bool:
        """Insert or replace a record; True when its id is new here."""
        obj_id = obj["id"]
        items = self.items
        size = len(items)
        # setdefault, not get-then-set: one hash-table probe for a new record,
        # which in a large collection is a cache miss or two.
        previous = items.setdefault(obj_id, obj)
        if len(items) == size:  # the id was here: replaced, or the same dict put again
            if previous is not obj:
                items[obj_id] = obj
                self._unindex(previous)
            new = False
        elif self.gone and obj_id in self.gone:
            self.gone.discard(obj_id)
            new = False  # back after a delete: it keeps its place in creation order
        else:
            self.order.append(obj_id)
            new = True
        # A record mutated in place keeps stale index entries under its old
        # values; by_index re-checks values on read, so they are harmless.
        if self.indexes:
            self._index(obj, obj_id)
        return new

    def positions(self) -> dict[str, int]:
        """Each id's place in creation order (for cursors and index buckets).

        Brought up to date when asked for rather than on every put: kept for every
        record it was a dict entry and an int (~100 bytes) and one more probe of
        a large table per put, for the few collections that are paged by cursor.
        """
        pos, order = self._pos, self.order
        for n in range(len(pos), len(order)):
            pos[order[n]] = n
        return pos

    def delete(self, obj_id: str) -> Record | None:
        obj = self.items.pop(obj_id, None)
        if obj is not None:
            self._unindex(obj)
            self.gone.add(obj_id)
            # Pruned records (old CDC events, expired idempotency keys) must not keep
            # the order list growing: once deleted ids outnumber live ones, drop them.
            if len(self.gone) > max(len(self.items), _COMPACT_AFTER):
                self.compact()
        return obj

    def compact(self) -> None:
        """Drop deleted ids from creation order (they are forgotten: one put back is new)."""
        items = self.items
        self.order[:] = [i for i in self.order if i in items]
        self._pos = {}
        self.gone.clear()

    def newest_first(self, starting_after: str | None = None, ending_before: str | None = None
                     ) -> Iterator[Record]:
        """Records newest first, after (older than) or before (newer than) a cursor."""
        items, order = self.items, self.order
        if ending_before is not None:
            start = self.positions().get(ending_before)
            if start is None:
                return
            for i in range(start + 1, len(order)):
                obj = items.get(order[i])
                if obj is not None:
                    yield obj
            return
        start = len(order) - 1
        if starting_after is not None:
            cursor = self.positions().get(starting_after)
            if cursor is None:
                return
            start = cursor - 1
        for i in range(start, -1, -1):
            obj = items.get(order[i])
            if obj is not None:
                yield obj

    def by_index(self, field: str, value: Any) -> list[Record]:
        """Records whose ``field`` equals ``value``, newest first."""
        index = self.indexes[field]
        bucket = index.get(value)
        if bucket is None:
            return []
        if isinstance(bucket, str):
            obj = self.items.get(bucket)
            if obj is not None and obj.get(field) == value:
                return [obj]
            del index[value]
            return []
        ids = sorted(bucket, key=self.positions().__getitem__, reverse=True)
        found = []
        for i in ids:
            obj = self.items.get(i)
            if obj is not None and obj.get(field) == value:
                found.append(obj)
            else:
                bucket.pop(i, None)
        return found


class Store:
    """One tenant's records, by kind."""

    def __init__(self, tenant: str, indexes: dict[str, tuple[str, ...]] | None = None,
                 journal: Journal | None = None) -> None:
        self.tenant = tenant
        self._index_spec = dict(indexes or {})
        self.collections: dict[str, Collection] = {}
        self.journal = journal

    def collection(self, kind: str) -> Collection:
        """The records of ``kind`` (deferred ones built first)."""
        coll = self.collections.get(kind)
        if coll is None:
            coll = Collection(self._index_spec.get(kind, ()))
            self.collections[kind] = coll
        elif coll.pending:
            self._build_pending(coll)
        return coll

    def defer(self, kind: str, build: Callable[[Any], Record], item: Any) -> None:
        """Put ``build(item)`` later: when the collection is next read or written.

        For records many writes make and few reads want (a fake's events): the
        writer pays for what the record is built from, and a reader pays for the
        build. ``build`` must depend only on ``item`` and on state nothing else
        changes in between (e.g. its own id stream), so that building late gives
        the record building at once would have. With a journal (a state dir)
        the record is put at once, so the journal keeps its order.
        """
        if self.journal is not None:
            self.put(kind, build(item))
            return
        coll = self.collections.get(kind)
        if coll is None:
            coll = self.collection(kind)
        coll.build = build
        coll.pending.append(item)
        # Counted as a put is: else the GC scans it, and more often (gc.freeze also
        # restarts the young generation's count).
        _note_new()

    def _build_pending(self, coll: Collection) -> None:
        pending, coll.pending = coll.pending, []
        build = coll.build
        assert build is not None
        for item in pending:
            coll.put(build(item))
        _note_new(len(pending))

    def settle(self) -> None:
        """Build every deferred record (before reading the store as a whole)."""
        for coll in self.collections.values():
            if coll.pending:
                self._build_pending(coll)

    def get(self, kind: str, obj_id: str) -> Record | None:
        coll = self.collections.get(kind)
        if coll is None:
            return None
        if coll.pending:
            self._build_pending(coll)
        return coll.items.get(obj_id)

    def put(self, kind: str, obj: Record) -> Record:
        """Insert or replace a record (its ``id`` is its key) and journal it."""
        coll = self.collections.get(kind)
        if coll is None or coll.pending:
            coll = self.collection(kind)
        if coll.put(obj):
            _note_new()
        if self.journal is not None:
            self.journal.record_put(self.tenant, kind, obj)
        return obj

    def delete(self, kind: str, obj_id: str) -> Record | None:
        coll = self.collections.get(kind)
        if coll is not None and coll.pending:
            self._build_pending(coll)
        obj = None if coll is None else coll.delete(obj_id)
        if obj is not None and self.journal is not None:
            self.journal.record_delete(self.tenant, kind, obj_id)
        return obj

    def all(self, kind: str) -> list[Record]:
        if kind not in self.collections:
            return []
        return list(self.collection(kind).items.values())

    def count(self, kind: str) -> int:
        coll = self.collections.get(kind)
        return 0 if coll is None else len(coll)

    def clear(self) -> None:
        self.collections.clear()

    def snapshot(self) -> dict[str, list[Record]]:
        """All records by kind, in creation order (a JSON-ready copy)."""
        self.settle()
        return {
            kind: [coll.items[i] for i in coll.order if i in coll.items]
            for kind, coll in self.collections.items()
        }

    def restore(self, data: dict[str, list[Record]]) -> None:
        self.collections.clear()
        for kind, records in data.items():
            coll = self.collection(kind)
            for obj in records:
                coll.put(obj)
