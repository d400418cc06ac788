"""CRM fake benchmark: SOQL lookups as the org grows, and create/get throughput.

    .venv/bin/python benchmarks/crm_bench.py [--sizes 1000,10000,100000] [--seconds 3]

Part 1 (in-process, no HTTP): Opportunities are written straight into an org's store and
SOQL indexes (the same record shape the API writes), then three queries are timed through
the parser and executor - by Id, by External_Id__c and by a SystemModstamp range that
selects 100 rows - at each size, with the ratio to the smallest size. Indexed lookups
should stay flat (within 2x) from 1k to 100k.

Part 2 (HTTP): the CRM fake and the bare Starlette app of the billing benchmark each run
as their own process on the `fintwin sim` stack (uvicorn, uvloop, httptools) and are loaded
over 16 keep-alive loopback connections; create (POST sobjects/Account) and get (GET
sobjects/Account/{id}) are printed as req/s, p50, p99 and the ratio to the bare app.
Printed figures only: this is not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.billing_bench import free_port, show
from benchmarks.loadgen import Result, request, run
from simulators.crm.app import create_app
from simulators.crm.auth import org_id_for
from simulators.crm.ids import new_record_id
from simulators.crm.org import org_of
from simulators.crm.soql import execute, parse
from simulators.crm.wire import sf_datetime
from simulators.engine.settings import SimSettings

T0 = 1706695200.0
VERSION = "59.0"


# --- part 1: SOQL as the org grows ---------------------------------------------------------


def build_org(size: int) -> tuple[object, list[str]]:
    app = create_app(SimSettings(seed=1, epoch=T0, frozen_clock=True))
    tenant = app.sim.tenant(org_id_for(app.sim, "bench"))
    org = org_of(tenant)
    user = tenant.meta["user_id"]
    ids: list[str] = []
    for i in range(size):
        record_id = new_record_id(tenant, "006")
        # One second apart, so a SystemModstamp range picks a fixed number of rows.
        stamp = sf_datetime(T0 - size + i)
        record = {
            "id": record_id,
            "Id": record_id,
            "IsDeleted": False,
            "Name": f"Opp {i}",
            "StageName": "Prospecting",
            "CloseDate": "2024-06-30",
            "Amount": Decimal(i % 1000) + Decimal("0.50"),
            "Probability": Decimal(10),
            "IsClosed": False,
            "IsWon": False,
            "External_Id__c": f"ext-{i}",
            "CurrencyIsoCode": "USD",
            "OwnerId": user,
            "CreatedDate": stamp,
            "LastModifiedDate": stamp,
            "SystemModstamp": stamp,
            "CreatedById": user,
            "LastModifiedById": user,
        }
        tenant.store.put("Opportunity", record)
        org.source.put("Opportunity", record)
        ids.append(record_id)
    return app, ids


def time_query(app: object, soql: Callable[[int], str], expect: int, reps: int) -> float:
    """Median microseconds per query (parse + execute), over ``reps`` varied queries."""
    sim = app.sim  # type: ignore[attr-defined]
    tenant = next(iter(sim.tenants))
    org = org_of(tenant)
    now = datetime.fromtimestamp(T0, UTC)
    samples = []
    for n in range(reps):
        text = soql(n)
        t0 = time.perf_counter()
        result = execute(parse(text), org.schema, org.source, now=now, api_version=VERSION)
        samples.append(time.perf_counter() - t0)
        assert result.total_size == expect, (text, result.total_size)
    return statistics.median(samples) * 1e6


def soql_figures(sizes: list[int], reps: int) -> None:
    print("SOQL on Opportunity (parse + execute, median of", reps, "queries):")
    base: dict[str, float] = {}
    for size in sizes:
        started = time.perf_counter()
        app, ids = build_org(size)
        built = time.perf_counter() - started
        step = max(size // reps, 1)
        window = 100 if size >= 100 else size

        def by_id(n: int, ids: list[str] = ids, step: int = step, size: int = size) -> str:
            return f"SELECT Id, Name, Amount FROM Opportunity WHERE Id = '{ids[n * step % size]}'"

        def by_external(n: int, step: int = step, size: int = size) -> str:
            return (
                f"SELECT Id, Name FROM Opportunity WHERE External_Id__c = 'ext-{n * step % size}'"
            )

        def by_range(n: int, size: int = size, window: int = window) -> str:
            return _range_query(size, window, n)

        queries: dict[str, tuple[Callable[[int], str], int]] = {
            "by Id": (by_id, 1),
            "by External_Id__c": (by_external, 1),
            "by SystemModstamp range": (by_range, window),
        }
        print(f"  {size:>7,} opportunities (built in {built:.1f} s):")
        for name, (make, expect) in queries.items():
            us = time_query(app, make, expect, reps)
            base.setdefault(name, us)
            print(f"    {name:<26} {us:9.1f} us/query   x{us / base[name]:.2f} vs {sizes[0]:,}")


def _range_query(size: int, window: int, n: int) -> str:
    start = T0 - size + (n * 7919) % max(size - window, 1)
    lo = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    hi = datetime.fromtimestamp(start + window, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"SELECT Id FROM Opportunity WHERE SystemModstamp >= {lo} AND SystemModstamp < {hi}"


# --- part 2: HTTP throughput -----------------------------------------------------------------


def serve_crm(port: int) -> None:
    from simulators.engine.server import serve

    app = create_app(SimSettings(seed=1, limits=False, extra={"daily_api_requests": 10**9}))
    serve(app, port=port, announce=False)


def start(cmd: list[str], probe: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen([*cmd, str(port)], cwd=Path(__file__).resolve().parent.parent)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1).status_code < 500:
                return proc, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{cmd} did not start")


def http_figures(seconds: float) -> None:
    here = Path(__file__).resolve().parent
    proc, port = start([sys.executable, str(here / "serve.py"), "bare"], "/hello")
    try:
        bare_get = asyncio.run(
            run("127.0.0.1", port, lambda n: request("GET", "/hello", {}), seconds=seconds)
        )
        bare_post = asyncio.run(
            run(
                "127.0.0.1",
                port,
                lambda n: request("POST", "/hello", {}, b"name=Acme&email=ap%40acme.test"),
                seconds=seconds,
            )
        )
    finally:
        proc.terminate()
        proc.wait()
    print("bare Starlette (the billing benchmark's baseline):")
    show("GET /hello", bare_get, None)
    show("POST /hello", bare_post, None)

    proc, port = start([sys.executable, str(here / "crm_bench.py"), "--serve"], "/_sim/health")
    try:
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": "bench", "client_secret": "s"},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        data = f"/services/data/v{VERSION}/sobjects/Account"
        made = httpx.post(f"{base}{data}/", json={"Name": "Probe"}, headers=auth).json()["id"]
        body = orjson.dumps({"Name": "Acme", "Industry": "Technology", "AnnualRevenue": 1234.5})
        create: Result = asyncio.run(
            run(
                "127.0.0.1",
                port,
                lambda n: request("POST", f"{data}/", auth, body),
                seconds=seconds,
            )
        )
        get: Result = asyncio.run(
            run(
                "127.0.0.1", port, lambda n: request("GET", f"{data}/{made}", auth), seconds=seconds
            )
        )
    finally:
        proc.terminate()
        proc.wait()
    print("CRM fake (Salesforce-shaped), in-memory, limits off:")
    show("GET sobjects/Account/{id}", get, bare_get)
    show("POST sobjects/Account", create, bare_post)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve_crm(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    soql_figures([int(s) for s in args.sizes.split(",")], args.reps)
    if not args.no_http:
        http_figures(args.seconds)


if __name__ == "__main__":
    main()
