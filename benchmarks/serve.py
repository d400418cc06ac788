"""Benchmark servers: the billing fake (optionally preloaded) or a bare Starlette app.

    python benchmarks/serve.py billing PORT [PRELOAD]
    python benchmarks/serve.py bare PORT

Both run on the same stack as `fintwin sim`: uvicorn with uvloop and httptools.
"""

from __future__ import annotations

import sys

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.engine.server import serve

BODY = orjson.dumps({"id": "cus_" + "x" * 24, "object": "customer", "name": "Acme",
                     "email": "ap@acme.test", "metadata": {}, "balance": 0})


async def hello(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


async def echo(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


def bare() -> Starlette:
    return Starlette(routes=[Route("/hello", hello, methods=["GET"]),
                             Route("/hello", echo, methods=["POST"])])


def billing(preload: int) -> object:
    from simulators.billing.app import create_app
    from simulators.billing.context import Ctx
    from simulators.billing.customers import create_customer
    from simulators.billing.vendor import account_id_for_key
    from simulators.engine.settings import SimSettings

    app = create_app(SimSettings(seed=1, limits=False))
    tenant = app.sim.tenant(account_id_for_key("sk_test_benchmark_key"))
    ctx = Ctx(app.sim, tenant, "2024-06-20")
    for i in range(preload):
        create_customer(ctx, {"name": f"Customer {i}", "email": f"c{i}@example.test",
                              "metadata": {"crm_id": f"001{i:012d}"}})
    return app


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    preload = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    serve(bare() if kind == "bare" else billing(preload), port=port, announce=False)
