"""Billing fake throughput and latency against a bare Starlette app on the same stack.

    .venv/bin/python benchmarks/billing_bench.py [--seconds 3] [--preload 0,100000,500000]
                                                 [--server uvicorn] [--rounds 6]

Starts the bare app and the fake as separate processes on the same server
stack (uvicorn + uvloop + httptools by default, as `fintwin sim` serves),
loads them from this process over 16 loopback keep-alive connections (the
bare app gets the same request headers as the fake, see bare_makers), and
prints req/s, p50 and p99 with ratios to the bare app. The bare app and the
fake are loaded in short alternating rounds (``--rounds``), so both see the
same background load of the machine and the ratio stays fair on a busy host.
It then prints each server's own CPU time per request (from /proc), which a
busy machine disturbs far less than req/s. RSS per customer is the preloaded
fake's RSS minus an empty fake's, over the preloaded customers (each stored
with its customer.created event).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.loadgen import Result, interleave, request, run

KEY = "sk_test_benchmark_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
FORM = b"name=Acme&email=ap%40acme.test"
Maker = Callable[[int], bytes]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(kind: str, preload: int = 0, server: str = "uvicorn"
          ) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    here = Path(__file__).resolve().parent
    proc = subprocess.Popen([sys.executable, str(here / "serve.py"), kind, str(port),
                             str(preload), server], cwd=here.parent)
    deadline = time.monotonic() + 900
    path = "/hello" if kind == "bare" else "/_sim/health"
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{kind} server ({server}) did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def figure(r: Result) -> str:
    errors = {k: v for k, v in r.statuses.items() if k >= 400}
    return (f"{r.rps:7.0f} req/s  p50 {r.pct(0.5):5.2f} ms  p99 {r.pct(0.99):6.2f} ms"
            + (f"  errors {errors}" if errors else ""))


def show(name: str, r: Result, base: Result | None) -> None:
    """One figure with its ratio to a baseline (crm_bench and erp_bench print with this)."""
    ratio = f"{r.rps / base.rps:6.0%}" if base else "     -"
    errors = {k: v for k, v in r.statuses.items() if k >= 400}
    print(f"  {name:<34} {r.rps:9.0f} req/s  p50 {r.pct(0.5):6.2f} ms  "
          f"p99 {r.pct(0.99):6.2f} ms  vs bare {ratio}" + (f"  errors {errors}" if errors
                                                              else ""))


def show_pair(name: str, r: Result, base_name: str, base: Result) -> None:
    print(f"  {name:<30} {figure(r)}   | {base_name:<11} {figure(base)}  | "
          f"{r.rps / base.rps:4.0%} of bare")


def bare_makers() -> dict[str, Maker]:
    """The bare app's requests carry the headers the fake's do (the same API key, and for
    a POST a new Idempotency-Key of the same length), so that parsing them is the stack's
    cost on both sides and the ratio is what the fake adds."""
    stamp = time.time_ns()
    keys = itertools.count(1)
    return {"get": lambda n: request("GET", "/hello", AUTH),
            "post": lambda n: request("POST", "/hello",
                                      {**AUTH, "Idempotency-Key": f"bench-{stamp}-{next(keys)}"},
                                      FORM)}


def billing_makers(port: int) -> dict[str, Maker]:
    created = httpx.post(f"http://127.0.0.1:{port}/v1/customers", data={"name": "Probe"},
                         headers=AUTH).json()["id"]
    stamp = time.time_ns()
    keys = itertools.count(1)
    return {
        "get": lambda n: request("GET", f"/v1/customers/{created}", AUTH),
        # a global counter: the load generator's own restarts with every round
        "create": lambda n: request("POST", "/v1/customers",
                                    {**AUTH, "Idempotency-Key": f"bench-{stamp}-{next(keys)}"},
                                    FORM),
        "replay": lambda n: request("POST", "/v1/customers",
                                    {**AUTH, "Idempotency-Key": f"bench-{stamp}-replay"}, FORM),
    }


SCENARIOS = (("GET /v1/customers/{id}", "get", "GET /hello", "get"),
             ("POST /v1/customers (new key)", "create", "POST /hello", "post"),
             ("POST /v1/customers (replay)", "replay", "POST /hello", "post"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(bare: tuple[int, int], fake: tuple[int, int], seconds: float, rounds: int
               ) -> dict[str, float]:
    """Server CPU per request (us), each scenario and its bare baseline in alternating rounds.

    The server's own CPU time per answered request: unlike req/s it does not
    depend on how much of the two cores the client and the rest of the machine
    leave to the server.
    """
    (bare_pid, bare_port), (fake_pid, fake_port) = bare, fake
    bare_make, fake_make = bare_makers(), billing_makers(fake_port)
    targets = [("GET /hello", bare_pid, bare_port, bare_make["get"]),
               ("get", fake_pid, fake_port, fake_make["get"]),
               ("POST /hello", bare_pid, bare_port, bare_make["post"]),
               ("create", fake_pid, fake_port, fake_make["create"])]
    used = {name: [0.0, 0] for name, *_ in targets}
    for _ in range(rounds):
        for name, pid, port, make in targets:
            before = cpu_seconds(pid)
            r = asyncio.run(run("127.0.0.1", port, make, seconds=seconds / rounds))
            used[name][0] += cpu_seconds(pid) - before
            used[name][1] += r.requests
    return {name: cpu / max(n, 1) * 1e6 for name, (cpu, n) in used.items()}


def measure(bare_port: int, fake_port: int, seconds: float, rounds: int
            ) -> list[tuple[str, Result, str, Result]]:
    bare, fake = bare_makers(), billing_makers(fake_port)
    out = []
    for name, op, base_name, base_op in SCENARIOS:
        fr, br = asyncio.run(interleave([(fake_port, fake[op]), (bare_port, bare[base_op])],
                                        seconds=2 * seconds, rounds=rounds))
        out.append((name, fr, base_name, br))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="load time per figure (each of fake and bare)")
    parser.add_argument("--preload", default="0,100000,500000")
    parser.add_argument("--server", default="uvicorn",
                        choices=("uvicorn", "granian", "hypercorn"))
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; server: {args.server}; {args.seconds}s per "
          f"figure in {args.rounds} rounds alternating with the bare app; 16 connections")
    bare_proc, bare_port = start("bare", server=args.server)
    try:
        for preload in (int(x) for x in args.preload.split(",")):
            base_rss = 0
            if preload:
                empty, _ = start("billing", 0, args.server)
                base_rss = rss_kb(empty.pid)
                stop(empty)
            proc, port = start("billing", preload, args.server)
            try:
                loaded_rss = rss_kb(proc.pid)
                rows = measure(bare_port, port, args.seconds, args.rounds)
                cpu = server_cpu((bare_proc.pid, bare_port), (proc.pid, port), args.seconds,
                                 args.rounds)
            finally:
                stop(proc)
            per_obj = (loaded_rss - base_rss) * 1024 / preload if preload else 0
            # Each preloaded customer is two stored objects: it and its customer.created event.
            print(f"billing fake, {preload:,} customers preloaded"
                  + (f" (RSS {loaded_rss / 1024:.0f} MiB, {per_obj:.0f} B/customer incl. "
                     f"its event, {per_obj / 2:.0f} B per stored object)" if preload else "")
                  + ":")
            for name, fr, base_name, br in rows:
                show_pair(name, fr, base_name, br)
            print(f"  server CPU per request: GET {cpu['get']:.0f} us vs bare "
                  f"{cpu['GET /hello']:.0f} us ({cpu['GET /hello'] / cpu['get']:.0%}); create "
                  f"{cpu['create']:.0f} us vs bare POST {cpu['POST /hello']:.0f} us "
                  f"({cpu['POST /hello'] / cpu['create']:.0%})")
    finally:
        stop(bare_proc)


if __name__ == "__main__":
    main()
