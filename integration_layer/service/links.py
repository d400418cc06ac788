"""The cross-system id map and the per-flow step memo.

``links`` maps a business key in one system to an id in another, per connection, e.g.
``("billing_customer", <CRM Account Id>) -> cus_...``. ``steps`` remembers the result of
each completed step of a flow, so that a flow re-run after a crash, a retry or a replay
skips what is already done (idempotency keys cover the window between a vendor write
and this record).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import orjson

from integration_layer.service.db import Database

T = TypeVar("T")


class Links:
    def __init__(self, db: Database, connection: str) -> None:
        self.db = db
        self.connection = connection

    async def get(self, kind: str, key: str) -> str | None:
        row = await self.db.fetchone(
            "SELECT value FROM links WHERE connection = ? AND kind = ? AND key = ?",
            (self.connection, kind, key))
        return str(row["value"]) if row else None

    async def put(self, kind: str, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO links (connection, kind, key, value) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (connection, kind, key) DO UPDATE SET value = excluded.value",
            (self.connection, kind, key, value))

    async def all(self, kind: str) -> dict[str, str]:
        rows = await self.db.fetchall(
            "SELECT key, value FROM links WHERE connection = ? AND kind = ?",
            (self.connection, kind))
        return {str(r["key"]): str(r["value"]) for r in rows}


class Steps:
    def __init__(self, db: Database, flow_id: str) -> None:
        self.db = db
        self.flow_id = flow_id

    async def run(self, name: str, fn: Callable[[bool], Awaitable[T]]) -> T:
        """Run ``fn`` once per flow: a completed step returns its recorded result.

        ``fn`` gets ``resumed=True`` when an earlier run started the step and never
        recorded its end (a crash or a lost response in between): it should then look
        for what that run may have written before writing again.
        """
        row = await self.db.fetchone(
            "SELECT status, result FROM steps WHERE flow_id = ? AND step = ?",
            (self.flow_id, name))
        if row is not None and row["status"] == "done":
            return cast(T, orjson.loads(row["result"]) if row["result"] else None)
        resumed = row is not None
        if not resumed:
            await self.record(name, "started")
        result = await fn(resumed)
        await self.record(name, "done", result)
        return result

    async def record(self, name: str, status: str, result: Any = None) -> None:
        await self.db.execute(
            "INSERT INTO steps (flow_id, step, status, result, at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (flow_id, step) DO UPDATE SET status = excluded.status,"
            " result = excluded.result, at = excluded.at",
            (self.flow_id, name, status,
             orjson.dumps(result).decode() if result is not None else None, time.time()))


async def flow_steps(db: Database, flow_id: str) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT step, status, result, at FROM steps WHERE flow_id = ? ORDER BY at",
        (flow_id,))
    return [{"step": r["step"], "status": r["status"], "at": r["at"],
             "result": orjson.loads(r["result"]) if r["result"] else None} for r in rows]
