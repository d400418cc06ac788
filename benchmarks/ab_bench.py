"""CPU per customer create of two source trees, served side by side.

    .venv/bin/python benchmarks/ab_bench.py REV [--against REV2] [--rounds 60] [--seconds 0.5]

Checks REV out in a temporary git worktree (REV2 too, else the working tree is
the other side), serves the billing fake from each (benchmarks/serve.py,
uvicorn, one process each, both up at once) and loads them with customer
creates in alternating rounds, swapping the order every round: both see the
same background load, so on a noisy shared host a few percent between two
commits shows where billing_bench.py's ratios swing by more. Prints each side's
server CPU time per create (from /proc) and its req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.billing_bench import FORM, cpu_seconds, free_port, stop
from benchmarks.loadgen import request, run

ROOT = Path(__file__).resolve().parent.parent


def serve(tree: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(tree / "benchmarks" / "serve.py"), "billing",
                             str(port), "0", "uvicorn"], cwd=tree,
                            env=dict(os.environ, PYTHONPATH=str(tree)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_sim/health", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"the fake from {tree} did not start")


def compare(trees: dict[str, Path], rounds: int, seconds: float) -> None:
    servers = {name: serve(tree) for name, tree in trees.items()}
    stamp, keys = time.time_ns(), itertools.count()

    def make(n: int) -> bytes:
        return request("POST", "/v1/customers", {
            "Authorization": "Bearer sk_test_benchmark_key",
            "Idempotency-Key": f"ab-{stamp}-{next(keys)}"}, FORM)

    used = {name: [0.0, 0] for name in trees}
    try:
        names = list(trees)
        for r in range(rounds):
            for name in names if r % 2 == 0 else names[::-1]:
                proc, port = servers[name]
                before = cpu_seconds(proc.pid)
                result = asyncio.run(run("127.0.0.1", port, make, seconds=seconds))
                used[name][0] += cpu_seconds(proc.pid) - before
                used[name][1] += result.requests
    finally:
        for proc, _ in servers.values():
            stop(proc)
    base = None
    for name, (cpu, n) in used.items():
        us = cpu / max(n, 1) * 1e6
        ratio = f"  ({us / base - 1:+.1%} CPU per create)" if base else ""
        base = base or us
        print(f"  {name:<24} {us:7.1f} us CPU per create  {n / (rounds * seconds):7.0f} "
              f"req/s  ({n} creates){ratio}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rev", help="a git revision (the baseline)")
    parser.add_argument("--against", help="another revision (default: the working tree)")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees: dict[str, Path] = {}
        added: list[Path] = []
        for rev in [args.rev, args.against]:
            if rev is None:
                trees["working tree"] = ROOT
                continue
            path = Path(tmp) / f"tree{len(added)}"
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(path), rev],
                           cwd=ROOT, check=True)
            added.append(path)
            trees[rev] = path
        try:
            compare(trees, args.rounds, args.seconds)
        finally:
            for path in added:
                subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                               check=False)


if __name__ == "__main__":
    main()
