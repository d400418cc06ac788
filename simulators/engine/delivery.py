"""The webhook delivery engine: a durable outbox, delivered at least once.

Each (event, endpoint) pair is an outbox record in the tenant's store, so it is
snapshotted and survives a restart with ``--state-dir``. A worker task sends
due records, signed as the vendor signs, and retries failures on the vendor's
schedule (scaled by ``time_scale`` for tests). The plan's ``deliveries``
section injects duplicates, reordering, delay, dropped first attempts and a
hold-then-burst; every decision is drawn from the seed by event ordinal.
Every attempt is logged.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import posixpath
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import httpx

from simulators.engine import seed as seeding

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

log = logging.getLogger("fintwin.delivery")

OUTBOX = "_outbox"
ATTEMPTS = "_delivery_attempt"
# Events buffered for reordering go out after this long even if the window
# never fills, so the tail of a run is not stuck (wall seconds, unscaled).
REORDER_MAX_WAIT = 0.25
SEND_TIMEOUT = 10.0
MAX_IN_FLIGHT = 32


def control_plane_url(url: str) -> bool:
    """Whether ``url`` names a fintwin control plane (``/_sim/...``), on any host: a
    webhook aimed there would make a fake reset or rewrite fakes for every tenant
    (issue 18: an endpoint at ``http://127.0.0.1:PORT/_sim/reset`` wiped them all).
    The path is read as a server would: escapes decoded (twice, for ``%255f``), empty
    and dot segments collapsed, case kept aside."""
    path = urlsplit(url).path
    for _ in range(3):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    collapsed = "/" + "/".join(part for part in path.replace("\\", "/").split("/") if part)
    normal = posixpath.normpath(collapsed).lower()
    return normal == "/_sim" or normal.startswith("/_sim/")


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    secret: str


class DeliveryEngine:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self._heap: list[tuple[float, int, str, str]] = []
        self._seq = 0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._sem: asyncio.Semaphore | None = None
        self.paused = False

    # -- enqueue ------------------------------------------------------------
    def enqueue(self, tenant: Tenant, event_id: str, event_type: str, body: bytes,
                endpoints: Iterable[Endpoint]) -> list[str]:
        """Put one event for each endpoint in the outbox; returns the outbox ids."""
        faults = self.sim.faults.deliveries
        now = time.time()
        ordinal = tenant.streams.next_ordinal("delivery:event")
        seed = self.sim.faults.seed
        ids: list[str] = []
        text = body.decode()
        for endpoint in endpoints:
            copies = 1
            if faults.duplicate_probability and seeding.uniform(
                    seed, tenant.id, "dup", ordinal, endpoint.id) < faults.duplicate_probability:
                copies = 1 + faults.duplicate_copies
            delay = faults.event_delay(event_type) if faults.delay_events else 0.0
            if faults.delay is not None:
                delay += faults.delay.sample(seeding.uniform(seed, tenant.id, "delay",
                                                             ordinal, endpoint.id))
            for copy in range(copies):
                rec: dict[str, Any] = {
                    "id": tenant.new_id("dlv_", 16),
                    "event_id": event_id, "event_type": event_type,
                    "endpoint_id": endpoint.id, "url": endpoint.url, "secret": endpoint.secret,
                    "body": text, "copy": copy, "ordinal": ordinal,
                    "status": "pending", "attempts": 0,
                    "drops_left": faults.drop_first_attempts,
                    "created": now,
                    "next_at": now + delay + copy * faults.duplicate_spacing,
                    "reorder": bool(faults.reorder_window),
                }
                tenant.store.put(OUTBOX, rec)
                self._push(tenant.id, rec)
                ids.append(rec["id"])
                if copy:
                    self.sim.metrics.inc("deliveries_duplicated_total",
                                         (("tenant", tenant.id),),
                                         help="Extra copies injected by the plan")
        self.sim.metrics.inc("events_enqueued_total", help="Events put in the outbox")
        self.kick()
        return ids

    def pending_tenants(self) -> set[str]:
        """The tenants with a delivery still to make (an evicted one would lose it)."""
        return {tenant_id for _, _, tenant_id, _ in self._heap}

    def _push(self, tenant_id: str, rec: dict[str, Any]) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (rec["next_at"], self._seq, tenant_id, rec["id"]))

    def rebuild(self) -> None:
        """Re-read pending outbox records from every tenant (after restore or restart)."""
        self._heap.clear()
        for tenant in self.sim.tenants:
            for rec in tenant.store.all(OUTBOX):
                if rec["status"] in ("pending", "sending"):
                    # "sending" when the process died mid-attempt: at least once.
                    rec["status"] = "pending"
                    self._push(tenant.id, rec)
        self.kick()

    # -- worker -------------------------------------------------------------
    def kick(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._wake = asyncio.Event()
            self._sem = asyncio.Semaphore(MAX_IN_FLIGHT)
            self._client = None
            self._task = loop.create_task(self._run(), name="fintwin-delivery")
        assert self._wake is not None
        self._wake.set()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # our caller is being cancelled, not just the worker
        for t in list(self._inflight):
            t.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _client_for(self) -> httpx.AsyncClient:
        if self._client is None:
            settings = self.sim.settings
            self._client = httpx.AsyncClient(
                transport=settings.delivery_transport,
                verify=settings.delivery_verify, timeout=SEND_TIMEOUT)
        return self._client

    def _held(self, tenant_id: str, now_mono: float) -> float | None:
        """Seconds until held deliveries may go (a hold window or a whole-fake outage)."""
        faults = self.sim.faults
        d = faults.deliveries
        if d.hold_for is not None:
            start = faults.installed_at + d.hold_start
            end = start + d.hold_for
            if start <= now_mono < end:
                return end - now_mono
        if faults.simulator_down(tenant_id):
            return 0.05
        return None

    async def _run(self) -> None:
        wake = self._wake
        assert wake is not None
        loop = asyncio.get_running_loop()
        me = asyncio.current_task()
        # stop() (or a kick() on another loop) replaces self._task: this worker is done.
        while self._task is me:
            wake.clear()
            wait = self._dispatch_due()
            # Not asyncio.wait_for: on 3.11 it drops a cancel that lands after the event is
            # set but before it resumes (gh-86296), and stop() then awaits this forever.
            timer = loop.call_later(wait, wake.set)
            try:
                await wake.wait()
            finally:
                timer.cancel()

    def _dispatch_due(self) -> float:
        """Start sending what is due; returns seconds until something else may be due."""
        if self.paused:
            return 1.0
        now = time.time()
        mono = time.monotonic()
        reorder_batches: dict[str, list[dict[str, Any]]] = {}
        deferred: list[tuple[float, int, str, str]] = []
        hold_wait: float | None = None
        while self._heap and self._heap[0][0] <= now:
            item = heapq.heappop(self._heap)
            _, _, tenant_id, rec_id = item
            tenant = self.sim.tenants.get(tenant_id)
            rec = None if tenant is None else tenant.store.get(OUTBOX, rec_id)
            if tenant is None or rec is None or rec["status"] != "pending" \
                    or rec["next_at"] > now:
                continue
            held = self._held(tenant_id, mono)
            if held is not None:
                deferred.append(item)
                hold_wait = held if hold_wait is None else min(hold_wait, held)
                continue
            if rec.get("reorder"):
                reorder_batches.setdefault(tenant_id, []).append(rec)
                continue
            self._start(tenant, rec)
        for item in deferred:
            heapq.heappush(self._heap, item)
        window = self.sim.faults.deliveries.reorder_window
        for tenant_id, recs in reorder_batches.items():
            tenant = self.sim.tenants.get(tenant_id)
            assert tenant is not None
            buffer: list[dict[str, Any]] = tenant.transient.setdefault("reorder_buffer", [])
            buffer.extend(recs)
            oldest = min(r["next_at"] for r in buffer)
            if len(buffer) >= max(window, 1) or now - oldest >= REORDER_MAX_WAIT:
                self._flush_reordered(tenant, buffer)
        pending_buffers = [t for t in self.sim.tenants if t.transient.get("reorder_buffer")]
        for tenant in pending_buffers:
            buffer = tenant.transient["reorder_buffer"]
            if now - min(r["next_at"] for r in buffer) >= REORDER_MAX_WAIT:
                self._flush_reordered(tenant, buffer)
        waits = [1.0]
        if self._heap:
            waits.append(max(0.0, self._heap[0][0] - now))
        if hold_wait is not None:
            waits.append(hold_wait)
        if any(t.transient.get("reorder_buffer") for t in self.sim.tenants):
            waits.append(REORDER_MAX_WAIT / 2)
        return max(0.001, min(waits))

    def _flush_reordered(self, tenant: Tenant, buffer: list[dict[str, Any]]) -> None:
        seed = self.sim.faults.seed
        # A seeded permutation: sort by a hash of each record's identity.
        order = sorted(buffer, key=lambda r: seeding.uniform(seed, tenant.id, "reorder",
                                                             r["ordinal"], r["endpoint_id"],
                                                             r["copy"], r["attempts"]))
        buffer.clear()
        for rec in order:
            self._start(tenant, rec)

    def _start(self, tenant: Tenant, rec: dict[str, Any]) -> None:
        rec["status"] = "sending"
        task = asyncio.get_running_loop().create_task(self._attempt(tenant, rec))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _attempt(self, tenant: Tenant, rec: dict[str, Any]) -> None:
        assert self._sem is not None
        async with self._sem:
            rec["attempts"] += 1
            attempt = rec["attempts"]
            started = time.perf_counter()
            fault = None
            status: int | str
            if control_plane_url(rec["url"]):
                # Endpoints are checked when made; a restored snapshot is not.
                status, fault = "refused", "control_plane_target"
            elif rec["drops_left"] > 0:
                rec["drops_left"] -= 1
                status, fault = "dropped", "drop_first_attempts"
            else:
                body = rec["body"].encode()
                headers = {"Content-Type": "application/json; charset=utf-8",
                           "User-Agent": f"fintwin-{self.sim.vendor.name}/1.0"}
                # A snapshot restored without its secrets signs with none (the receiver
                # refuses it, as it should).
                secret = rec.get("secret") or ""
                headers.update(self.sim.vendor.sign(secret, body, int(time.time())))
                try:
                    resp = await self._client_for().post(rec["url"], content=body,
                                                         headers=headers)
                    status = resp.status_code
                except httpx.HTTPError as exc:
                    status = f"error:{type(exc).__name__}"
                except Exception as exc:  # a broken receiver must not kill the worker
                    log.exception("delivery to %s failed", rec["url"])
                    status = f"error:{type(exc).__name__}"
            latency_ms = (time.perf_counter() - started) * 1000
            ok = isinstance(status, int) and 200 <= status < 300
            tenant.store.put(ATTEMPTS, {
                "id": tenant.new_id("att_", 16), "event_id": rec["event_id"],
                "event_type": rec["event_type"], "outbox_id": rec["id"],
                "endpoint_id": rec["endpoint_id"], "url": rec["url"], "attempt": attempt,
                "copy": rec["copy"], "status": status, "ok": ok,
                "latency_ms": round(latency_ms, 3), "fault": fault, "wall": time.time(),
            })
            self.sim.metrics.inc("delivery_attempts_total",
                                 (("outcome", "ok" if ok else "failed"),),
                                 help="Webhook delivery attempts")
            if ok:
                rec["status"] = "delivered"
            else:
                schedule = self.sim.vendor.retry_schedule
                if attempt > len(schedule):
                    rec["status"] = "failed"
                else:
                    rec["status"] = "pending"
                    rec["next_at"] = time.time() + schedule[attempt - 1] * \
                        self.sim.settings.delivery_time_scale
                    self._push(tenant.id, rec)
            tenant.store.put(OUTBOX, rec)
            if self._wake is not None:
                self._wake.set()

    # -- control ------------------------------------------------------------
    def replay(self, tenant: Tenant, event_ids: set[str] | None = None) -> list[str]:
        """Send events again as new outbox records (all, or the given event ids)."""
        seen: set[tuple[str, str]] = set()
        new_ids: list[str] = []
        now = time.time()
        for rec in tenant.store.all(OUTBOX):
            key = (rec["event_id"], rec["endpoint_id"])
            if key in seen or (event_ids is not None and rec["event_id"] not in event_ids):
                continue
            seen.add(key)
            clone = dict(rec, id=tenant.new_id("dlv_", 16), status="pending", attempts=0,
                         drops_left=0, next_at=now, created=now, copy=0, reorder=False,
                         replay_of=rec["id"])
            tenant.store.put(OUTBOX, clone)
            self._push(tenant.id, clone)
            new_ids.append(clone["id"])
        self.kick()
        return new_ids

    def redeliver(self, tenant: Tenant, outbox_id: str) -> bool:
        rec = tenant.store.get(OUTBOX, outbox_id)
        if rec is None:
            return False
        rec.update(status="pending", next_at=time.time(), drops_left=0)
        tenant.store.put(OUTBOX, rec)
        self._push(tenant.id, rec)
        self.kick()
        return True

    def pending(self, tenant: Tenant | None = None) -> int:
        tenants = [tenant] if tenant else list(self.sim.tenants)
        return sum(1 for t in tenants for r in t.store.all(OUTBOX)
                   if r["status"] in ("pending", "sending"))
