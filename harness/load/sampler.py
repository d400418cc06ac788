"""The SUT's backlog and the fakes' outboxes over time, sampled while the load runs, and
the wait until the run has drained.

Each sample is one look at the whole run (:func:`harness.settling.observe_stack`): the
webhooks the fakes still owe the SUT, and the SUT's pending work from its manifest's idle
probe (the reference's ``GET /admin/idle``: queued events, scheduled retries, held
leases); a SUT without a probe has no backlog series and the report says so. The SUT's
own counters (``GET /metrics``: vendor calls by status, retries by vendor) are kept when it
publishes them, for the report only. Drained means settled by observation
(:mod:`harness.settling`), never by a quiet spell when the SUT has a probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from harness.manifest import VENDORS
from harness.settling import Observation, Settled, observe_stack, settle
from harness.stack import SUT, Stack

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


@dataclass
class Sample:
    t: float
    backlog: int | None  # the SUT's pending work (its idle probe); None: it has none
    outbox: int  # webhooks the fakes still owe the SUT
    sut_calls: dict[str, dict[str, float]] = field(default_factory=dict)  # vendor -> status
    sut_retries: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "backlog": self.backlog, "outbox": self.outbox,
                "sut_calls": self.sut_calls, "sut_retries": self.sut_retries}


class Sampler:
    """Looks at the run every ``interval`` seconds until stopped."""

    def __init__(self, stack: Stack, interval: float = 1.0) -> None:
        self.stack = stack
        self.interval = interval
        self.samples: list[Sample] = []
        self.sut_metrics: bool | None = None  # whether the SUT publishes GET /metrics

    async def _sut_counters(self, client: httpx.AsyncClient, sample: Sample) -> None:
        if self.sut_metrics is False:
            return
        response = await client.get("/metrics")
        self.sut_metrics = response.status_code == 200
        if not self.sut_metrics:
            return
        for name, labels, value in parse_metrics(response.text):
            vendor = labels.get("vendor", "?")
            if name == "fintwin_il_vendor_calls_total":
                by = sample.sut_calls.setdefault(vendor, {})
                status = labels.get("status", "?")
                by[status] = by.get(status, 0.0) + value
            elif name == "fintwin_il_retries_total":
                sample.sut_retries[vendor] = sample.sut_retries.get(vendor, 0.0) + value

    async def look(self, clients: Mapping[str, httpx.AsyncClient]) -> Observation:
        """One observation of the run, kept as a sample."""
        seen = await observe_stack(self.stack, clients)
        sample = Sample(time.time(), seen.sut_pending, seen.outbox)
        with contextlib.suppress(httpx.HTTPError):
            await self._sut_counters(clients[SUT], sample)
        self.samples.append(sample)
        return seen

    async def run(self, stop: asyncio.Event) -> None:
        async with _clients(self.stack) as clients:
            while not stop.is_set():
                # A busy SUT may time out one probe; the next one counts.
                with contextlib.suppress(httpx.HTTPError):
                    await self.look(clients)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)

    async def drained(self, timeout: float) -> Settled:
        """Wait until the run is observed idle (or, for a SUT without an idle probe,
        quiet for the manifest's ``[settle].quiet``), or the deadline."""
        async with _clients(self.stack) as clients:
            return await settle(partial(self.look, clients), timeout=timeout,
                                quiet=self.stack.manifest.settle.quiet, interval=0.25)


class _clients:
    """One async client per fake, and one to the SUT."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.clients: dict[str, httpx.AsyncClient] = {}

    async def __aenter__(self) -> dict[str, httpx.AsyncClient]:
        for target in (*VENDORS, SUT):
            self.clients[target] = self.stack.async_client(target, timeout=30.0)
        return self.clients

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients.values():
            await client.aclose()
