"""Instructions per request in process, counted by valgrind (callgrind): the billing fake vs bare.

    .venv/bin/python benchmarks/instructions_bench.py [--requests 1500] [OP ...]
    .venv/bin/python benchmarks/instructions_bench.py --server [--requests 4000]

OPs: bare-get, bare-post, get, create, replay (default: all). Each figure is the
difference between two runs under callgrind, one making N requests and one
making none, divided by N: start-up cancels out. Unlike time, an instruction
count does not depend on what else the machine is doing, so two commits can
be compared to a fraction of a percent on a shared host. What it cannot see
is what a request costs beyond instructions (cache misses, page faults, the
kernel): billing_bench.py measures that, noisily. Needs valgrind on PATH;
takes about half a minute per OP.

``--server`` counts inside the server instead: the bare app and the billing
fake each served by ``benchmarks/serve.py`` (uvicorn, as ``fintwin sim``) under
callgrind, counters zeroed after 300 warm-up requests, then N bare POSTs or
customer creates over 8 keep-alive connections; uvicorn's own work is included.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent

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


async def _drive(port: int, kind: str, n: int, connections: int = 8) -> None:
    sys.path.insert(0, str(HERE.parent))
    from benchmarks.loadgen import request

    stamp, keys = time.time_ns(), itertools.count()
    auth = {"Authorization": "Bearer sk_test_benchmark_key"}
    form = b"name=Acme&email=ap%40acme.test"

    def make() -> bytes:
        # the same headers for both (billing_bench.bare_makers)
        headers = {**auth, "Idempotency-Key": f"ib-{stamp}-{next(keys)}"}
        return request("POST", "/hello" if kind == "bare" else "/v1/customers", headers, form)

    async def conn(count: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(count):
            writer.write(make())
            head = await reader.readuntil(b"\r\n\r\n")
            assert head[9:12] == b"200", head
            length = next(int(line[15:]) for line in head.split(b"\r\n")
                          if line[:15].lower() == b"content-length:")
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(conn(n // connections) for _ in range(connections)))


def served(kind: str, n: int) -> float:
    """Instructions per request inside the server process (uvicorn included)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             str(HERE / "serve.py"), kind, str(port), "0", "uvicorn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            path = "/hello" if kind == "bare" else "/_sim/health"
            deadline = time.monotonic() + 300  # start-up is ~50x slower under valgrind
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"{kind} did not start under valgrind") from None
                    time.sleep(0.5)
            asyncio.run(_drive(port, kind, 300))
            subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True,
                           capture_output=True)
            asyncio.run(_drive(port, kind, n))
            subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True,
                           capture_output=True)
            dumps = sorted(Path(tmp).glob("callgrind.out*"), key=lambda f: f.stat().st_mtime)
            text = dumps[-1].read_text(errors="replace")
        finally:
            proc.terminate()
            proc.wait()
    found = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    if found is None:
        raise RuntimeError("no totals in the callgrind dump")
    return int(found.group(1)) / n


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("ops", nargs="*", metavar="OP", help=", ".join(OPS))
    parser.add_argument("--server", action="store_true",
                        help="count inside uvicorn: bare POST vs customer create")
    args = parser.parse_args()
    args.ops = args.ops or list(OPS)
    unknown = set(args.ops) - set(OPS)
    if unknown:
        parser.error(f"unknown OP {sorted(unknown)}: choose from {', '.join(OPS)}")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    if args.server:
        n = args.requests if args.requests != 1500 else 4000
        bare = served("bare", n)
        print(f"  bare POST   {bare / 1000:8.1f}k instructions/request (server)", flush=True)
        create = served("billing", n)
        print(f"  create      {create / 1000:8.1f}k instructions/request (server)  "
              f"({create / bare:.2f}x bare POST, which is {bare / create:.0%} of it)")
        return
    figures: dict[str, float] = {}
    for op in args.ops:
        figures[op] = (collected(op, args.requests) - collected(op, 0)) / args.requests
        base = BASELINE.get(op)
        ratio = f"  ({figures[op] / figures[base]:.2f}x {base})" if base in figures else ""
        print(f"  {op:<10} {figures[op] / 1000:8.1f}k instructions/request{ratio}", flush=True)


if __name__ == "__main__":
    main()
