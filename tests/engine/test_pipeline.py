"""A pipeline compiles each operation into one ASGI function of its bound steps."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse

from simulators.engine.asgi import Receive, Scope, Send, receive_body
from simulators.engine.operation import Limits, Operation, Operations
from simulators.engine.pipeline import Exchange, Pipeline, ReadBody, Step, StepFn
from simulators.engine.vendor import Vendor

ops = Operations(tags=("things",))


@ops.operation(method="GET", path="/things/{thing}", id="getThing", summary="Get a thing")
def get_thing(ex: Exchange) -> bytes:
    """Answers the thing's name."""
    return f"thing {ex.scope['path_params']['thing']}".encode()


@ops.operation(method="POST", path="/things", id="makeThing", summary="Make a thing",
               public=True)
def make_thing(ex: Exchange) -> bytes:
    raise ValueError("a bug in the fake")


class Trace(Exchange):
    __slots__ = ("seen",)

    def __init__(self, op: Operation, scope: Scope, receive: Receive) -> None:
        super().__init__(op, scope, receive)
        self.seen: list[str] = []


class Auth(Step[Trace]):
    name = "authenticate"

    def bind(self, op: Operation) -> StepFn[Trace] | None:
        if op.public:
            return None

        def run(ex: Trace) -> bool:
            ex.seen.append("auth")
            if dict(ex.scope["headers"]).get(b"authorization") != b"ok":
                return ex.answer(401, b"who?", b"text/plain")
            return False
        return run


class Read(Step[Trace]):
    name = "read"

    def bind(self, op: Operation) -> StepFn[Trace] | None:
        async def run(ex: Trace) -> None:
            ex.seen.append("read")
            ex.body = await receive_body(ex.receive)
        return run


class Call(Step[Trace]):
    name = "call"

    def bind(self, op: Operation) -> StepFn[Trace]:
        def run(ex: Trace) -> None:
            ex.seen.append("call")
            ex.answer(200, op.handler(ex), b"text/plain")
        return run

    def bind_after(self, op: Operation) -> Any:
        def note(ex: Trace) -> None:
            ex.headers.append((b"x-seen", ",".join(ex.seen).encode()))
        return note


def fail(ex: Trace, exc: Exception) -> None:
    ex.answer(500, f"failed: {exc}".encode(), b"text/plain")


def _app() -> Any:
    pipeline = Pipeline([Auth(), Read(), Call()], start=Trace, fail=fail)

    async def missing(request: Any, exc: Exception) -> PlainTextResponse:
        return PlainTextResponse("no such route", 404)

    return pipeline, pipeline.app(ops, lambda routes: Starlette(
        routes=routes, exception_handlers={404: missing, 405: missing}))


async def _ask(app: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        return await client.request(method, path, **kw)


def test_steps_run_in_order_and_stop_at_an_answer() -> None:
    _, app = _app()
    ok = asyncio.run(_ask(app, "GET", "/things/t1", headers={"authorization": "ok"}))
    assert (ok.status_code, ok.text, ok.headers["x-seen"]) == (200, "thing t1",
                                                                "auth,read,call")
    refused = asyncio.run(_ask(app, "GET", "/things/t1"))
    # The after-step runs whatever happened; the chain stopped at authenticate.
    assert (refused.status_code, refused.text, refused.headers["x-seen"]) == (401, "who?",
                                                                             "auth")


def test_a_step_sits_out_an_operation_it_has_nothing_to_do_for() -> None:
    pipeline, _ = _app()
    assert pipeline.endpoints["getThing"].steps == ("authenticate", "read", "call")
    assert pipeline.endpoints["makeThing"].steps == ("read", "call")


def test_an_exception_is_answered_by_the_pipeline_fail() -> None:
    _, app = _app()
    r = asyncio.run(_ask(app, "POST", "/things", content=b"x"))
    assert (r.status_code, r.text) == (500, "failed: a bug in the fake")


def test_head_answers_like_get_without_a_body() -> None:
    _, app = _app()
    r = asyncio.run(_ask(app, "HEAD", "/things/t1", headers={"authorization": "ok"}))
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-length"] == str(len("thing t1"))


def test_unmatched_requests_reach_the_fallback() -> None:
    _, app = _app()
    assert asyncio.run(_ask(app, "GET", "/nothing")).text == "no such route"


def test_a_route_shadowed_by_an_earlier_one_is_refused() -> None:
    shadowing = Operations()
    for path, oid in (("/things/{thing}", "a"), ("/things/search", "b")):
        shadowing.add(Operation(method="GET", path=path, operation_id=oid, summary="",
                                handler=get_thing))
    pipeline = Pipeline([Call()], start=Trace, fail=fail)
    with pytest.raises(ValueError, match="shadowed"):
        pipeline.routes(shadowing)


def test_an_operation_id_is_declared_once() -> None:
    twice = Operations()
    twice.add(Operation(method="GET", path="/a", operation_id="x", summary="",
                        handler=get_thing))
    with pytest.raises(ValueError, match="declared twice"):
        twice.add(Operation(method="GET", path="/b", operation_id="x", summary="",
                            handler=get_thing))


def test_the_docs_default_to_the_handler_docstring() -> None:
    assert ops.by_id("getThing").docs == "Answers the thing's name."


def test_a_body_over_the_declared_limit_is_413_in_the_vendors_envelope() -> None:
    limited = Operations()

    @limited.operation(method="POST", path="/small", id="small", summary="",
                       limits=Limits(max_body_bytes=4, source="a test"))
    def small(ex: Exchange) -> bytes:
        return b"ok"

    class Raw(Trace):
        __slots__ = ("raw",)

    pipeline = Pipeline([ReadBody(("POST",)), Call()], start=Raw, fail=fail)
    inner = pipeline.app(limited, lambda routes: Starlette(routes=routes))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["fintwin.sim"] = type("Sim", (), {"vendor": Vendor()})()
        await inner(scope, receive, send)

    assert asyncio.run(_ask(app, "POST", "/small", content=b"1234")).text == "ok"
    r = asyncio.run(_ask(app, "POST", "/small", content=b"12345"))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"
