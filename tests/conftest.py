"""Shared fixtures: fakes served on loopback, webhook receivers, unique tenants."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.servers import ServerThread

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
