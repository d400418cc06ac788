"""The SUT's backlog and the fakes' outboxes over time, sampled while the load runs.

Backlog is read from the SUT's ``GET /admin/stats`` (the reference's inbox counts by
status: ``pending`` is received and not yet done, retries waiting included) and its
``GET /metrics`` (vendor calls by status, retries by vendor); a SUT without them has no
backlog series and the report says so. The fakes' outboxes (webhooks not yet delivered)
come from their ``/_sim/metrics``. A run is drained when both are empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.stack import SUT, Stack

OUTBOXES = ("crm", "billing")  # the fakes that deliver webhooks
_SAMPLE = re.compile(r'^([a-z_]+)\{([^}]*)\}\s+([0-9.eE+-]+)$')


def parse_metrics(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Prometheus text exposition lines with labels, as (name, labels, value)."""
    out = []
    for line in text.splitlines():
        found = _SAMPLE.match(line.strip())
        if found is None:
            continue
        labels = dict(part.split("=", 1) for part in found.group(2).split(",") if "=" in part)
        out.append((found.group(1), {k: v.strip('"') for k, v in labels.items()},
                    float(found.group(3))))
    return out


def metric(text: str, name: str) -> float:
    """An unlabelled sample's value (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


@dataclass
class Sample:
    t: float
    backlog: int | None  # the SUT's pending inbox events (None: it does not say)
    parked: int | None
    outbox: dict[str, int]
    sut_calls: dict[str, dict[str, float]] = field(default_factory=dict)  # vendor -> status
    sut_retries: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "backlog": self.backlog, "parked": self.parked,
                "outbox": self.outbox, "sut_calls": self.sut_calls,
                "sut_retries": self.sut_retries}


class Sampler:
    """Reads the SUT and the fakes every ``interval`` seconds until stopped."""

    def __init__(self, stack: Stack, interval: float = 1.0) -> None:
        self.stack = stack
        self.interval = interval
        self.samples: list[Sample] = []
        self.sut_has_stats: bool | None = None

    async def sample(self, clients: Mapping[str, httpx.AsyncClient]) -> Sample:
        stack = self.stack
        outbox = {}
        for vendor in OUTBOXES:
            text = (await clients[vendor].get("/_sim/metrics",
                                              headers=stack.control_headers())).text
            outbox[vendor] = int(metric(text, f"fintwin_{vendor}_outbox_pending"))
        backlog = parked = None
        calls: dict[str, dict[str, float]] = {}
        retries: dict[str, float] = {}
        if self.sut_has_stats is not False:
            response = await clients[SUT].get("/admin/stats", headers=stack.admin_headers())
            self.sut_has_stats = response.status_code == 200
            if self.sut_has_stats:
                inbox = response.json().get("inbox") or {}
                backlog, parked = int(inbox.get("pending", 0)), int(inbox.get("parked", 0))
                text = (await clients[SUT].get("/metrics")).text
                for name, labels, value in parse_metrics(text):
                    vendor = labels.get("vendor", "?")
                    if name == "fintwin_il_vendor_calls_total":
                        status = labels.get("status", "?")
                        by = calls.setdefault(vendor, {})
                        by[status] = by.get(status, 0.0) + value
                    elif name == "fintwin_il_retries_total":
                        retries[vendor] = retries.get(vendor, 0.0) + value
        found = Sample(time.time(), backlog, parked, outbox, calls, retries)
        self.samples.append(found)
        return found

    async def run(self, stop: asyncio.Event) -> None:
        async with _clients(self.stack) as clients:
            while not stop.is_set():
                # A busy SUT may time out one probe; the next one counts.
                with contextlib.suppress(httpx.HTTPError):
                    await self.sample(clients)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)

    async def drained(self, timeout: float, calm: float = 1.0) -> float | None:
        """Wait until the SUT has no pending work and no webhook waits in a fake's outbox,
        ``calm`` seconds in a row; return when that began (None: not by the deadline)."""
        deadline = time.monotonic() + timeout
        since: float | None = None
        async with _clients(self.stack) as clients:
            while True:
                try:
                    s = await self.sample(clients)
                    idle = not s.backlog and not any(s.outbox.values())
                except httpx.HTTPError:
                    idle = False
                if not idle:
                    since = None
                elif since is None:
                    since = time.time()
                if since is not None and time.time() - since >= calm:
                    return since
                if time.monotonic() > deadline:
                    return None
                await asyncio.sleep(0.25)  # between probes of a condition with a deadline


class _clients:
    """One async client per fake with an outbox, and one to the SUT."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.clients: dict[str, httpx.AsyncClient] = {}

    async def __aenter__(self) -> dict[str, httpx.AsyncClient]:
        for target in (*OUTBOXES, SUT):
            self.clients[target] = self.stack.async_client(target, timeout=10.0)
        return self.clients

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients.values():
            await client.aclose()
