"""Shared fixtures: servers on loopback (in a thread: ``serve``; as a ``fintwin sim``
process: ``sim_process``), webhook receivers, unique tenants. Waiting is
``harness.waiting`` (``eventually``, ``until``): no test polls with a loop of its own."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.processes import SimProcess
from harness.servers import ServerThread
from simulators.engine.server import GRACEFUL_SHUTDOWN

# CI must not flake: property tests and fuzzing draw the same examples every run.
# FINTWIN_HYPOTHESIS=explore searches afresh (run it locally to find new bugs).
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("FINTWIN_HYPOTHESIS", "ci"))

_counter = itertools.count(1)


@pytest.fixture
def api_key(request: pytest.FixtureRequest) -> str:
    """A fresh Stripe test key: each test is its own account (tenant)."""
    return f"sk_test_{request.node.name[:20]}_{next(_counter):06d}".replace("[", "_").replace(
        "]", "_")


class Receiver:
    """A webhook receiver on loopback that records every delivery."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()

        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.received.append({"body": body, "headers": dict(request.headers),
                                      "path": request.url.path})
            return Response(b"{}", self.status, media_type="application/json")

        self.app = Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])])
        self.server = ServerThread(self.app)

    @property
    def url(self) -> str:
        return self.server.url + "/webhooks"

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [r["body"] for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    rec.server.start()
    yield rec
    rec.server.stop()


@pytest.fixture
def serve() -> Iterator[Callable[..., ServerThread]]:
    """``serve(app, **options)``: the app under uvicorn on a free loopback port, in a
    thread (harness.servers); every server started is stopped after the test."""
    started: list[ServerThread] = []

    def start(app: Any, **options: Any) -> ServerThread:
        server = ServerThread(app, **options).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()
        assert server.stopped, "a server did not stop within 10 s"


@pytest.fixture
def sim_process(tmp_path: Path) -> Iterator[Callable[..., SimProcess]]:
    """``sim_process(fake, *flags)``: ``fintwin sim`` as a child process in ``tmp_path``,
    ready (harness.processes). After the test each one gets SIGTERM and must exit by
    itself within the server's graceful-shutdown bound."""
    started: list[SimProcess] = []

    def start(fake: str, *flags: str) -> SimProcess:
        process = SimProcess(fake, tmp_path, *flags).start()
        started.append(process)
        return process.ready()

    yield start
    for process in reversed(started):
        assert process.stop(timeout=GRACEFUL_SHUTDOWN + 10), \
            f"{process.name} still running after SIGTERM: {process.tail()}"
