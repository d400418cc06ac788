"""Locust through its library API, for ``fintwin load``: one local runner, or a master
with ``--workers`` local worker processes (plain ``locust --worker``, as on any other
machine) and ``--remote-workers`` more that connect by themselves.

    python -m loadtests.run loadtests/q2c.py --stack out/stack.json --users 20 \
        --spawn-rate 5 --run-time 60 --out out/ [--workers 2 --master-port 5557]

It writes Locust's CSV (``locust_stats.csv``, ``locust_stats_history.csv``, failures,
exceptions), its HTML report (``locust-report.html``), the flow samples
(``flows.jsonl``) and ``locust-summary.json``. The run ends at ``--run-time`` (seconds;
0: when every user has stopped by itself), then each process follows its users' flows
to the end before the totals are taken. Run by ``fintwin load`` in a process of its own:
Locust monkey-patches everything with gevent on import.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from locust import argument_parser, events
from locust.env import Environment
from locust.html import get_html_report
from locust.runners import STATE_SPAWNING, MasterRunner, Runner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter, stats_history
from locust.util.load_locustfile import load_locustfile

from loadtests.kit import flows

CSV_PREFIX = "locust"
HTML = "locust-report.html"
SUMMARY = "locust-summary.json"
WORKER_TIMEOUT = 60.0  # seconds to wait for local workers to connect
REMOTE_WORKER_TIMEOUT = 600.0  # and for workers someone starts on other machines
# A user finishing the deal it is creating when the run ends. A worker also waits this
# long after a stop before it reads its next message (Locust's WorkerRunner).
STOP_TIMEOUT = 15.0


def _options(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m loadtests.run")
    p.add_argument("locustfile")
    p.add_argument("--stack", required=True)
    p.add_argument("--users", type=int, default=10)
    p.add_argument("--spawn-rate", type=float, default=5.0)
    p.add_argument("--run-time", type=float, default=60.0,
                   help="seconds; 0: until every user has stopped by itself")
    p.add_argument("--out", required=True)
    p.add_argument("--workers", type=int, default=0, help="local worker processes")
    p.add_argument("--remote-workers", type=int, default=0,
                   help="more workers to wait for (started on other machines)")
    p.add_argument("--master-bind", default="127.0.0.1")
    p.add_argument("--master-port", type=int, default=5557)
    return p.parse_args(argv)


def _locust_options(args: argparse.Namespace, distributed: bool) -> Any:
    argv = ["-f", args.locustfile, "--headless", "-u", str(args.users), "-r",
            str(args.spawn_rate), "--fintwin-stack", args.stack, "--stop-timeout",
            str(int(STOP_TIMEOUT))]
    if distributed:
        argv += ["--master", "--expect-workers", str(args.workers + args.remote_workers),
                 "--master-bind-host", args.master_bind, "--master-bind-port",
                 str(args.master_port)]
    return argument_parser.get_parser().parse_args(args=argv)


def _start_workers(args: argparse.Namespace, out: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for n in range(args.workers):
        log = (out / f"locust-worker-{n + 1}.log").open("wb")
        argv = [sys.executable, "-m", "locust", "-f", args.locustfile, "--worker",
                "--master-host", "127.0.0.1", "--master-port", str(args.master_port)]
        procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=dict(os.environ)))
    return procs


def _wait_workers(runner: MasterRunner, args: argparse.Namespace,
                  procs: list[subprocess.Popen[bytes]]) -> None:
    expected = args.workers + args.remote_workers
    if args.remote_workers:
        print(f"waiting for {args.remote_workers} remote Locust workers: on each machine, "
              f"tunnel to the fakes and to port {args.master_port}, then run\n"
              f"  FINTWIN_LOAD_STACK=<copy of {args.stack}> locust -f {args.locustfile} "
              f"--worker --master-host 127.0.0.1 --master-port {args.master_port}\n"
              "(docs/load.md, 'Distributed load')", file=sys.stderr, flush=True)
    deadline = time.monotonic() + (REMOTE_WORKER_TIMEOUT if args.remote_workers
                                   else WORKER_TIMEOUT)
    while len(runner.clients.ready) < expected:
        dead = [p.args for p in procs if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            raise SystemExit(f"loadtests.run: {len(runner.clients.ready)} of {expected} "
                             f"workers connected (exited: {dead})")
        gevent.sleep(0.2)


def _run(runner: Runner, args: argparse.Namespace) -> float:
    """Start the users; return when the run time is up or every user has stopped."""
    started = time.time()
    runner.start(args.users, args.spawn_rate, wait=False)
    gevent.sleep(1.0)
    last = 0.0
    while True:
        now = time.time()
        if args.run_time and now - started >= args.run_time:
            break
        if not args.run_time and runner.state != STATE_SPAWNING and runner.user_count == 0:
            break
        if now - last >= 10:
            last = now
            done = sum(1 for s in flows.LOG.samples if s["ok"])
            print(f"  {now - started:5.0f} s  users {runner.user_count:4d}  flows measured "
                  f"{done}  requests {runner.stats.total.num_requests}", file=sys.stderr,
                  flush=True)
        gevent.sleep(0.5)
    return time.time()


def _settle_master(runner: MasterRunner) -> None:
    """After stop: wait until every worker has reported that it follows no flow."""
    deadline = time.monotonic() + flows.DRAIN_TIMEOUT + 30
    while time.monotonic() < deadline:
        reported = len(flows.LOG.pending) >= len(runner.clients)
        if reported and flows.LOG.still_following() == 0:
            return
        gevent.sleep(0.5)


def _end(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _totals(runner: Runner) -> dict[str, Any]:
    out = {}
    for (name, method), entry in runner.stats.entries.items():
        out[f"{method} {name}"] = {
            "type": method, "name": name, "requests": entry.num_requests,
            "failures": entry.num_failures, "median_ms": entry.median_response_time,
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "avg_ms": round(entry.avg_response_time, 1), "rps": round(entry.total_rps, 3)}
    return out


def main(argv: list[str] | None = None) -> int:
    args = _options(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("FINTWIN_LOAD_STACK", args.stack)
    user_classes, _ = load_locustfile(args.locustfile)
    distributed = args.workers + args.remote_workers > 0
    options = _locust_options(args, distributed)
    env = Environment(user_classes=list(user_classes.values()), events=events,
                      parsed_options=options, locustfile=args.locustfile,
                      stop_timeout=STOP_TIMEOUT)
    runner: Runner = (env.create_master_runner(args.master_bind, args.master_port)
                      if distributed else env.create_local_runner())
    events.init.fire(environment=env, runner=runner, web_ui=None)
    flows.LOG.path = str(out / "flows.jsonl")
    csv = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, str(out / CSV_PREFIX), True)
    writer = gevent.spawn(csv.stats_writer)
    gevent.spawn(stats_history, runner)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if isinstance(runner, MasterRunner):
            procs = _start_workers(args, out)
            _wait_workers(runner, args, procs)
        started = time.time()
        stopped = _run(runner, args)
        runner.stop()  # local: users stop, then every flow they started is followed out
        if isinstance(runner, MasterRunner):
            _settle_master(runner)
        drained = time.time()
        runner.quit()
        # Every worker has shipped its last flows and stats (it said it follows none);
        # a local one need not sit out its post-stop wait (STOP_TIMEOUT) to read "quit".
        _end(procs)
        gevent.sleep(1.5)  # the CSV writer's last pass (every second)
    finally:
        _end(procs)
    writer.kill()
    csv.close_files()
    (out / HTML).write_text(get_html_report(env, show_download_link=False), encoding="utf-8")
    flows.LOG.write()
    summary = {"started": started, "stopped": stopped, "drained": drained,
               "users": args.users, "spawn_rate": args.spawn_rate, "run_time": args.run_time,
               "workers": args.workers, "remote_workers": args.remote_workers,
               "flows": len(flows.LOG.samples), "still_following": flows.LOG.still_following(),
               "totals": _totals(runner)}
    (out / SUMMARY).write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
