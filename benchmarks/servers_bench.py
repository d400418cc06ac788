"""ASGI servers for `fintwin sim billing`: uvicorn vs granian vs hypercorn, measured.

    .venv/bin/python benchmarks/servers_bench.py [--seconds 3] [--rounds 6]
                                                 [--servers uvicorn,granian,hypercorn]

Each server serves the bare Starlette app and the billing fake (empty), one
process each. Every figure is loaded in short rounds that rotate over all the
processes, so all servers see the same background load of the machine. It
prints req/s, p50 and p99 per server, each fake figure's ratio to the same
server's bare app, and each server's figures relative to the first server's.
It also checks the one thing the fakes need that not every server gives: the
``reset`` fault must reach the client as a TCP reset (ConnectionResetError),
not as an HTTP answer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.billing_bench import KEY, bare_makers, billing_makers, start, stop
from benchmarks.loadgen import Result, interleave

OPS = (("GET", "get", "get"), ("POST create", "post", "create"),
       ("POST replay", "post", "replay"))


def reset_reaches_client(port: int) -> str:
    """Install a reset fault on one path and see what a raw socket gets back."""
    httpx.put(f"http://127.0.0.1:{port}/_sim/faults", json={"rules": [
        {"match": {"path": "/v1/customers/cus_reset_probe"}, "fault": "reset"}]})
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /v1/customers/cus_reset_probe HTTP/1.1\r\nHost: x\r\n"
                         b"Authorization: Bearer " + KEY.encode() + b"\r\n\r\n")
            data = sock.recv(65536)
        return f"no: got {data[:12]!r}" if data else "no: clean close (FIN)"
    except ConnectionResetError:
        return "yes (TCP RST)"
    except TimeoutError:
        return "no: hung"
    finally:
        httpx.delete(f"http://127.0.0.1:{port}/_sim/faults")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--servers", default="uvicorn,granian,hypercorn")
    args = parser.parse_args()
    servers = args.servers.split(",")
    print(f"machine: {os.cpu_count()} cores; {args.seconds}s per figure in {args.rounds} rounds "
          "rotating over every server; 16 connections; billing fake empty")
    procs = []
    ports: dict[tuple[str, str], int] = {}
    try:
        for server in servers:
            for kind in ("bare", "billing"):
                proc, port = start(kind, 0, server)
                procs.append(proc)
                ports[(server, kind)] = port
        resets = {s: reset_reaches_client(ports[(s, "billing")]) for s in servers}
        makers = {s: (bare_makers(), billing_makers(ports[(s, "billing")])) for s in servers}
        results: dict[tuple[str, str], tuple[Result, Result]] = {}
        for label, bare_op, fake_op in OPS:
            targets = []
            for s in servers:
                targets.append((ports[(s, "bare")], makers[s][0][bare_op]))
                targets.append((ports[(s, "billing")], makers[s][1][fake_op]))
            got = asyncio.run(interleave(targets, seconds=args.seconds * len(targets),
                                         rounds=args.rounds))
            for i, s in enumerate(servers):
                results[(s, label)] = (got[2 * i], got[2 * i + 1])
    finally:
        for proc in procs:
            stop(proc)
    ref = servers[0]
    for label, _, _ in OPS:
        print(f"{label}:")
        for s in servers:
            bare, fake = results[(s, label)]
            rf = results[(ref, label)][1]
            print(f"  {s:<10} bare {bare.rps:7.0f} req/s (p99 {bare.pct(0.99):6.2f} ms)   "
                  f"fake {fake.rps:7.0f} req/s (p50 {fake.pct(0.5):5.2f} ms, "
                  f"p99 {fake.pct(0.99):6.2f} ms)   fake/bare {fake.rps / bare.rps:4.0%}   "
                  f"fake vs {ref} {fake.rps / rf.rps:4.0%}")
    print("the reset fault (TCP RST via SO_LINGER 0 on the server's transport):")
    for s in servers:
        print(f"  {s:<10} reaches the client as a reset: {resets[s]}")


if __name__ == "__main__":
    main()
