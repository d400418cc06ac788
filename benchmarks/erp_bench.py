"""ERP fake benchmark (printed figures, not a timed test).

    .venv/bin/python benchmarks/erp_bench.py [--n 2000] [--lines 10000 100000]

1. Create throughput in-process (httpx + InProcessTransport, limits off): journal
   entries and invoices, as requests per second and as ratios to two baselines -
   a bare Starlette route answering 204 (no engine, no fake) and the fake's
   cheapest authenticated call (GET governanceLimits) through the whole engine.
2. A SuiteQL trial balance (GROUP BY subsidiary, account over
   transactionAccountingLine JOIN transactionLine) over 10k and 100k ledger
   lines, through HTTP; the ledger is filled through the record layer.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport
from simulators.erp import auth, service
from simulators.erp.app import create_app
from simulators.erp.context import Ctx
from simulators.erp.vendor import NetSuiteVendor

RECORDS = "/services/rest/record/v1"
TRIAL_BALANCE = (
    "SELECT tl.subsidiary, tal.account, SUM(tal.debit) AS debit, SUM(tal.credit) AS credit "
    "FROM transactionAccountingLine tal JOIN transactionLine tl "
    "ON tl.transaction = tal.transaction AND tl.id = tal.transactionline "
    "GROUP BY tl.subsidiary, tal.account ORDER BY tl.subsidiary, tal.account"
)


def fake() -> tuple[Any, dict[str, str]]:
    app = create_app(SimSettings(seed=1, limits=False))
    tenant = app.sim.tenant("1234567")
    tenant.clock.freeze()
    issued = auth.issue(tenant, "bench")
    assert isinstance(app.sim.vendor, NetSuiteVendor)
    app.sim.vendor.remember(issued["access_token"], tenant.id)
    return app, {"Authorization": f"Bearer {issued['access_token']}"}


async def rate(n: int, call: Callable[[int], Awaitable[httpx.Response]], ok: int) -> float:
    for i in range(min(20, n)):  # warm up
        await call(-1 - i)
    started = time.perf_counter()
    for i in range(n):
        response = await call(i)
        assert response.status_code == ok, response.text
    return n / (time.perf_counter() - started)


async def throughput(n: int) -> None:
    async def bare_ok(request: Request) -> Response:
        await request.body()
        return Response(status_code=204, headers={"location": "/x/1"})

    bare = httpx.AsyncClient(
        transport=InProcessTransport(Starlette(routes=[Route("/x", bare_ok, methods=["POST"])])),
        base_url="http://b",
    )
    app, headers = fake()
    client = httpx.AsyncClient(
        transport=InProcessTransport(app), base_url="http://erp", headers=headers
    )
    customer = (
        (
            await client.post(
                f"{RECORDS}/customer", json={"companyName": "Bench", "subsidiary": {"id": "1"}}
            )
        )
        .headers["location"]
        .rsplit("/")[-1]
    )
    journal = {
        "subsidiary": {"id": "1"},
        "line": {
            "items": [
                {"account": {"id": "13"}, "debit": "10.00"},
                {"account": {"id": "1"}, "credit": "10.00"},
            ]
        },
    }
    invoice = {
        "entity": {"id": customer},
        "item": {
            "items": [
                {"item": {"id": "1"}, "quantity": 2, "rate": "150", "taxRate1": "8.25"},
                {"item": {"id": "3"}, "amount": "99.99"},
            ]
        },
    }
    figures = {
        "bare starlette 204": await rate(n, lambda i: bare.post("/x", json=journal), 204),
        "engine GET governanceLimits": await rate(
            n, lambda i: client.get("/services/rest/system/v1/governanceLimits"), 200
        ),
        "POST journalEntry": await rate(
            n, lambda i: client.post(f"{RECORDS}/journalEntry", json=journal), 204
        ),
        "POST invoice": await rate(
            n, lambda i: client.post(f"{RECORDS}/invoice", json=invoice), 204
        ),
    }
    base, engine = figures["bare starlette 204"], figures["engine GET governanceLimits"]
    print(f"create throughput, in-process, {n} sequential requests each")
    for name, value in figures.items():
        print(
            f"  {name:30s} {value:9.0f} req/s   x{value / base:5.3f} of bare   "
            f"x{value / engine:5.3f} of engine baseline"
        )
    await bare.aclose()
    await client.aclose()


async def trial_balance(lines: int) -> None:
    app, headers = fake()
    tenant = app.sim.tenants.get("1234567")
    assert tenant is not None
    ctx = Ctx(app.sim, tenant, "")
    jtype = service.record_type("journalEntry")
    per = 10  # ledger lines per journal
    started = time.perf_counter()
    for j in range(lines // per):
        items = [{"account": {"id": "13"}, "debit": str(1 + (j + k) % 97)} for k in range(per - 1)]
        total = sum(1 + (j + k) % 97 for k in range(per - 1))
        items.append({"account": {"id": "1"}, "credit": str(total)})
        service.create(ctx, jtype, {"subsidiary": {"id": "1"}, "line": {"items": items}})
    fill = time.perf_counter() - started
    client = httpx.AsyncClient(
        transport=InProcessTransport(app),
        base_url="http://erp",
        headers={**headers, "Prefer": "transient"},
    )
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        response = await client.post("/services/rest/query/v1/suiteql", json={"q": TRIAL_BALANCE})
        timings.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.text
    rows = response.json()["items"]
    net = sum(int(r.get("debit", "0")) - int(r.get("credit", "0")) for r in rows)
    assert net == 0
    print(
        f"SuiteQL trial balance over {lines} ledger lines: median "
        f"{statistics.median(timings) * 1000:.1f} ms (min {min(timings) * 1000:.1f} ms), "
        f"{len(rows)} rows, net {net}; ledger filled through the record layer in {fill:.1f} s"
    )
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="requests per throughput figure")
    parser.add_argument("--lines", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    asyncio.run(throughput(args.n))
    for lines in args.lines:
        asyncio.run(trial_balance(lines))


if __name__ == "__main__":
    main()
