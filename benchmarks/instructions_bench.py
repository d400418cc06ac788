"""Instructions per request in process, counted by valgrind (callgrind): the billing fake vs bare.

    .venv/bin/python benchmarks/instructions_bench.py [--requests 1500] [OP ...]

OPs: bare-get, bare-post, get, create, replay (default: all). Each figure is the
difference between two runs under callgrind, one making N requests and one
making none, divided by N: start-up cancels out. Unlike time, an instruction
count does not depend on what else the machine is doing, so two commits can
be compared to a fraction of a percent on a shared host. What it cannot see
is what a request costs beyond instructions (cache misses, page faults, the
kernel): billing_bench.py measures that, noisily. Needs valgrind on PATH;
takes about half a minute per OP.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

OPS = {"bare-get": "bare GET", "bare-post": "bare POST", "get": "get", "create": "create",
       "replay": "replay"}
BASELINE = {"get": "bare-get", "create": "bare-post", "replay": "bare-post"}


def child(op: str, n: int) -> None:
    """Run inside callgrind: make ``n`` requests (after 300 to warm up) and exit."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.inprocess_bench import loop, makers
    from simulators.engine.server import tune_gc

    bare_app, fake, make = makers()
    tune_gc()  # as a served fake runs
    app = bare_app if op.startswith("bare") else fake
    asyncio.run(loop(app, make[OPS[op]], 300 + n, itertools.count()))


def collected(op: str, n: int) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         __file__, "--child", op, str(n)], capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("ops", nargs="*", metavar="OP", help=", ".join(OPS))
    args = parser.parse_args()
    args.ops = args.ops or list(OPS)
    unknown = set(args.ops) - set(OPS)
    if unknown:
        parser.error(f"unknown OP {sorted(unknown)}: choose from {', '.join(OPS)}")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    figures: dict[str, float] = {}
    for op in args.ops:
        figures[op] = (collected(op, args.requests) - collected(op, 0)) / args.requests
        base = BASELINE.get(op)
        ratio = f"  ({figures[op] / figures[base]:.2f}x {base})" if base in figures else ""
        print(f"  {op:<10} {figures[op] / 1000:8.1f}k instructions/request{ratio}", flush=True)


if __name__ == "__main__":
    main()
