"""Billing fake throughput and latency against a bare Starlette app on the same stack.

    .venv/bin/python benchmarks/billing_bench.py [--seconds 3] [--preload 0,100000,500000]

Starts each server as its own process (uvicorn + uvloop + httptools, as
`fintwin sim` serves), loads it from this process over loopback keep-alive
connections, and prints req/s, p50 and p99 with ratios to the bare app
measured in the same run, plus RSS per stored object.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.loadgen import Result, request, run

KEY = "sk_test_benchmark_key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(kind: str, preload: int = 0) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    here = Path(__file__).resolve().parent
    proc = subprocess.Popen([sys.executable, str(here / "serve.py"), kind, str(port),
                             str(preload)], cwd=here.parent)
    deadline = time.monotonic() + 600
    path = "/hello" if kind == "bare" else "/_sim/health"
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def show(name: str, r: Result, base: Result | None) -> None:
    ratio = f"{r.rps / base.rps:6.0%}" if base else "     -"
    errors = {k: v for k, v in r.statuses.items() if k >= 400}
    print(f"  {name:<34} {r.rps:9.0f} req/s  p50 {r.pct(0.5):6.2f} ms  "
          f"p99 {r.pct(0.99):6.2f} ms  vs bare {ratio}" + (f"  errors {errors}" if errors
                                                              else ""))


async def measure(port: int, seconds: float, kind: str) -> dict[str, Result]:
    out: dict[str, Result] = {}
    if kind == "bare":
        out["get"] = await run("127.0.0.1", port, lambda n: request("GET", "/hello", {}),
                               seconds=seconds)
        out["post"] = await run("127.0.0.1", port, lambda n: request(
            "POST", "/hello", {}, b"name=Acme&email=ap%40acme.test"), seconds=seconds)
        return out
    created = httpx.post(f"http://127.0.0.1:{port}/v1/customers", data={"name": "Probe"},
                         headers=AUTH).json()["id"]
    out["get"] = await run("127.0.0.1", port, lambda n: request(
        "GET", f"/v1/customers/{created}", AUTH), seconds=seconds)
    stamp = time.time_ns()
    out["create"] = await run("127.0.0.1", port, lambda n: request(
        "POST", "/v1/customers", {**AUTH, "Idempotency-Key": f"bench-{stamp}-{n}"},
        b"name=Acme&email=ap%40acme.test"), seconds=seconds)
    out["replay"] = await run("127.0.0.1", port, lambda n: request(
        "POST", "/v1/customers", {**AUTH, "Idempotency-Key": f"bench-{stamp}-1"},
        b"name=Acme&email=ap%40acme.test"), seconds=seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--preload", default="0,100000,500000")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; {args.seconds}s per figure; 16 connections")
    proc, port = start("bare")
    try:
        bare = asyncio.run(measure(port, args.seconds, "bare"))
    finally:
        proc.terminate()
        proc.wait()
    print("bare Starlette (baseline):")
    show("GET /hello", bare["get"], None)
    show("POST /hello", bare["post"], None)
    for preload in (int(x) for x in args.preload.split(",")):
        empty_proc, _ = start("billing", 0) if preload else (None, 0)
        base_rss = rss_kb(empty_proc.pid) if empty_proc else 0
        if empty_proc:
            empty_proc.terminate()
            empty_proc.wait()
        proc, port = start("billing", preload)
        try:
            loaded_rss = rss_kb(proc.pid)
            res = asyncio.run(measure(port, args.seconds, "billing"))
        finally:
            proc.terminate()
            proc.wait()
        per_obj = (loaded_rss - base_rss) * 1024 / preload if preload else 0
        print(f"billing fake, {preload:,} customers preloaded"
              + (f" (RSS {loaded_rss / 1024:.0f} MiB, {per_obj:.0f} B/customer incl. its "
                 "event)" if preload else "") + ":")
        show("GET /v1/customers/{id}", res["get"], bare["get"])
        show("POST /v1/customers (new key)", res["create"], bare["post"])
        show("POST /v1/customers (replay)", res["replay"], bare["post"])


if __name__ == "__main__":
    main()
