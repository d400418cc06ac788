"""When a run is over: settled by observation, not by silence.

A run (one test's tenant, or a whole demo) has settled when it is *observed* idle: every
webhook the fakes owe the SUT has been acknowledged (their outboxes are empty) and the
SUT says it has no work left (its manifest's idle probe answers ``pending: 0``: no event
waiting to be processed, no retry scheduled, no lease held, no call waiting out a
Retry-After). Two observations in a row must both be idle, with nothing delivered or
written between them: a webhook delivered and processed entirely between two looks would
otherwise go unseen.

A SUT without an idle probe can only be judged by silence: settled after ``quiet``
seconds with no webhook pending and nothing new. A verdict that rests on that says so
(:attr:`Settled.how` is ``"quiet"``), because a SUT sleeping in a long backoff looks just
as quiet as one that is done. The deadline bounds the wait and never decides: a run that
reaches it has *not* settled (``"deadline"``), and says what was still pending.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from harness.manifest import VENDORS

if TYPE_CHECKING:
    from harness.stack import Stack

IDLE, QUIET, DEADLINE = "idle", "quiet", "deadline"
INTERVAL = 0.05  # seconds between two looks


@dataclass(frozen=True)
class Observation:
    """One look at the run."""

    outbox: int  # webhooks the fakes have not had acknowledged yet (sending included)
    sut_pending: int | None  # the SUT's idle probe; None: the SUT has none
    activity: Hashable  # what happened so far (deliveries, the SUT's writes): a fingerprint

    @property
    def idle(self) -> bool:
        """Nothing owed to the SUT and (with a probe) nothing left in it."""
        return self.outbox == 0 and not self.sut_pending


@dataclass(frozen=True)
class Settled:
    """How the wait ended."""

    how: str  # IDLE (observed), QUIET (no probe: silence), DEADLINE (not settled)
    seconds: float
    last: Observation

    @property
    def ok(self) -> bool:
        return self.how != DEADLINE

    def describe(self) -> str:
        if self.how == IDLE:
            return (f"settled in {self.seconds:.1f}s, observed idle (webhook outboxes empty, "
                    "the SUT's idle probe at 0)")
        if self.how == QUIET:
            return (f"settled in {self.seconds:.1f}s by a quiet window (the SUT has no idle "
                    "probe: nothing pending and nothing new for the manifest's "
                    "[settle].quiet); a SUT still sleeping in a backoff looks the same")
        pending = ("no idle probe" if self.last.sut_pending is None
                   else f"the SUT reports {self.last.sut_pending} pending")
        return (f"NOT settled within {self.seconds:.1f}s: {self.last.outbox} webhooks "
                f"still owed by the fakes, {pending}")

    def to_dict(self) -> dict[str, object]:
        return {"how": self.how, "seconds": round(self.seconds, 3), "ok": self.ok,
                "outbox": self.last.outbox, "sut_pending": self.last.sut_pending,
                "describe": self.describe()}


async def settle(observe: Callable[[], Awaitable[Observation]], *, timeout: float,
                 quiet: float, interval: float = INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> Settled:
    """Look at the run with ``observe`` until it has settled, or until ``timeout``.

    With an idle probe (``sut_pending`` not None): two consecutive idle observations with
    the same activity. Without: idle (outboxes empty) and the activity unchanged for
    ``quiet`` seconds."""
    started = clock()
    deadline = started + timeout
    previous: Observation | None = None
    unchanged_since = started
    while True:
        seen = await observe()
        now = clock()
        if previous is None or seen.activity != previous.activity or not seen.idle:
            unchanged_since = now
        if seen.idle and previous is not None and previous.idle \
                and seen.activity == previous.activity:
            if seen.sut_pending is not None:
                return Settled(IDLE, now - started, seen)
            if now - unchanged_since >= quiet:
                return Settled(QUIET, now - started, seen)
        if now >= deadline:
            return Settled(DEADLINE, now - started, seen)
        previous = seen
        await asyncio.sleep(interval)  # between two looks at a condition with a deadline


# -- looking at a whole stack (fintwin demo, fintwin load) ---------------------------------


async def fake_counters(client: httpx.AsyncClient, headers: Mapping[str, str]
                        ) -> dict[str, float]:
    """A fake's Prometheus counters, each summed over its labels (``name{...} v``);
    ``requests_total`` of writes only (the SUT's reads include idle polling)."""
    text = (await client.get("/_sim/metrics", headers=dict(headers))).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition("{")
        labels, _, value = rest.rpartition("} ") if rest else ("", "", "")
        if not rest:
            name, _, value = line.partition(" ")
        if name.endswith("_requests_total") and 'method="GET"' in labels:
            continue
        try:
            out[name] = out.get(name, 0.0) + float(value.split()[0])
        except (ValueError, IndexError):
            continue
    return out


async def observe_stack(stack: Stack, clients: Mapping[str, httpx.AsyncClient]
                        ) -> Observation:
    """One look at the whole run: every fake's outbox, the SUT's idle probe (all its
    connections), and the fakes' delivery attempts and write requests (``clients``: one
    async client per fake)."""
    headers = stack.control_headers()
    found = await asyncio.gather(*(fake_counters(clients[v], headers) for v in VENDORS))
    by_vendor = dict(zip(VENDORS, found, strict=True))
    outbox = sum(int(by_vendor[v].get(f"fintwin_{v}_outbox_pending", 0)) for v in VENDORS)
    activity = tuple(int(by_vendor[v].get(f"fintwin_{v}_{name}", 0)) for v in VENDORS
                     for name in ("delivery_attempts_total", "requests_total"))
    pending = await asyncio.to_thread(stack.sut_pending) \
        if stack.manifest.admin.idle else None
    return Observation(outbox=outbox, sut_pending=pending, activity=activity)
