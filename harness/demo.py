"""``fintwin demo``: the main job, on the same stack, drivers and oracle as the scenario
suites.

It starts the three fakes and the reference integration layer (``--stack inprocess``, the
default: one event loop on a background thread; ``--stack local``: each fake a ``fintwin
sim`` process on a loopback port, the CRM over TLS with the local CA, the SUT a ``fintwin
serve integration-layer`` process), puts the chaos profile on every fake, and runs
``deals`` quote-to-cash flows, a few at a time. Each flow is one company with its own
tenant in the three fakes, provisioned just ahead of it (so each flow's requests, webhook
deliveries and faults are its own, and a tenant's fault decisions depend only on the seed,
its label and its requests): the account, contacts, opportunity and synced quote in the
CRM, a card once the SUT has made the billing customer, the opportunity closed won, then a
wait (with a deadline) until the subscription, its invoice and the payment are posted to
the ERP and the oracle has checked the tenant. When every webhook has settled, the oracle
checks again each tenant that saw a write or a delivery after its check; the summary
(flows, faults injected by kind, duplicates absorbed, retries, violations) is printed and
the run is written as ``fintwin-results.json`` and ``fintwin-report.html``
(harness/report.py: one timeline per flow across the three systems with the faults that
hit it) in ``--out``.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx

import harness.report as reporting
from harness import epoch as epochs
from harness.digest import business_digest
from harness.manifest import VENDORS, load_manifest, reference_manifest_path
from harness.oracle import Report
from harness.scenario import Q2C, fingerprint
from harness.settling import Settled, observe_stack, settle
from harness.stack import SUT, Stack, StackConfig, Tenant, create_stack, run_sync
from harness.waiting import NotYet

T = TypeVar("T")
ENTITIES = ("US", "GB", "DE")  # USD, GBP, EUR
DEFAULT_DEALS = 100
DEFAULT_OUT = Path(".fintwin/demo")
STACKS = ("inprocess", "local", "external", "containers")
GATED = ("latency",)  # fault kinds that only slow a request down


@dataclass(frozen=True)
class DemoOptions:
    deals: int = DEFAULT_DEALS
    seed: int = 1
    epoch: float = epochs.resolve()  # where every tenant's business clock starts, frozen
    chaos: str | None = "default-chaos"
    variant: str = "reference"
    manifest: Path | None = None  # the SUT's manifest; None: the reference's
    stack: str = "inprocess"
    out: Path | None = DEFAULT_OUT  # None: no files
    concurrency: int = 8  # flows in flight at once
    flow_timeout: float = 60.0  # per flow, from its first CRM write to the ERP payment
    settle_timeout: float = 30.0  # after the last flow, for webhooks still pending
    progress: bool = True
    catalog_size: int = 3
    traffic: bool = False  # keep request and webhook bodies (fintwin contracts record)

    def rerun(self) -> str:
        """The command that reruns this demo with the same seed (same faults)."""
        argv = ["fintwin", "demo", "--seed", str(self.seed), "--epoch", epochs.name(self.epoch),
                "--deals", str(self.deals), "--chaos", self.chaos or "none",
                "--stack", self.stack]
        if self.variant != "reference":
            argv += ["--variant", self.variant]
        if self.manifest is not None:
            argv += ["--manifest", str(self.manifest)]
        return shlex.join(argv)


@dataclass
class FlowRun:
    """One quote-to-cash flow (one company, one tenant)."""

    index: int
    entity: str
    tenant: Tenant
    company: str = ""
    currency: str = ""
    started: float = 0.0
    closed: float | None = None
    checked: float | None = None  # when the last oracle check began reading
    finished: float | None = None
    error: str | None = None
    report: Report | None = None
    digest: dict[str, dict[str, Any]] = field(default_factory=dict)  # of the last check
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"deal {self.index + 1:03d} · {self.entity}/{self.currency or '?'}"

    @property
    def title(self) -> str:
        return f"{self.name} · {self.company or '?'}"

    @property
    def latency(self) -> float | None:
        return None if self.finished is None else round(self.finished - self.started, 4)


class Progress:
    """A progress bar on stderr, redrawn in place on a terminal; elsewhere (a CI log) a
    line at every tenth of the way."""

    def __init__(self, enabled: bool, width: int = 30) -> None:
        self.enabled = enabled
        self.width = width
        self.tty = sys.stderr.isatty()
        self._shown: tuple[int, int] | None = None

    def __call__(self, done: int, total: int, what: str) -> None:
        if not self.enabled:
            return
        filled = self.width * done // max(total, 1)
        bar = f"  {what:<22} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}"
        if self.tty:
            sys.stderr.write("\r" + bar + ("\n" if done >= total else ""))
        else:
            step = (10 * done // max(total, 1), total)
            if step == self._shown:
                return
            self._shown = step
            sys.stderr.write(bar + "\n")
        sys.stderr.flush()


def _posted(report: Report) -> bool:
    """The flow is through: a subscription, and its invoice and payment in the ERP."""
    counts = report.counts
    return (counts.get("billing.subscriptions", 0) >= 1
            and counts.get("erp.transactions", 0) >= 2 and counts.get("crm.contracts", 0) >= 1)


async def _run_flow(stack: Stack, flow: FlowRun, opts: DemoOptions) -> None:
    q = Q2C(stack, flow.tenant, stack.world(flow.tenant), timeout=opts.flow_timeout)
    try:
        deal = q.deals(1, entities=(flow.entity,))[0]
        flow.company, flow.currency = deal.company.name, deal.currency
        flow.started = time.time()
        made = await q.open(deal)
        flow.notes.append({"system": "crm", "t": time.time(), "kind": "note",
                           "label": f"card entered; closing opportunity "
                                    f"{made.opportunity_id} won (harness)"})
        await q.crm.close_won(made.opportunity_id)
        flow.closed = time.time()

        async def through() -> Report | None:
            # One cheap ERP read per probe; the whole oracle only once both are there.
            rows = await q.erp.suiteql("SELECT type FROM transaction")
            if not {"CustInvc", "CustPymt"} <= {str(r.get("type")) for r in rows}:
                return None
            flow.checked = time.time()
            report = await q.check()
            return report if _posted(report) else None

        flow.report = await q.until(through, what=f"{flow.name}: invoice and payment posted "
                                    "to the ERP", interval=0.2)
        flow.digest = _digest(q)
        flow.finished = time.time()
        flow.notes.append({"system": "erp", "t": flow.finished, "kind": "note",
                           "label": "invoice and payment posted: flow through (oracle)"})
    except (NotYet, AssertionError, httpx.HTTPError) as exc:
        flow.error = f"{type(exc).__name__}: {exc}"
    finally:
        await q.aclose()


async def _settle(stack: Stack, clients: Mapping[str, httpx.AsyncClient],
                  timeout: float) -> Settled:
    """The whole run observed idle (:mod:`harness.settling`), or the deadline."""
    return await settle(partial(observe_stack, stack, clients), timeout=timeout,
                        quiet=stack.manifest.settle.quiet)


async def _final_check(stack: Stack, flow: FlowRun) -> None:
    q = Q2C(stack, flow.tenant, stack.world(flow.tenant))
    try:
        flow.checked = time.time()
        flow.report = await q.check()
        flow.digest = _digest(q)
    finally:
        await q.aclose()


def _digest(q: Q2C) -> dict[str, dict[str, Any]]:
    """The business digest of the oracle's last snapshot of ``q``'s tenant."""
    snapshot = q.oracle.last_snapshot
    return {} if snapshot is None else business_digest(snapshot)


def changed_since(collected: Mapping[str, Any], since: float | None) -> bool:
    """Whether anything could have changed the tenant's state in the fakes since ``since``:
    a write by the SUT (the journal holds only its requests) or a webhook delivery (the
    SUT may act on it inside the delivery). Reads change nothing, and the harness makes no
    writes after a flow is through, so an oracle report taken before still holds."""
    if since is None:
        return True
    writes = (float(e["wall"]) for entries in (collected.get("journal") or {}).values()
              for e in entries if e.get("method") != "GET")
    deliveries = (float(e["wall"]) for entries in (collected.get("deliveries") or {}).values()
                  for e in entries)
    return any(t >= since for t in (*writes, *deliveries))


async def _bounded(jobs: Iterable[Callable[[], Awaitable[T]]], limit: int,
                   tick: Callable[[int], None] | None = None) -> list[T]:
    """Run ``jobs`` at most ``limit`` at a time; ``tick(n)`` after each one finishes."""
    sem = asyncio.Semaphore(limit)
    done = 0

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        nonlocal done
        async with sem:
            out = await job()
        done += 1
        if tick is not None:
            tick(done)
        return out

    return list(await asyncio.gather(*(one(j) for j in jobs)))


def retries(journal: Iterable[Mapping[str, Any]]) -> int:
    """Requests the SUT sent again after the same request (method, path, query,
    idempotency key, body digest, trace) was refused or hit by a fault (429, 5xx, reset,
    lost response)."""
    last: dict[tuple[Any, ...], bool] = {}
    count = 0
    for e in sorted(journal, key=lambda e: int(e["seq"])):
        key = (*fingerprint(e), e.get("trace_id"))
        if last.get(key):
            count += 1
        faults = [str(f) for f in e.get("faults") or []
                  if not any(str(f).endswith(k) for k in GATED)]
        status = int(e.get("status") or 0)
        last[key] = bool(faults) or status == 429 or status >= 500 or status == 0
    return count


async def _sut_stats(stack: Stack) -> dict[str, Any] | None:
    """The reference SUT's own counters (``GET /admin/stats``); None for other SUTs."""
    try:
        async with stack.async_client(SUT) as client:
            response = await client.get("/admin/stats", headers=stack.admin_headers())
        if response.status_code != 200:
            return None
        data: dict[str, Any] = response.json()
        return data
    except (httpx.HTTPError, ValueError):
        return None


