"""Reading what happened to the webhooks from a fake's outbox and delivery log."""

from __future__ import annotations

import json
from typing import Any

from harness.deliveries import delivered, duplicated, first_before, inversions


def outbox(event_id: str, kind: str, ordinal: int, obj: str, copy: int = 0) -> dict[str, Any]:
    body = json.dumps({"id": event_id, "type": kind, "data": {"object": {"id": obj}}})
    return {"event_id": event_id, "event_type": kind, "ordinal": ordinal, "copy": copy,
            "body": body}


def attempt(event_id: str, wall: float, *, ok: bool = True, copy: int = 0) -> dict[str, Any]:
    return {"event_id": event_id, "wall": wall, "ok": ok, "copy": copy}


def test_in_order_single_copies() -> None:
    events = delivered([outbox("e1", "invoice.finalized", 1, "in_1"),
                        outbox("e2", "invoice.paid", 2, "in_1")],
                       [attempt("e1", 10.0), attempt("e2", 11.0)])
    assert [e.event_id for e in events] == ["e1", "e2"]
    assert not duplicated(events) and not inversions(events)
    assert first_before(events, "invoice.paid", "invoice.finalized") == ([], ["in_1"])


def test_copies_reordering_and_a_late_finalized() -> None:
    events = delivered(
        [outbox("e2", "invoice.paid", 2, "in_1"), outbox("e1", "invoice.finalized", 1, "in_1"),
         outbox("e1", "invoice.finalized", 1, "in_1", copy=1)],
        [attempt("e2", 10.0), attempt("e1", 12.0, ok=False), attempt("e1", 13.0),
         attempt("e1", 13.5, copy=1)])
    first = events[0]
    assert first.event_id == "e1" and first.copies_ok == 2 and first.attempts == 3
    assert first.first_ok == 13.0 and first.object_id == "in_1"
    assert [e.event_id for e in duplicated(events)] == ["e1"]
    assert [(a.event_id, b.event_id) for a, b in inversions(events)] == [("e1", "e2")]
    assert first_before(events, "invoice.paid", "invoice.finalized") == (["in_1"], [])


def test_undelivered_events_are_neither_early_nor_late() -> None:
    events = delivered([outbox("e1", "invoice.finalized", 1, "in_1"),
                        outbox("e2", "invoice.paid", 2, "in_1")], [attempt("e2", 1.0)])
    assert events[0].first_ok is None and events[0].copies_ok == 0
    assert not inversions(events)
    assert first_before(events, "invoice.paid", "invoice.finalized") == ([], [])
