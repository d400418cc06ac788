"""CPU per request inside the app (no server, no sockets): the billing fake vs the bare app.

    .venv/bin/python benchmarks/inprocess_bench.py [--requests 20000] [--profile OP]

Calls each ASGI app directly with uvicorn-shaped scopes and reports the best
of five runs of process CPU time per request, so a busy machine disturbs it
far less than a socket benchmark. ``--profile get|create|replay`` prints a
pyinstrument tree of that operation instead (pip install pyinstrument).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.serve import bare, billing

KEY = b"sk_test_benchmark_key"
FORM = b"name=Acme&email=ap%40acme.test"
Call = tuple[dict[str, Any], bytes]


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1", "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000), "scheme": "http", "method": method,
            "root_path": "", "path": path, "raw_path": path.encode(), "query_string": b"",
            "headers": headers, "state": {}}


async def call(app: Any, sc: dict[str, Any], body: bytes) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    given = False

    async def receive() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(sc, receive, send)
    return sent


async def loop(app: Any, make: Callable[[int], Call], n: int, seq: itertools.count[int]
               ) -> None:
    for _ in range(n):
        sc, body = make(next(seq))
        await call(app, sc, body)


def cpu_per_request(app: Any, make: Callable[[int], Call], n: int) -> float:
    seq = itertools.count()
    asyncio.run(loop(app, make, 500, seq))
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        asyncio.run(loop(app, make, n // 5, seq))
        best = min(best, (time.process_time() - t0) / (n // 5))
    return best * 1e6


def makers() -> tuple[Any, Any, dict[str, Callable[[int], Call]]]:
    auth = [(b"host", b"127.0.0.1"), (b"authorization", b"Bearer " + KEY)]
    form = [(b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(FORM)).encode())]
    fake = billing(0)
    out = asyncio.run(call(fake, scope("POST", "/v1/customers", auth + form), FORM))
    cid = orjson.loads(out[1]["body"])["id"]
    stamp = time.time_ns()
    return bare(), fake, {
        # the bare app gets the fake's headers too (billing_bench.bare_makers)
        "bare GET": lambda i: (scope("GET", "/hello", auth), b""),
        "bare POST": lambda i: (scope("POST", "/hello", [
            *auth, *form, (b"idempotency-key", f"k-{stamp}-{i}".encode())]), FORM),
        "get": lambda i: (scope("GET", f"/v1/customers/{cid}", auth), b""),
        "create": lambda i: (scope("POST", "/v1/customers", [
            *auth, *form, (b"idempotency-key", f"k-{stamp}-{i}".encode())]), FORM),
        "replay": lambda i: (scope("POST", "/v1/customers", [
            *auth, *form, (b"idempotency-key", b"k-replayed")]), FORM),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--profile", choices=("get", "create", "replay"))
    args = parser.parse_args()
    bare_app, fake, make = makers()
    if args.profile:
        import pyinstrument

        profiler = pyinstrument.Profiler(interval=0.0001)
        with profiler:
            asyncio.run(loop(fake, make[args.profile], args.requests, itertools.count()))
        print(profiler.output_text(color=False, unicode=False))
        return
    base = {"bare GET": cpu_per_request(bare_app, make["bare GET"], args.requests),
            "bare POST": cpu_per_request(bare_app, make["bare POST"], args.requests)}
    for name, us in base.items():
        print(f"  {name:<28} {us:6.1f} us CPU/request")
    for name, base_name in (("get", "bare GET"), ("create", "bare POST"),
                            ("replay", "bare POST")):
        us = cpu_per_request(fake, make[name], args.requests)
        print(f"  billing {name:<20} {us:6.1f} us CPU/request  ({us / base[base_name]:.1f}x "
              f"{base_name})")


if __name__ == "__main__":
    main()
