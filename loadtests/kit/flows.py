"""Business flows as Locust requests: each measured flow is fired as a request of type
``FLOW`` (its name says which flow, its response time is the flow's latency), next to the
raw vendor calls; and the samples are logged one by one for the cutover report's charts
over time (Locust's own history keeps only cumulative percentiles).

Distributed: each worker ships its new samples and the number of flows it is still
following to the master with its stats report (``report_to_master``); the master (or the
only process) keeps them and writes ``flows.jsonl``. When a test stops, each process
keeps following the flows its users started until they are through or time out
(``test_stop``), so the last deals of a run are measured, not dropped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from gevent.pool import Group
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from harness.load.flows import (
    ACCOUNT_SYNC,
    FLOW,
    INVOICE_POSTED,
    MONTH_END_DRAINED,
    PAYMENT_APPLIED,
    RENEWAL_PAID,
    RENEWAL_POSTED,
)

DRAIN_TIMEOUT = 180.0  # seconds a stopping process keeps following its flows


__all__ = ["ACCOUNT_SYNC", "INVOICE_POSTED", "LOG", "MONTH_END_DRAINED", "PAYMENT_APPLIED",
           "RENEWAL_PAID", "RENEWAL_POSTED", "FlowLog", "fire", "follow"]


class FlowNotThrough(Exception):
    """A flow that did not get through before its deadline."""


class FlowLog:
    """The FLOW samples of this process (and, on the master, of every worker)."""

    def __init__(self) -> None:
        self.samples: list[dict[str, Any]] = []
        self._unsent = 0  # a worker's samples not yet shipped to the master
        self.followers = Group()  # greenlets following flows (see Flows.follow)
        self.pending: dict[str, int] = {}  # the master: flows each worker still follows
        self.path: str | None = None

    def record(self, name: str, ms: float, ok: bool, tenant: str, error: str | None,
               started: float) -> None:
        # Wall time: the master lines these up with its own instants (harness.load.run).
        self.samples.append({"t": round(time.time(), 3), "start": round(started, 3),
                             "name": name, "ms": round(ms, 1), "ok": ok, "tenant": tenant,
                             **({"error": error[:300]} if error else {})})

    def write(self, path: str | None = None) -> Path | None:
        target = path or self.path
        if not target:
            return None
        out = Path(target)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w") as fh:
            for sample in sorted(self.samples, key=lambda s: s["t"]):
                fh.write(json.dumps(sample) + "\n")
        return out

    def still_following(self) -> int:
        return len(self.followers) + sum(self.pending.values())


LOG = FlowLog()


def fire(environment: Environment, name: str, started: float, tenant: str,
         error: str | None = None) -> None:
    """Report one flow to Locust (type FLOW) and log it."""
    ms = (time.time() - started) * 1000
    environment.events.request.fire(
        request_type=FLOW, name=name, response_time=ms, response_length=0,
        exception=FlowNotThrough(error) if error else None, context={"tenant": tenant})
    LOG.record(name, ms, error is None, tenant, error, started)


def follow(job: Callable[[], None]) -> None:
    """Run ``job`` (a flow's follower) on its own greenlet, waited for at test stop."""
    LOG.followers.spawn(job)


@events.init.add_listener
def _wire(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        @environment.events.report_to_master.add_listener
        def _ship(client_id: str, data: dict[str, Any]) -> None:
            data["fintwin_flows"] = LOG.samples[LOG._unsent:]
            LOG._unsent = len(LOG.samples)
            data["fintwin_following"] = len(LOG.followers)
    elif isinstance(runner, MasterRunner):
        @environment.events.worker_report.add_listener
        def _receive(client_id: str, data: dict[str, Any]) -> None:
            LOG.samples.extend(data.get("fintwin_flows") or ())
            if "fintwin_following" in data:
                LOG.pending[client_id] = int(data["fintwin_following"])

    @environment.events.quitting.add_listener
    def _write(environment: Environment, **_: Any) -> None:
        if not isinstance(environment.runner, WorkerRunner):
            LOG.write()


@events.test_stop.add_listener
def _drain(environment: Environment, **_: Any) -> None:
    """Users are stopped; follow the flows they started to the end (bounded)."""
    if isinstance(environment.runner, MasterRunner):
        return
    with gevent.Timeout(DRAIN_TIMEOUT, False):
        LOG.followers.join()
    LOG.followers.kill(block=True, timeout=5)
