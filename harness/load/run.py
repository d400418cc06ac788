"""``fintwin load``: a Locust load test of the SUT through the fakes, and the cutover
report.

1. The stack as local processes (each fake a ``fintwin sim`` on a loopback port, the CRM
   over TLS, the SUT from its manifest): Locust's processes reach the fakes over HTTP.
2. Tenants provisioned by the harness (for the month-end, its book of subscriptions sold
   through the SUT), the vendor limit profile put on the fakes, and the stack file
   written for the Locust processes.
3. Locust headless through its library API in a process of its own (``python -m
   loadtests.run``; gevent never enters this process), local or a master with workers,
   while the SUT's backlog and the fakes' outboxes are sampled.
4. When the users are done: wait until the SUT has drained, read each tenant's request
   journals, run the oracle on every tenant, and write the cutover report.

With ``--serve`` step 3 is yours: the stack stays up for ``locust -f loadtests/<file>``
(web UI) until Ctrl-C, then step 4 runs on what Locust logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import loadtests
from harness import epoch as epochs
from harness.load import setup
from harness.load.analysis import analyse
from harness.load.profiles import LimitProfile, production, profile
from harness.load.report import RESULTS, format_summary, write_report
from harness.load.sampler import Sampler
from harness.load.stackfile import LoadStack
from harness.manifest import VENDORS, load_manifest, reference_manifest_path
from harness.oracle import Oracle, Report
from harness.stack import Stack, StackConfig, Tenant, create_stack, free_port, run_sync

SCENARIOS = {"q2c": "q2c.py", "month-end": "month_end.py", "fakes": "fakes.py"}
LOADTESTS = Path(loadtests.__file__).parent
DEFAULT_OUT = Path(".fintwin/load")


@dataclass(frozen=True)
class LoadOptions:
    scenario: str = "q2c"
    users: int = 10
    spawn_rate: float = 5.0
    duration: float = 60.0  # seconds of load (month-end: 0, until every renewal is in)
    target_flows_per_min: float | None = None
    limits: str = "sandbox"
    erp_tier: str = "premium"  # the production profile's NetSuite service tier
    suitecloud_plus: int = 0
    crm_licences: int = 0
    workers: int = 0
    remote_workers: int = 0
    master_port: int = 0  # 0: a free port
    out: Path = DEFAULT_OUT
    seed: int = 1
    tenants: int = 1
    renewals: int = 2000  # month-end: subscriptions that renew at once, per tenant
    deals_per_user: int | None = None  # q2c: each rep closes this many deals, then stops
    flow_timeout: float = 120.0
    drain_timeout: float = 600.0
    sut: Path | None = None  # a SUT manifest (default: the reference's)
    serve: bool = False
    service_time: float = 0.0  # the fakes' modelled service time (1: the vendors' pace)
    epoch: float = field(default_factory=epochs.resolve)  # business time starts here

    def rerun(self) -> str:
        argv = ["fintwin", "load", "--scenario", self.scenario, "--users", str(self.users),
                "--spawn-rate", f"{self.spawn_rate:g}", "--duration", f"{self.duration:g}s",
                "--limits", self.limits, "--seed", str(self.seed), "--epoch",
                epochs.name(self.epoch), "--tenants", str(self.tenants)]
        if self.target_flows_per_min:
            argv += ["--target-flows-per-min", f"{self.target_flows_per_min:g}"]
        if self.workers:
            argv += ["--workers", str(self.workers)]
        if self.remote_workers:
            argv += ["--remote-workers", str(self.remote_workers)]
        if self.scenario == "month-end":
            argv += ["--renewals", str(self.renewals)]
        if self.deals_per_user:
            argv += ["--deals-per-user", str(self.deals_per_user)]
        if self.limits == "production":
            argv += ["--erp-tier", self.erp_tier]
        if self.service_time:
            argv += ["--service-time", f"{self.service_time:g}"]
        if self.serve:
            argv.append("--serve")
        return shlex.join(argv)

    def profile(self) -> LimitProfile:
        if self.limits == "production":
            return self.production()
        return profile(self.limits)

    def production(self) -> LimitProfile:
        return production(self.erp_tier, self.suitecloud_plus, self.crm_licences)


def _settings(opts: LoadOptions, books: list[setup.Book]) -> dict[str, Any]:
    if opts.scenario == "q2c":
        pace = opts.users * 60.0 / opts.target_flows_per_min if opts.target_flows_per_min \
            else 0.0
        return {"pace_s": pace, "deals_per_user": opts.deals_per_user,
                "flow_timeout": opts.flow_timeout, "poll_s": 0.2}
    if opts.scenario == "month-end":
        return {"books": {b.tenant: {"subscriptions": b.subscriptions,
                                     "renews_at": b.renews_at, "advance_to": b.advance_to}
                          for b in books},
                "timeout": opts.drain_timeout, "poll_s": 0.5}
    return {"mix": "default"}


async def _oracle(stack: Stack, tenant: Tenant) -> Report:
    oracle = Oracle(stack.world(tenant))
    try:
        return await oracle.check()
    finally:
        await oracle.aclose()


async def _collect(stack: Stack, tenants: list[Tenant]) -> list[dict[str, Any]]:
    clients = {v: stack.async_client(v, timeout=120.0) for v in VENDORS}
    try:
        return [await stack.acollect(t, clients) for t in tenants]
    finally:
        for client in clients.values():
            await client.aclose()


async def _locust(opts: LoadOptions, stack_file: Path, out: Path) -> int:
    """Run ``python -m loadtests.run`` and wait for it (its progress goes to stderr)."""
    argv = [sys.executable, "-m", "loadtests.run", str(LOADTESTS / SCENARIOS[opts.scenario]),
            "--stack", str(stack_file), "--users", str(opts.users), "--spawn-rate",
            f"{opts.spawn_rate:g}", "--run-time", f"{opts.duration:g}", "--out", str(out),
            "--workers", str(opts.workers), "--remote-workers", str(opts.remote_workers),
            "--master-port", str(opts.master_port or free_port())]
    proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL)
    try:
        return await proc.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        await proc.wait()
        raise


async def _held(stack_file: Path, opts: LoadOptions) -> None:
    """``--serve``: wait for Ctrl-C while the user runs Locust themselves."""
    file = LOADTESTS / SCENARIOS[opts.scenario]
    print(f"\nThe stack is up. Run Locust against it, e.g.:\n"
          f"  locust -f {file} --fintwin-stack {stack_file}\n"
          f"(web UI on http://127.0.0.1:8089). Press Ctrl-C here when done: the SUT is "
          f"drained, the oracle runs and the cutover report is written.\n", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        await stop.wait()
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def _run(stack: Stack, opts: LoadOptions, out: Path) -> dict[str, Any]:
    enforced = opts.profile()
    # Wall time, not monotonic: these instants are lined up with the flows' timestamps
    # that Locust workers write in other processes (and on other machines with
    # --remote-workers). Transport timing only; no business date comes from them.
    started = time.time()
    setup.say(f"provisioning {opts.tenants} tenant(s)")
    tenants = await setup.provision(stack, opts.tenants, f"load-{opts.scenario}")
    books: list[setup.Book] = []
    if opts.scenario == "fakes":
        for tenant in tenants:
            await setup.unwire(stack, tenant)
    if opts.scenario == "month-end":
        await asyncio.to_thread(setup.apply_limits, stack, profile("none"), tenants)
        for tenant in tenants:
            setup.say(f"selling {tenant.label}'s book of {opts.renewals} subscriptions "
                      "through the SUT (setup, not measured)")
            books.append(await setup.sell_book(stack, tenant, opts.renewals, opts.epoch,
                                               progress=_progress(opts.renewals)))
    await asyncio.to_thread(setup.apply_limits, stack, enforced, tenants)
    stack_file = LoadStack(
        scenario=opts.scenario, seed=opts.seed, epoch=opts.epoch, urls=dict(stack.urls),
        tenants=tuple(setup.load_tenant(t) for t in tenants),
        ca_bundle=str(stack.ca_bundle) if stack.ca_bundle else None,
        ca_pem=stack.ca_bundle.read_text() if stack.ca_bundle else None,
        observer=stack.observer_headers()["X-Fintwin-Observer"],
        admin_token=stack.sim_admin_token, flows_file=str(out / "flows.jsonl"),
        settings=_settings(opts, books)).write(out / "stack.json")
    sampler = Sampler(stack)
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    load_started = time.time()
    if opts.serve:
        await _held(stack_file, opts)
        code = 0
    else:
        setup.say(f"running Locust: {opts.scenario}, {opts.users} users"
                  + (f", {opts.workers} workers" if opts.workers else ""))
        code = await _locust(opts, stack_file, out)
    load_stopped = time.time()
    stop.set()
    await sampling
    setup.say("waiting for the SUT to drain")
    settled = await sampler.drained(opts.drain_timeout)
    drained = time.time() if settled.ok else None
    setup.say("reading the journals and running the oracle on every tenant")
    collected = await _collect(stack, tenants)
    # The fakes scenario's tenants are not wired to the SUT: there is nothing to check.
    reports = [] if opts.scenario == "fakes" else [await _oracle(stack, t) for t in tenants]
    return analyse(opts=opts, enforced=enforced, production=opts.production(),
                   tenants=tenants, collected=collected, reports=reports,
                   samples=sampler.samples, settled=settled,
                   out=out, books=books, times={
                       "started": started, "load_started": load_started,
                       "load_stopped": load_stopped, "drained": drained,
                       "finished": time.time()}, locust_exit=code)


def _progress(total: int) -> Any:
    step = max(1, total // 10)

    def tick(done: int, _: int) -> None:
        if done % step == 0 or done == total:
            setup.say(f"  book: {done}/{total} deals closed")

    return tick


def run_load(opts: LoadOptions) -> dict[str, Any]:
    """Run one load test; returns the cutover result (also written to ``opts.out``)."""
    if opts.scenario not in SCENARIOS:
        raise ValueError(f"--scenario must be one of {', '.join(SCENARIOS)}")
    out = opts.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # Nothing of an earlier run may leak into this one: not its SUT database (the same
    # seed gives the same tenants), not its flow samples or reports.
    shutil.rmtree(out / "stack", ignore_errors=True)
    for stale in (*RESULTS, "flows.jsonl", "locust-summary.json", "stack.json"):
        (out / stale).unlink(missing_ok=True)
    manifest = load_manifest(opts.sut or reference_manifest_path())
    config = StackConfig(seed=opts.seed, epoch=opts.epoch, run_dir=out / "stack", catalog_size=3,
                         sut_options={"poll_seconds": "2"}, service_time=opts.service_time)
    stack = create_stack("local", manifest, config)
    setup.say(f"starting the stack (local processes) in {out / 'stack'}")
    with stack:
        result = run_sync(_run(stack, opts, out))
    result["files"] = write_report(out, result)
    return result


def main(opts: LoadOptions) -> int:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    result = run_load(opts)
    print(format_summary(result))
    return 0 if result["verdict"]["ok"] else 1
