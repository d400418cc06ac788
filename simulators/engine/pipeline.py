"""A vendor's request pipeline: an ordered list of small named steps, compiled per route.

Each fake answers its API through the same shape (LocalStack's handler chain,
in fewer pieces): a :class:`Pipeline` names its steps in order (billing:
authenticate, version, validate, idempotency, call, render) and how a request
starts (its :class:`Exchange`) and how an error is answered. ``compile`` binds
every step to one operation once, at start: a step that has nothing to do for
that operation (idempotency on a GET, authentication on a token endpoint) is
left out, and what a step can work out from the declaration alone (a
fingerprint prefix, the parameter table) it works out then. The result is one
ASGI callable per route, a loop over a few plain functions, so the hot path
costs what the single hand-written coroutine it replaced did.

A step's ``bind(op)`` returns the function run for each request (sync, or async
when it must await, such as reading the body), or None to sit this operation out.
The function returns something true when the answer is ready (the rest of the
chain is skipped) and raises to fail the request; the pipeline's ``fail`` turns
any exception into the vendor's answer. ``bind_after(op)`` may return a function
run after the chain whatever happened (to store an idempotent answer).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect
from starlette.routing import Route

from simulators.engine.asgi import (
    JSON,
    ASGIApp,
    BodyTooLarge,
    Headers,
    Receive,
    Scope,
    Send,
    read_body,
)
from simulators.engine.operation import Operation
from simulators.engine.params import ParamError, check_fields
from simulators.engine.routing import FastDispatch, RouteTable

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant


class Answering(Protocol):
    """What the endpoint reads from a request's exchange once the steps have run."""

    status: int
    body: bytes
    headers: Headers
    content_type: bytes | None


class Exchange:
    """One request on its way through the steps, and the answer they build.

    A vendor's exchange adds its own slots (or is a class of its own with these four
    answer attributes: the billing fake's is its request context, one object per
    request rather than two).
    """

    __slots__ = ("body", "content_type", "headers", "op", "receive", "scope", "status")

    def __init__(self, op: Operation, scope: Scope, receive: Receive) -> None:
        self.op = op
        self.scope = scope
        self.receive = receive
        self.status = 200
        self.body = b""
        self.headers: Headers = []
        self.content_type: bytes | None = JSON

    def answer(self, status: int, body: bytes, content_type: bytes | None = JSON) -> bool:
        """Set the answer; returns True so a step can ``return ex.answer(...)`` to stop."""
        self.status, self.body, self.content_type = status, body, content_type
        return True


class VendorExchange(Exchange):
    """An exchange with what a vendor's steps read most: the simulation, the tenant the
    middleware found (None: no credentials it knows), the body once read and the query
    (as sent, then the declared parameters checked by the validate step)."""

    __slots__ = ("query", "raw", "sim", "tenant")

    def __init__(self, op: Operation, scope: Scope, receive: Receive) -> None:
        super().__init__(op, scope, receive)
        self.sim: Simulation = scope["fintwin.sim"]
        self.tenant: Tenant | None = scope.get("fintwin.tenant")
        self.raw = b""
        self.query: dict[str, Any] = dict(
            parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))


X = TypeVar("X", bound=Answering)
StepFn = Callable[[X], Any]


class Step(Generic[X]):
    """One named stage of a vendor's pipeline."""

    name = "step"

    def bind(self, op: Operation) -> StepFn[X] | None:
        """What this step does for each request to ``op`` (None: nothing)."""
        return None

    def bind_after(self, op: Operation) -> Callable[[X], None] | None:
        """What it does once the chain has run, whatever happened (None: nothing)."""
        return None