async def _run(stack: Stack, opts: DemoOptions, progress: Progress) -> dict[str, Any]:
    started = time.time()
    provisioning = asyncio.Semaphore(max(1, opts.concurrency // 2))
    running = asyncio.Semaphore(opts.concurrency)
    counts = {"tenants": 0, "flows": 0}

    def tick(what: str) -> None:
        counts[what] += 1
        progress(counts["flows"], opts.deals,
                 f"quote-to-cash flows (tenants {counts['tenants']}/{opts.deals})")

    async def one(index: int) -> FlowRun:
        # Tenants are provisioned a few at a time ahead of the flows, which start as soon
        # as their tenant is ready: provisioning overlaps the flows' waits for webhooks.
        async with provisioning:
            tenant = await stack.anew_tenant(f"demo-{index + 1:03d}")
        tick("tenants")
        flow = FlowRun(index, ENTITIES[index % len(ENTITIES)], tenant)
        async with running:
            await _run_flow(stack, flow, opts)
        tick("flows")
        return flow

    flows = list(await asyncio.gather(*(one(i) for i in range(opts.deals))))
    flows_done = time.time()
    clients = {v: stack.async_client(v) for v in VENDORS}
    try:
        settled = await _settle(stack, clients, opts.settle_timeout)
        settled_at = time.time()
        collected = await _bounded([partial(stack.acollect, f.tenant, clients) for f in flows],
                                   opts.concurrency)
        collected_at = time.time()
        # The oracle again for every tenant that saw a write or a delivery after its last
        # check (a late duplicate, a write-back), or whose flow did not get through.
        again = [f for f, c in zip(flows, collected, strict=True)
                 if f.finished is None or changed_since(c, f.checked)]
        await _bounded([partial(_final_check, stack, f) for f in again], opts.concurrency)
        # What the re-checked tenants saw until now (the report's timelines and counts).
        recollected = await _bounded([partial(stack.acollect, f.tenant, clients)
                                      for f in again], opts.concurrency)
        fresh = dict(zip((f.index for f in again), recollected, strict=True))
        collected = [fresh.get(f.index, c) for f, c in zip(flows, collected, strict=True)]
    finally:
        for client in clients.values():
            await client.aclose()
    stats = await _sut_stats(stack)
    finished = time.time()
    tests = [_test_entry(f, c, opts) for f, c in zip(flows, collected, strict=True)]
    run = {"kind": "demo", "seed": opts.seed, "epoch": epochs.name(opts.epoch),
           "stack": stack.mode, "chaos": opts.chaos or "none",
           "sut": str(opts.manifest or reference_manifest_path()), "variant": opts.variant,
           "deals": opts.deals, "rerun": opts.rerun(), "urls": dict(stack.urls)}
    result = reporting.build_result(run, tests, started=started, finished=finished)
    result["demo"] = _summary(flows, tests, settled, stats, len(again), {
        "flows_s": round(flows_done - started, 2),
        "settle_and_check_s": round(finished - flows_done, 2),
        "settle_s": round(settled_at - flows_done, 2),
        "collect_s": round(collected_at - settled_at, 2),
        "oracle_s": round(finished - collected_at, 2),
        "total_s": round(finished - started, 2)})
    return result


def _window(events: list[dict[str, Any]], flow: FlowRun, tail: float = 1.0
            ) -> list[dict[str, Any]]:
    """The flow's own events: from its first CRM write until ``tail`` seconds after it was
    through (the tenant's catalog provisioning before, and the SUT's idle CRM polling
    after, are left out of its timeline; they stay in the JSON)."""
    start = flow.started
    end = (flow.finished if flow.finished is not None else float("inf")) + tail
    kept = [e for e in events if start <= float(e["t"]) <= end]
    kept.sort(key=lambda e: float(e["t"]))
    return kept


def _test_entry(flow: FlowRun, collected: Mapping[str, Any], opts: DemoOptions
                ) -> dict[str, Any]:
    violations = [reporting.violation_to_dict(v) for v in (flow.report.violations
                                                           if flow.report else [])]
    if flow.error:
        violations.append({"code": "NOT_HAPPENED", "severity": "revenue",
                           "message": flow.error, "objects": {}})
    events = _window(reporting.timeline_events(collected) + flow.notes, flow)
    outcome = "passed" if flow.finished is not None and not violations else "failed"
    return {"nodeid": flow.title, "scenario": "fintwin demo: quote-to-cash",
            "outcome": outcome, "duration_s": flow.latency or 0.0, "seed": opts.seed,
            **collected, "violations": violations,
            "flows": [{"name": flow.name, "events": events, "latency_s": flow.latency}],
            "notes": {"entity": flow.entity, "currency": flow.currency,
                      "oracle_counts": flow.report.counts if flow.report else {},
                      "business": flow.digest},
            **({"longrepr": flow.error} if flow.error else {})}


def _summary(flows: list[FlowRun], tests: list[dict[str, Any]], settled: Settled,
             stats: Mapping[str, Any] | None, rechecked: int, timings: Mapping[str, float]
             ) -> dict[str, Any]:
    faults: Counter[str] = reporting.fault_kinds(tests)
    duplicates = sum(1 for t in tests for entries in (t.get("deliveries") or {}).values()
                     for e in entries if int(e.get("copy") or 0) > 0 and e.get("ok"))
    retried = sum(retries(entries) for t in tests for entries in (t.get("journal") or {}
                                                                   ).values())
    severities: Counter[str] = Counter(str(v.get("severity")) for t in tests
                                       for v in t.get("violations") or [])
    inbox = (stats or {}).get("inbox") or {}
    finished = [f for f in flows if f.finished is not None]
    latencies = sorted(f.latency for f in finished if f.latency is not None)
    ok = settled.ok and len(finished) == len(flows) and not severities
    return {
        "flows": len(flows), "flows_through": len(finished),
        "flow_latency_s": reporting.summarise(tests)["flow_latency_s"] if latencies else {},
        "faults": dict(faults.most_common()), "faults_total": sum(faults.values()),
        "duplicate_deliveries": duplicates,
        "duplicates_absorbed": inbox.get("duplicates_absorbed", duplicates if ok else None),
        "retries": retried, "parked": inbox.get("parked", 0) if stats else None,
        "violations": {s: severities.get(s, 0) for s in reporting.SEVERITIES},
        "violation_codes": dict(Counter(str(v.get("code")) for t in tests
                                        for v in t.get("violations") or [])),
        "settled": settled.ok, "settle": settled.to_dict(), "ok": ok,
        "timings_s": dict(timings),
        "rechecked_after_settling": rechecked,
        "flows_per_second": round(len(flows) / max(timings["total_s"], 1e-9), 2),
    }


def run_demo(opts: DemoOptions) -> dict[str, Any]:
    """Run the demo; returns the result document (harness/report.py's, plus ``demo``:
    the summary) and writes the report files when ``opts.out`` is set."""
    if opts.stack not in STACKS:
        raise ValueError(f"--stack must be one of {', '.join(STACKS)}")
    progress = Progress(opts.progress)
    manifest = load_manifest(opts.manifest or reference_manifest_path())
    config = StackConfig(seed=opts.seed, epoch=opts.epoch, chaos=opts.chaos,
                         catalog_size=opts.catalog_size,
                         sut_options={"variant": opts.variant, "poll_seconds": "2"},
                         traffic=opts.traffic)
    stack = create_stack(opts.stack, manifest, config)
    progress(0, 1, f"starting {opts.stack} stack")
    with stack:
        progress(1, 1, f"starting {opts.stack} stack")
        result = run_sync(_run(stack, opts, progress))
    if opts.out is not None:
        json_path, html_path = reporting.write_report(opts.out, result)
        result["demo"]["report"] = {"json": str(json_path), "html": str(html_path)}
    return result


def format_summary(result: Mapping[str, Any]) -> str:
    run, demo = result["run"], result["demo"]
    t = demo["timings_s"]
    lat = demo.get("flow_latency_s") or {}
    rows: list[tuple[str, Any]] = [
        ("flows (close-won deals)", f"{demo['flows_through']}/{demo['flows']} through"),
        ("wall time (s)", f"{t['total_s']} (tenants + flows {t['flows_s']}, settle "
                          f"{t['settle_s']}, fault logs and journals {t['collect_s']}, "
                          f"oracle {t['oracle_s']})"),
        ("flows per second", demo["flows_per_second"]),
        ("flow latency p50 / p95 (s)", f"{lat.get('p50', '-')} / {lat.get('p95', '-')}"),
        ("faults injected", demo["faults_total"]),
        *((f"  {kind}", n) for kind, n in demo["faults"].items()),
        ("duplicate deliveries", demo["duplicate_deliveries"]),
        ("duplicates absorbed (SUT inbox)" if demo["parked"] is not None
         else "duplicates absorbed", demo["duplicates_absorbed"]),
        ("retries (from the journals)", demo["retries"]),
        ("events parked (DLQ)", demo["parked"] if demo["parked"] is not None else "-"),
        ("oracle re-checks after settling", f"{demo['rechecked_after_settling']} (tenants "
                                             "with a write or delivery after their check)"),
        ("settled", (demo.get("settle") or {}).get("describe", demo["settled"])),
        ("violations", sum(demo["violations"].values())),
        *((f"  {sev}", n) for sev, n in demo["violations"].items() if n),
    ]
    lines = [f"\nfintwin demo: seed {run['seed']}, epoch {run['epoch']}, {run['stack']} stack, "
             f"chaos {run['chaos']}, "
             f"SUT {run['variant']}"]
    lines += [f"  {label:<30} {value}" for label, value in rows]
    shown = 0
    for test in result["tests"]:
        for v in test.get("violations") or []:
            if shown < 10:
                lines.append(f"  ! [{v['severity']}] {v['code']}: {v['message'][:160]} "
                             f"({test['nodeid']})")
            shown += 1
    verdict = "PASS" if demo["ok"] else "FAIL"
    lines.append(f"\n{verdict}. rerun: {run['rerun']}")
    report = demo.get("report")
    if report:
        lines.append(f"HTML report: {report['html']}\nJSON result: {report['json']}")
    return "\n".join(lines)


def main(opts: DemoOptions) -> int:
    result = run_demo(opts)
    print(format_summary(result))
    return 0 if result["demo"]["ok"] else 1
