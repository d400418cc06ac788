"""The running service: connections, the inbox, workers, the CRM polling fallback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import time
import traceback
import uuid
from typing import Any

import httpx
import orjson

from integration_layer.clients import (
    AmbiguousOutcome,
    CircuitOpen,
    PermanentError,
    TransientError,
    correlation,
)
from integration_layer.service.config import Connection, ServiceConfig
from integration_layer.service.db import Database, Row, open_database
from integration_layer.service.flows.context import FlowContext
from integration_layer.service.flows.dispatch import crm_entity, handler_for
from integration_layer.service.inbox import InboundEvent, Inbox
from integration_layer.service.links import Links, Steps
from integration_layer.service.observability import Metrics, event_log
from integration_layer.service.outcomes import Drop, Park, Wait
from integration_layer.service.variants import Variant, variant
from integration_layer.service.vendors import Vendors, build_vendors


class Service:
    def __init__(self, cfg: ServiceConfig, *,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.cfg = cfg
        self.variant: Variant = variant(cfg.variant)
        self.parts = self.variant.parts
        self.transport = transport
        self.metrics = Metrics()
        self.db: Database | None = None
        self.inbox: Inbox | None = None
        self.connections: dict[str, Connection] = {}
        self.vendors: dict[str, Vendors] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._rng = random.Random(cfg.seed)

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self, *, workers: bool = True) -> None:
        self.db = await open_database(self.cfg.database_url)
        self.inbox = self.parts.inbox(self.db)
        await self.load_connections()
        for conn in self.cfg.connections:
            await self.add_connection(conn)
        if workers:
            for n in range(self.cfg.workers):
                self._tasks.append(asyncio.create_task(self._worker(n)))
            self._tasks.append(asyncio.create_task(self._poller()))

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for vendors in self.vendors.values():
            await vendors.aclose()
        if self.db is not None:
            await self.db.close()

    # -- connections -------------------------------------------------------------------

    async def load_connections(self) -> None:
        """The connections stored in the database (other processes register them too)."""
        assert self.db is not None
        for row in await self.db.fetchall("SELECT id, config FROM connections"):
            conn = Connection.from_dict(orjson.loads(row["config"]))
            if self.connections.get(conn.id) != conn:
                self.connections[conn.id] = conn
                old = self.vendors.pop(conn.id, None)
                if old is not None:
                    await old.aclose()

    async def connection(self, conn_id: str) -> Connection | None:
        if conn_id not in self.connections and self.db is not None:
            await self.load_connections()
        return self.connections.get(conn_id)

    async def add_connection(self, conn: Connection) -> None:
        assert self.db is not None
        await self.db.execute(
            "INSERT INTO connections (id, config, created) VALUES (?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET config = excluded.config",
            (conn.id, orjson.dumps(conn.to_dict()).decode(), time.time()))
        old = self.vendors.pop(conn.id, None)
        if old is not None:
            await old.aclose()
        self.connections[conn.id] = conn

    def vendors_of(self, conn_id: str) -> Vendors:
        if conn_id not in self.vendors:
            self.vendors[conn_id] = build_vendors(self.connections[conn_id], self.cfg,
                                                  self.parts, self.metrics, self.transport)
        return self.vendors[conn_id]

    # -- inbound -----------------------------------------------------------------------

    async def receive(self, event: InboundEvent) -> bool:
        """Store an inbound event durably; True if it is new."""
        assert self.inbox is not None
        accepted = await self.inbox.accept(event)
        self.metrics.inc("fintwin_il_events_in_total", source=event.source,
                         duplicate=str(not accepted.new).lower())
        if accepted.new:
            self._wake.set()
        return accepted.new

    async def flow_for_billing_event(self, conn: str, obj: dict[str, Any]) -> str | None:
        """The deal's flow id for events about its subscription, to keep one trace."""
        assert self.db is not None
        sub = obj.get("subscription") or ((obj.get("parent") or {}).get(
            "subscription_details") or {}).get("subscription")
        if obj.get("object") == "subscription":
            sub = obj.get("id")
        if not sub:
            return None
        return await Links(self.db, conn).get("flow", str(sub))

    # -- workers -----------------------------------------------------------------------

    async def _worker(self, n: int) -> None:
        assert self.inbox is not None
        owner = f"{self.identity}:w{n}"
        while not self._stopping:
            try:
                row = await self.inbox.claim(owner, self.cfg.lease_seconds)
            except Exception as exc:  # a database hiccup must not kill the worker
                event_log("claim failed", error=repr(exc))
                row = None
            if row is None:
                await self._idle()
                continue
            await self.process(row, owner)

    async def _idle(self) -> None:
        assert self.inbox is not None
        due = await self.inbox.next_due()
        timeout = 0.5 if due is None else max(0.005, min(0.5, due - time.time()))
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def process(self, row: Row, owner: str) -> None:
        assert self.inbox is not None and self.db is not None
        conn_id = str(row["connection"])
        payload = orjson.loads(row["payload"])
        handler = handler_for(str(row["source"]), payload)
        labels: dict[str, str] = {"source": str(row["source"])}
        if handler is None:
            await self.inbox.complete(row, owner, "ignored")
            return
        if await self.connection(conn_id) is None:  # another process may have added it
            await self._park(row, owner, "UNKNOWN_CONNECTION", f"no connection {conn_id!r}")
            return
        ctx = FlowContext(
            connection=conn_id, event_id=f"{row['source']}:{row['event_id']}",
            event_type=str(row["type"]), payload=payload, flow_id=str(row["flow_id"]),
            vendors=self.vendors_of(conn_id), links=Links(self.db, conn_id),
            steps=Steps(self.db, str(row["flow_id"])), parts=self.parts)
        started = time.perf_counter()
        heartbeat = asyncio.create_task(self._heartbeat(row, owner))
        try:
            with correlation(str(row["flow_id"])):
                await handler(ctx)
        except Wait as exc:
            await self._wait(row, owner, exc, labels)
            return
        except Park as exc:
            await self._park(row, owner, exc.code, exc.detail)
            return
        except Drop as exc:
            await self._drop(row, owner, exc, labels)
            return
        except (TransientError, AmbiguousOutcome) as exc:
            try:
                self.parts.failures.on_transient(exc)
            except Drop as drop:
                await self._drop(row, owner, drop, labels)
                return
            # A call the circuit breaker refused never reached the vendor: it does not
            # spend the event's attempts (those count the vendor's failures).
            untried = isinstance(exc, CircuitOpen)
            if int(row["attempts"]) >= self.cfg.max_attempts and not untried:
                await self._park(row, owner, "VENDOR_UNAVAILABLE", str(exc))
                return
            delay = self._backoff(int(row["attempts"]), getattr(exc, "retry_after", None))
            await self.inbox.retry_later(row, owner, delay, f"transient: {exc}",
                                         untried=untried)
            self.metrics.inc("fintwin_il_event_retries_total", **labels)
            return
        except PermanentError as exc:
            instead = self.parts.refusals.on_permanent(exc)
            if isinstance(instead, Wait):
                await self._wait(row, owner, instead, labels)
            elif isinstance(instead, Drop):
                await self._drop(row, owner, instead, labels)
            else:
                await self._park(row, owner,
                                 f"VENDOR_REJECTED:{exc.vendor_code or exc.status}", str(exc))
            return
        except Exception as exc:  # a bug: park it with the traceback, keep the worker
            await self._park(row, owner, "INTERNAL_ERROR",
                             "".join(traceback.format_exception(exc))[-2000:])
            return
        finally:
            heartbeat.cancel()
        await self.inbox.complete(row, owner)
        self.metrics.inc("fintwin_il_events_processed_total", **labels)
        event_log("event processed", flow=row["flow_id"], event=row["event_id"],
                  type=row["type"], ms=round((time.perf_counter() - started) * 1000, 1))

    async def _wait(self, row: Row, owner: str, exc: Wait, labels: dict[str, str]) -> None:
        """A prerequisite is missing: try again later, parked after ``max_waits``."""
        assert self.inbox is not None
        if int(row["waits"]) + 1 >= self.cfg.max_waits:
            await self._park(row, owner, "PREREQUISITE_TIMEOUT", exc.reason)
            return
        delay = min(2.0, self.cfg.retry_base * (1 + int(row["waits"])))
        await self.inbox.retry_later(row, owner, delay, exc.reason, waiting=True)
        self.metrics.inc("fintwin_il_events_waiting_total", **labels)

    async def _drop(self, row: Row, owner: str, exc: Exception,
                    labels: dict[str, str]) -> None:
        """Give the event up without parking it (only faulty variants do)."""
        assert self.inbox is not None
        await self.inbox.complete(row, owner, f"dropped: {exc}")
        self.metrics.inc("fintwin_il_events_dropped_total", **labels)
        event_log("event dropped", event=row["event_id"], reason=str(exc))

    async def _heartbeat(self, row: Row, owner: str) -> None:
        """Keep the lease while the flow runs (in-call retries may wait out a long
        Retry-After); another process takes the event over only when this one is gone."""
        assert self.inbox is not None
        lease = self.cfg.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                await self.inbox.renew(row, owner, lease)
            except Exception as exc:  # the next beat tries again
                event_log("lease renewal failed", event=row["event_id"], error=repr(exc))

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        ceiling = min(5.0, self.cfg.retry_base * 2 ** attempts)
        delay = self._rng.uniform(ceiling / 2, ceiling)
        if not retry_after:
            return delay
        # Never before Retry-After, and spread after it (RetryPolicy.spread says why).
        return max(delay, retry_after) + self._rng.uniform(0.0, min(retry_after, 1.0 + ceiling))

    async def _park(self, row: Row, owner: str, code: str, detail: str) -> None:
        assert self.inbox is not None
        await self.inbox.park(row, owner, code, detail)
        self.metrics.inc("fintwin_il_events_parked_total", source=str(row["source"]),
                         reason=code.split(":")[0])
        event_log("event parked", flow=row["flow_id"], event=row["event_id"], reason=code,
                  detail=detail[:300])

    # -- CRM polling fallback ----------------------------------------------------------

    async def _poller(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.cfg.poll_seconds)
            for conn_id in list(self.connections):
                try:
                    await self.poll_crm(conn_id)
                except Exception as exc:  # the next round tries again
                    event_log("crm poll failed", connection=conn_id, error=repr(exc))

    async def poll_crm(self, conn_id: str) -> int:
        """Fetch change events after the last replay id seen; return how many were new.
        Anything a push missed (an outage, a dropped delivery) arrives this way."""
        assert self.db is not None
        crm = self.vendors_of(conn_id).crm
        row = await self.db.fetchone(
            "SELECT value FROM cursors WHERE connection = ? AND name = 'crm_replay'",
            (conn_id,))
        replay = int(row["value"]) if row else 0
        response = await crm.request(
            "GET", f"{crm.data_path}/fintwin/changeEvents",
            params={"replayId": str(replay)},
            path_template="/services/data/v{version}/fintwin/changeEvents")
        body = response.json() if response.content else {}
        new = 0
        for event in body.get("events") or body.get("data") or []:
            new += await self.receive(crm_event(conn_id, event, await self._crm_flow(event)))
            replay = max(replay, int(event.get("replayId") or 0))
        await self.db.execute(
            "INSERT INTO cursors (connection, name, value) VALUES (?, 'crm_replay', ?)"
            " ON CONFLICT (connection, name) DO UPDATE SET value = excluded.value",
            (conn_id, str(replay)))
        return new

    async def _crm_flow(self, event: dict[str, Any]) -> str:
        return new_flow_id()


def new_flow_id() -> str:
    return uuid.uuid4().hex


def crm_event(conn_id: str, event: dict[str, Any], flow_id: str) -> InboundEvent:
    header = (event.get("payload") or {}).get("ChangeEventHeader") or {}
    event_id = str((event.get("event") or {}).get("EventUuid") or event.get("replayId"))
    return InboundEvent(conn_id, "crm", event_id,
                        f"{header.get('entityName')}.{header.get('changeType')}",
                        crm_entity(event), event, flow_id)
