"""Benchmark servers: the billing fake (optionally preloaded) or a bare Starlette app.

    python benchmarks/serve.py billing PORT [PRELOAD] [SERVER]
    python benchmarks/serve.py bare PORT [0] [SERVER]

SERVER is uvicorn (the default, what `fintwin sim` uses: uvloop + httptools),
granian (its Rust HTTP stack, ASGI interface) or hypercorn (on uvloop); each
serves one process with one event loop, lifespan on, access log off.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.engine.server import serve, tune_gc

BODY = orjson.dumps({"id": "cus_" + "x" * 24, "object": "customer", "name": "Acme",
                     "email": "ap@acme.test", "metadata": {}, "balance": 0})
SERVERS = ("uvicorn", "granian", "hypercorn")


async def hello(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


async def echo(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


def bare() -> Starlette:
    return Starlette(routes=[Route("/hello", hello, methods=["GET"]),
                             Route("/hello", echo, methods=["POST"])])


def billing(preload: int) -> Any:
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


def serve_granian(app: Any, port: int) -> None:
    import uvloop
    from granian.constants import Interfaces
    from granian.server.embed import Server

    tune_gc()
    server = Server(app, address="127.0.0.1", port=port, interface=Interfaces.ASGI,
                    log_enabled=False, backlog=1024)
    uvloop.run(server.serve())


def serve_hypercorn(app: Any, port: int) -> None:
    import uvloop
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    config.loglevel = "WARNING"
    tune_gc()
    uvloop.run(hypercorn_serve(app, config, mode="asgi"))


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    preload = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    server = sys.argv[4] if len(sys.argv) > 4 else "uvicorn"
    app = bare() if kind == "bare" else billing(preload)
    if server == "uvicorn":
        serve(app, port=port, announce=False)
    elif server == "granian":
        serve_granian(app, port)
    elif server == "hypercorn":
        serve_hypercorn(app, port)
    else:
        sys.exit(f"unknown server {server!r}; one of {', '.join(SERVERS)}")
