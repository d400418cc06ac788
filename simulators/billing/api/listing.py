"""Stripe's list envelope over a store collection: cursors, limits, ``created`` filters.

Lists are newest first, ``limit`` 1-100 (default 10), ``starting_after`` and
``ending_before`` name an object of the list (Stripe API reference, "Pagination").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest
from simulators.billing.render import expand, render, sublist
from simulators.engine.store import Record


def listing(ctx: Ctx, kind: str, p: dict[str, Any], url: str,
            keep: Callable[[Record], bool] = lambda r: True,
            source: list[Record] | None = None) -> dict[str, Any]:
    """One page of ``kind`` (of ``source`` when given, else the whole collection)."""
    limit = p.get("limit") or 10
    coll = ctx.store.collection(kind)
    after, before = p.get("starting_after"), p.get("ending_before")
    for cursor, name in ((after, "starting_after"), (before, "ending_before")):
        if cursor is not None and coll.items.get(cursor) is None:
            raise InvalidRequest(f"No such {kind}: '{cursor}'", param=name,
                                 code="resource_missing")
    created = p.get("created") or {}

    def wanted(rec: Record) -> bool:
        if rec.get("deleted") or not keep(rec):
            return False
        c = rec.get("created", 0)
        return (("gt" not in created or c > created["gt"]) and
                ("gte" not in created or c >= created["gte"]) and
                ("lt" not in created or c < created["lt"]) and
                ("lte" not in created or c <= created["lte"]))

    if source is not None:
        ordered = source
        if after:
            ids = [r["id"] for r in ordered]
            ordered = ordered[ids.index(after) + 1:] if after in ids else []
        iterator = iter(ordered)
    else:
        iterator = coll.newest_first(after, before)
    page: list[Record] = []
    has_more = False
    for rec in iterator:
        if not wanted(rec):
            continue
        if len(page) == limit:
            has_more = True
            break
        page.append(rec)
    if before is not None:
        # ending_before walks toward newer records; Stripe still returns newest first.
        page = list(reversed(page))
    data = [render(ctx, kind, rec) for rec in page]
    out = sublist(url, data, has_more)
    return expand(ctx, out, p.get("expand") or [], in_list=True)


def indexed(ctx: Ctx, kind: str, field_name: str, value: str) -> list[Record]:
    return ctx.store.collection(kind).by_index(field_name, value)


def filtered(ctx: Ctx, kind: str, p: dict[str, Any], url: str,
             filters: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A list narrowed by equality filters (query param -> record field); the first
    given filter on an indexed field picks the candidates."""
    filters = filters or {}

    def keep(rec: Record) -> bool:
        for param, field_name in filters.items():
            value = p.get(param)
            if value is not None and rec.get(field_name) != value:
                return False
        return True

    coll = ctx.store.collection(kind)
    for param, field_name in filters.items():
        value = p.get(param)
        if value is not None and field_name in coll.indexes:
            return listing(ctx, kind, p, url, source=indexed(ctx, kind, field_name, value),
                           keep=keep)
    return listing(ctx, kind, p, url, keep=keep)


def deleted(kind: str, obj_id: str) -> dict[str, Any]:
    """What Stripe answers for a deleted object."""
    return {"id": obj_id, "object": kind, "deleted": True}
