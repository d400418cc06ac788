"""The durable inbox: every inbound event is stored before it is acknowledged, once.

Events are deduplicated by (connection, source, event id); a duplicate delivery only
bumps ``copies``. Workers lease ready events (``status = pending`` and ``next_at`` due)
with a deadline, so a worker killed mid-flow loses its lease and another worker picks the
event up again. At most one event per business entity (an account, a deal, an invoice) is
in flight at a time (``entity_lease``), so two events about one object never race each
other into duplicate creates; on PostgreSQL candidate rows are locked with
``FOR UPDATE SKIP LOCKED`` so that several processes never lease the same row.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

import orjson

from integration_layer.service.db import Database, Row

PENDING, DONE, PARKED = "pending", "done", "parked"


@dataclass(frozen=True)
class InboundEvent:
    connection: str
    source: str  # "crm" or "billing"
    event_id: str
    type: str
    entity: str  # the business object the event is about, for per-entity leasing
    payload: dict[str, Any]
    flow_id: str


@dataclass(frozen=True)
class Accepted:
    row_id: int
    new: bool


class Inbox:
    """The reference inbox: dedupe on event id."""

    dedupe = True

    def __init__(self, db: Database, *, clock: Any = time.time) -> None:
        self.db = db
        self.clock = clock

    def storage_id(self, event: InboundEvent) -> str:
        return event.event_id

    async def accept(self, event: InboundEvent) -> Accepted:
        now = self.clock()
        row = await self.db.fetchone(
            "INSERT INTO inbox (connection, source, event_id, type, entity, payload, flow_id,"
            " status, next_at, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (connection, source, event_id)"
            " DO UPDATE SET copies = inbox.copies + 1 RETURNING id, copies",
            (event.connection, event.source, self.storage_id(event), event.type,
             event.entity, orjson.dumps(event.payload).decode(), event.flow_id, PENDING,
             now, now),
        )
        assert row is not None
        return Accepted(int(row["id"]), int(row["copies"]) == 1)

    async def claim(self, owner: str, lease: float) -> Row | None:
        """Lease the next ready event whose entity is not in flight, or ``None``."""
        now = self.clock()
        lock = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgres" else ""
        async with self.db.transaction() as tx:
            candidates = await tx.fetchall(
                "SELECT id, connection, entity FROM inbox WHERE status = ? AND next_at <= ?"
                " AND (lease_until IS NULL OR lease_until < ?)"
                f" ORDER BY next_at, id LIMIT 16{lock}",
                (PENDING, now, now),
            )
            for cand in candidates:
                got = await tx.execute(
                    "INSERT INTO entity_lease (connection, entity, owner, until)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (connection, entity) DO UPDATE"
                    " SET owner = excluded.owner, until = excluded.until"
                    " WHERE entity_lease.until < ?",
                    (cand["connection"], cand["entity"], owner, now + lease, now),
                )
                if got != 1:
                    continue
                return await tx.fetchone(
                    "UPDATE inbox SET lease_owner = ?, lease_until = ?,"
                    " attempts = attempts + 1 WHERE id = ? RETURNING *",
                    (owner, now + lease, cand["id"]),
                )
        return None

    async def renew(self, row: Row, owner: str, lease: float) -> bool:
        """Extend a held lease (a heartbeat while a flow runs longer than the lease);
        False if the lease was lost meanwhile."""
        until = self.clock() + lease
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE inbox SET lease_until = ? WHERE id = ? AND lease_owner = ?",
                (until, row["id"], owner))
            await tx.execute(
                "UPDATE entity_lease SET until = ? WHERE connection = ? AND entity = ?"
                " AND owner = ?", (until, row["connection"], row["entity"], owner))
        return changed == 1

    async def next_due(self) -> float | None:
        row = await self.db.fetchone(
            "SELECT MIN(next_at) AS due FROM inbox WHERE status = ?", (PENDING,))
        return float(row["due"]) if row and row["due"] is not None else None

    async def _finish(self, row: Row, owner: str, sql: str, params: tuple[Any, ...]) -> bool:
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                f"UPDATE inbox SET {sql}, lease_owner = NULL, lease_until = NULL"
                " WHERE id = ? AND lease_owner = ?", (*params, row["id"], owner))
            await tx.execute(
                "DELETE FROM entity_lease WHERE connection = ? AND entity = ? AND owner = ?",
                (row["connection"], row["entity"], owner))
        return changed == 1

    async def complete(self, row: Row, owner: str, detail: str | None = None) -> bool:
        return await self._finish(row, owner, "status = ?, finished = ?, detail = ?",
                                  (DONE, self.clock(), detail))

    async def retry_later(self, row: Row, owner: str, delay: float, reason: str, *,
                          waiting: bool = False, untried: bool = False) -> bool:
        """Back to the queue in ``delay`` seconds. ``waiting`` (a prerequisite is missing)
        counts a wait instead of an attempt; ``untried`` (nothing reached the vendor)
        counts neither."""
        sets = "next_at = ?, reason = ?"
        if waiting:
            sets += ", waits = waits + 1, attempts = attempts - 1"
        elif untried:
            sets += ", attempts = attempts - 1"
        return await self._finish(row, owner, sets, (self.clock() + delay, reason))

    async def park(self, row: Row, owner: str, reason: str, detail: str) -> bool:
        return await self._finish(row, owner, "status = ?, reason = ?, detail = ?, finished = ?",
                                  (PARKED, reason, detail, self.clock()))

    async def replay(self, connection: str | None = None,
                     ids: list[int] | None = None) -> int:
        """Send parked events back to the queue (all, one connection's, or by id)."""
        sql = ("UPDATE inbox SET status = ?, next_at = ?, attempts = 0, waits = 0,"
               " finished = NULL WHERE status = ?")
        params: list[Any] = [PENDING, self.clock(), PARKED]
        if connection is not None:
            sql += " AND connection = ?"
            params.append(connection)
        if ids:
            sql += f" AND id IN ({', '.join('?' for _ in ids)})"
            params.extend(ids)
        return await self.db.execute(sql, params)

    async def parked(self, connection: str | None = None) -> list[Row]:
        sql = ("SELECT id, connection, source, event_id, type, entity, flow_id, reason,"
               " detail, attempts, received, finished FROM inbox WHERE status = ?")
        params: list[Any] = [PARKED]
        if connection is not None:
            sql += " AND connection = ?"
            params.append(connection)
        return await self.db.fetchall(sql + " ORDER BY id", params)

    async def pending(self, connection: str | None = None) -> dict[str, int]:
        """Work not finished yet, by state: ``leased`` (a worker holds it: running, or
        waiting out a backoff inside a vendor call), ``scheduled`` (a retry or a wait for a
        prerequisite, due later), ``ready`` (due now, not claimed yet; also an event whose
        worker died, until its lease runs out). Parked events are not pending: they wait
        for a person. What the idle probe (``GET /admin/idle``) answers."""
        now = self.clock()
        sql = ("SELECT SUM(CASE WHEN lease_until IS NOT NULL AND lease_until >= ? THEN 1"
               " ELSE 0 END) AS leased,"
               " SUM(CASE WHEN (lease_until IS NULL OR lease_until < ?) AND next_at > ?"
               " THEN 1 ELSE 0 END) AS scheduled, COUNT(*) AS total"
               " FROM inbox WHERE status = ?")
        params: list[Any] = [now, now, now, PENDING]
        if connection is not None:
            sql += " AND connection = ?"
            params.append(connection)
        row = await self.db.fetchone(sql, params)
        leased = int(row["leased"] or 0) if row else 0
        scheduled = int(row["scheduled"] or 0) if row else 0
        total = int(row["total"] or 0) if row else 0
        return {"pending": total, "leased": leased, "scheduled": scheduled,
                "ready": total - leased - scheduled}

    async def counts(self, connection: str | None = None) -> dict[str, int]:
        sql = "SELECT status, COUNT(*) AS n, SUM(copies - 1) AS dup FROM inbox"
        params: list[Any] = []
        if connection is not None:
            sql += " WHERE connection = ?"
            params.append(connection)
        rows = await self.db.fetchall(sql + " GROUP BY status", params)
        out = {r["status"]: int(r["n"]) for r in rows}
        out["duplicates_absorbed"] = sum(int(r["dup"] or 0) for r in rows)
        return out


class NoDedupeInbox(Inbox):
    """FAULTY: stores every delivery as a new event of a new flow, so a duplicate
    delivery runs the flow again from the start (caught by the duplicate-delivery suite:
    a second ERP write for one billing event, refused as a duplicate record or, where the
    ERP has no external id to refuse it by, posted twice)."""

    dedupe = False

    def storage_id(self, event: InboundEvent) -> str:
        return f"{event.event_id}#{uuid.uuid4().hex}"

    async def accept(self, event: InboundEvent) -> Accepted:
        # Without dedupe every delivery is new work, with its own flow (and step memo).
        return await super().accept(replace(event, flow_id=uuid.uuid4().hex))