class Endpoint(Generic[X]):
    """One operation compiled: the bound steps in order, then the answer sent.

    ``call`` is the ASGI function itself, generated once from the bound steps (see
    ``_TEMPLATE``): every step a direct call in sequence, no loop, no per-step test of
    whether it is async, no method lookup on this object per request. It behaves as::

        ex = start(op, scope, receive)
        try:
            for step in before: if (await step(ex) if async else step(ex)): break
        except Exception as exc: fail(ex, exc)
        for step in after: step(ex)
        send ex.status, ex.headers + content-length + content-type, ex.body
    """

    def __init__(self, op: Operation, start: Callable[[Operation, Scope, Receive], X],
                 fail: Callable[[X, Exception], None], steps: Sequence[Step[X]]) -> None:
        self.op = op
        names: list[str] = []
        namespace: dict[str, Any] = {"start": start, "fail": fail, "op": op,
                                     "ClientDisconnect": ClientDisconnect,
                                     "BodyTooLarge": BodyTooLarge, "too_large": too_large}
        chain: list[str] = []
        finish: list[str] = []
        for step in steps:
            fn = step.bind(op)
            if fn is not None:
                namespace[f"s{len(names)}"] = fn
                call = f"s{len(names)}(ex)"
                if inspect.iscoroutinefunction(fn):
                    call = f"(await {call})"
                chain.append(f"{'elif' if chain else 'if'} {call}: pass")
                names.append(step.name)
            done = step.bind_after(op)
            if done is not None:
                namespace[f"a{len(finish)}"] = done
                finish.insert(0, f"a{len(finish)}(ex)")
        self.steps = tuple(names)  # what runs for this operation, for docs and tests
        # A GET route answers HEAD too, without a body (as Starlette's do).
        body = 'b"" if scope["method"] == "HEAD" else body' if op.method == "GET" else "body"
        source = _TEMPLATE.format(chain="\n        ".join(chain or ["pass"]),
                                  finish="\n    ".join(finish or ["pass"]), body=body)
        exec(compile(source, f"<endpoint {op.operation_id}>", "exec"), namespace)
        self.call: ASGIApp = namespace["endpoint"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.call(scope, receive, send)


_TEMPLATE = """
async def endpoint(scope, receive, send):
    ex = start(op, scope, receive)
    try:
        {chain}
    except ClientDisconnect:
        raise  # nobody to answer
    except BodyTooLarge as exc:
        too_large(scope, ex, exc)
    except Exception as exc:
        fail(ex, exc)
    {finish}
    status = ex.status
    body = ex.body
    headers = ex.headers
    if not (status < 200 or status in (204, 304)):
        headers.append((b"content-length", str(len(body)).encode()))
    content_type = ex.content_type
    if content_type is not None:
        headers.append((b"content-type", content_type))
    await send({{"type": "http.response.start", "status": status, "headers": headers}})
    await send({{"type": "http.response.body", "body": {body}}})
"""


def too_large(scope: Scope, ex: Answering, exc: BodyTooLarge) -> None:
    """413 in the vendor's error envelope (``Vendor.error``)."""
    reply = scope["fintwin.sim"].vendor.error(413, None, str(exc), kind="too_large")
    ex.status, ex.body, ex.content_type = reply.status, reply.body, reply.content_type
    ex.headers.extend(reply.headers)


class ReadBody(Step[Any]):
    """The body of a request whose method carries one, into ``ex.raw``; at most the
    operation's ``limits.max_body_bytes`` (else 413)."""

    name = "read"

    def __init__(self, methods: tuple[str, ...]) -> None:
        self.methods = methods

    def bind(self, op: Operation) -> StepFn[Any] | None:
        if op.method not in self.methods:
            return None
        limit = op.limits.max_body_bytes if op.limits is not None else None

        async def run(ex: Any) -> None:
            ex.raw = await read_body(ex.receive, limit=limit)
        return run


class CheckQuery(Step[Any]):
    """The validate step of a vendor whose exchange is a VendorExchange: its declared
    query parameters checked (``check_query``), a failure in the vendor's ``wording``."""

    name = "validate"

    def __init__(self, wording: Callable[[ParamError], Exception]) -> None:
        self.wording = wording

    def bind(self, op: Operation) -> StepFn[Any]:
        wording = self.wording

        def run(ex: Any) -> None:
            ex.query = check_query(op, ex.query, wording)
        return run


def check_query(op: Operation, query: dict[str, Any],
                wording: Callable[[ParamError], Exception]) -> dict[str, Any]:
    """The operation's declared query parameters, checked (others ignored, as vendors
    whose clients send extra ones do); a failure in the vendor's words."""
    try:
        return check_fields(dict(op.query), query, unknown=True)
    except ParamError as e:
        raise wording(e) from None


@dataclass
class Pipeline(Generic[X]):
    """A vendor's steps, how its requests start, and how it answers a failure."""

    steps: Sequence[Step[X]]
    start: Callable[[Operation, Scope, Receive], X]
    fail: Callable[[X, Exception], None]
    collapse: bool = False  # the vendor treats empty path segments as absent
    endpoints: dict[str, Endpoint[X]] = field(default_factory=dict)

    def compile(self, op: Operation) -> Endpoint[X]:
        endpoint = Endpoint(op, self.start, self.fail, self.steps)
        self.endpoints[op.operation_id] = endpoint
        return endpoint

    def routes(self, ops: Iterable[Operation]) -> list[Route]:
        ops = list(ops)
        # Refuse a declaration order in which a route can never be reached.
        RouteTable([(op.method, op.path, op) for op in ops], collapse=self.collapse,
                   strict=True)
        return [Route(op.path, self.compile(op), methods=[op.method]) for op in ops]

    def app(self, ops: Iterable[Operation], fallback: Callable[[list[Route]], ASGIApp]
            ) -> FastDispatch:
        """The vendor app: requests matched to their operation's endpoint, everything
        else to ``fallback(routes)`` (an app for 404, 405 and what the table left out)."""
        routes = self.routes(ops)
        return FastDispatch(fallback(routes), routes, collapse=self.collapse)
