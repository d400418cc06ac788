"""Business capacity of the reference integration layer under Locust, through
``fintwin load`` (the stack as local processes, Locust in its own process).

    .venv/bin/python benchmarks/load_bench.py [--users 20] [--duration 60s] \
        [--renewals 2000] [--skip-month-end] [--out .fintwin/load-bench]

Printed, not asserted. Three runs:

- q2c with limits off: the SUT's own ceiling on this machine, in flows per minute through
  (close-won to ERP invoice posted and payment applied), with latency percentiles;
- q2c with production limits (Stripe live, Salesforce Enterprise, NetSuite premium tier),
  the same users: flows per minute as a share of the ceiling those limits allow with the
  SUT's calls per flow (the cutover report's own figure);
- month-end: ``--renewals`` subscriptions renewing at one instant: time until every one is
  posted and paid in the ERP, peak ERP concurrency against the enforced limit, violations.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def run(out: Path, *args: str) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    argv = [sys.executable, "-m", "harness.cli", "load", "--out", str(out), *args]
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wall = time.monotonic() - started
    report = out / "cutover-report.json"
    if not report.is_file():
        sys.exit(f"{' '.join(argv)} wrote no report (exit {proc.returncode}):\n"
                 f"{proc.stderr[-3000:]}")
    return json.loads(report.read_text()), wall


def q2c_line(label: str, r: dict[str, Any], wall: float) -> str:
    flows = r["flows"]
    paid = flows["names"].get(flows["primary"], {})
    ceiling = r["limits"]["fit"].get("ceiling") or {}
    binding = ceiling.get("binding") or {}
    share = (f"  = {flows['per_min'] / binding['flows_per_min'] * 100:.1f} % of the "
             f"{binding['flows_per_min']:g} flows/min production limits allow "
             f"(bound by {binding['vendor']})" if binding and flows["per_min"] else "")
    throttled = ", ".join(f"{v} {s['throttled_429']}" for v, s in r["vendors"].items())
    return (f"q2c {label:<18} {flows['per_min']:7.1f} flows/min through ({flows['through']} "
            f"flows, {flows['failed']} failed)  latency p50 {paid.get('p50_s')} s p95 "
            f"{paid.get('p95_s')} s p99 {paid.get('p99_s')} s  429s {throttled}  violations "
            f"{r['oracle']['violations']}  [{wall:.0f} s]{share}\n"
            f"    calls per flow {ceiling.get('calls_per_flow')}")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--duration", default="60s")
    p.add_argument("--renewals", type=int, default=2000)
    p.add_argument("--skip-month-end", action="store_true")
    p.add_argument("--out", type=Path, default=Path(".fintwin/load-bench"))
    args = p.parse_args()
    common = ("--scenario", "q2c", "--users", str(args.users), "--duration", args.duration)
    off, wall = run(args.out / "q2c-none", *common, "--limits", "none")
    print(q2c_line("limits none", off, wall), flush=True)
    prod, wall = run(args.out / "q2c-production", *common, "--limits", "production")
    print(q2c_line("limits production", prod, wall), flush=True)
    if not args.skip_month_end:
        me, wall = run(args.out / "month-end", "--scenario", "month-end", "--renewals",
                       str(args.renewals))
        m = me["month_end"]
        print(f"month-end {m['renewals']} renewals: {m['paid']}/{m['renewals']} posted and "
              f"paid, time to drain {m['time_to_drain_s']} s ({m['renewals_per_min']} "
              f"renewals/min), peak ERP concurrency {m['peak_erp_concurrency']}/"
              f"{m['erp_limit']}, ERP 429s {m['erp_429']}, violations "
              f"{me['oracle']['violations']}, verdict {'PASS' if me['verdict']['ok'] else 'FAIL'}"
              f"  [book sold in {m['setup_s']:.0f} s, {wall:.0f} s in all]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
