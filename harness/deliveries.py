"""What happened to the webhooks, from a fake's own records: its outbox (each event in the
order it was made: ``ordinal``, with the event body) and its delivery log (each attempt,
when, which copy, with what outcome).

A chaos scenario asserts from these that its chaos happened (copies delivered, events
delivered out of the order they were made, ``invoice.paid`` before ``invoice.finalized``):
were the delivery rules to stop applying, the scenario would fail instead of passing
without having tested anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Delivered:
    """One event a fake owed the SUT (one webhook endpoint or subscription)."""

    event_id: str
    event_type: str
    ordinal: int  # the order the fake made its events in
    object_id: str | None  # the id of the object the event is about
    first_ok: float | None  # wall time of the first accepted delivery
    copies_ok: int  # distinct copies the SUT accepted
    attempts: int
    body: Mapping[str, Any]


def _object_id(body: Mapping[str, Any]) -> str | None:
    obj = (body.get("data") or {}).get("object") or {}
    if obj.get("id"):
        return str(obj["id"])
    header = (body.get("payload") or {}).get("ChangeEventHeader") or {}
    ids = header.get("recordIds") or []
    return str(ids[0]) if ids else None


def delivered(outbox: Iterable[Mapping[str, Any]], attempts: Iterable[Mapping[str, Any]]
              ) -> list[Delivered]:
    """One :class:`Delivered` per event, in the order the fake made them."""
    by_event: dict[str, list[Mapping[str, Any]]] = {}
    for attempt in attempts:
        by_event.setdefault(str(attempt["event_id"]), []).append(attempt)
    seen: dict[str, Delivered] = {}
    for record in sorted(outbox, key=lambda r: int(r.get("ordinal") or 0)):
        event_id = str(record["event_id"])
        if event_id in seen:
            continue  # another copy of the same event
        mine = by_event.get(event_id, [])
        ok = [a for a in mine if a.get("ok")]
        try:
            body = json.loads(record.get("body") or "{}")
        except ValueError:
            body = {}
        seen[event_id] = Delivered(
            event_id, str(record.get("event_type") or ""), int(record.get("ordinal") or 0),
            _object_id(body), min((float(a["wall"]) for a in ok), default=None),
            len({a.get("copy") for a in ok}), len(mine), body)
    return list(seen.values())


def duplicated(events: Sequence[Delivered]) -> list[Delivered]:
    """Events the SUT accepted more than one copy of."""
    return [e for e in events if e.copies_ok > 1]


def inversions(events: Sequence[Delivered]) -> list[tuple[Delivered, Delivered]]:
    """(made first, delivered first) pairs: events delivered in another order than made."""
    done = sorted((e for e in events if e.first_ok is not None), key=lambda e: e.ordinal)
    return [(a, b) for i, a in enumerate(done) for b in done[i + 1:]
            if b.first_ok is not None and a.first_ok is not None and b.first_ok < a.first_ok]


def first_before(events: Sequence[Delivered], first: str, then: str
                 ) -> tuple[list[str], list[str]]:
    """For each object with both a ``first`` and a ``then`` event delivered: (objects whose
    ``first`` event arrived first, objects whose ``then`` event did)."""
    times: dict[str, dict[str, float]] = {}
    for e in events:
        if e.object_id and e.first_ok is not None and e.event_type in (first, then):
            slot = times.setdefault(e.object_id, {})
            slot[e.event_type] = min(slot.get(e.event_type, e.first_ok), e.first_ok)
    ahead = [o for o, t in sorted(times.items()) if len(t) == 2 and t[first] < t[then]]
    behind = [o for o, t in sorted(times.items()) if len(t) == 2 and t[first] >= t[then]]
    return ahead, behind


__all__ = ["Delivered", "delivered", "duplicated", "first_before", "inversions"]
