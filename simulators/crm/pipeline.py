"""How the CRM fake answers a request: Salesforce's steps, in order.

authenticate  a live session (401 INVALID_SESSION_ID), within the daily allocation and
              the long-running limit (403 REQUEST_LIMIT_EXCEEDED); not for public
              operations (the OAuth endpoints, the version list)
version       the path's ``v{version}`` is one served (31.0 to the current release), 410
              GONE for a retired one (7.0-30.0), else 404 NOT_FOUND
read          the body of a POST, PATCH or PUT (parsed as JSON when a handler asks)
validate      the declared query parameters, checked (Salesforce ignores others)
call          the operation's handler: ``handler(ctx, req)`` with the org's ``Ctx``,
              or ``handler(exchange)`` for a public operation (no org yet)
render        the ``Reply`` as JSON with exact decimals (no body for 204)

A composite subrequest runs validate and call through the same table
(:class:`Dispatcher`), so it behaves exactly as the request would over HTTP. Errors
answer Salesforce's array ``[{"message", "errorCode", "fields"}]``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from simulators.crm import errors as E
from simulators.crm.context import RELEASES, RETIRED, Ctx, Reply, Req
from simulators.crm.limits import over_long_running
from simulators.crm.org import org_of
from simulators.crm.params import param_error
from simulators.crm.vendor import REFUSED, SESSION
from simulators.crm.wire import dumps, loads_body
from simulators.engine import offload
from simulators.engine.asgi import Receive, Scope, Send, send_answer
from simulators.engine.operation import Operation
from simulators.engine.pipeline import (
    CheckQuery,
    Exchange,
    Pipeline,
    ReadBody,
    Step,
    StepFn,
    VendorExchange,
    check_query,
)
from simulators.engine.routing import FastDispatch, RouteTable

log = logging.getLogger("fintwin.crm")

JSON = b"application/json;charset=UTF-8"
# Seconds one request's composite subrequests may spend on queries in place (above).
INLINE_SECONDS = 0.05
_API = re.compile(r"^/(services/data/v|id(/|$))")
_VERSIONED = re.compile(r"^/services/data/v([^/]+)")


class CrmExchange(VendorExchange):
    __slots__ = ("ctx",)

    def __init__(self, op: Operation, scope: Scope, receive: Receive) -> None:
        super().__init__(op, scope, receive)
        self.ctx: Ctx | None = None


def answer(ex: Exchange, reply: Reply) -> None:
    """A reply as Salesforce writes it: JSON (exact decimals), or nothing for 204."""
    ex.status = reply.status
    for name, value in reply.headers.items():
        ex.headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    if reply.status == 204 or reply.body is None:
        ex.body, ex.content_type = b"", None
    elif isinstance(reply.body, bytes):  # CSV (Bulk API 2.0): its Content-Type in headers
        ex.body, ex.content_type = reply.body, None
    else:
        ex.body, ex.content_type = dumps(reply.body), JSON


def fail(ex: Exchange, exc: Exception) -> None:
    if not isinstance(exc, E.SfError):
        log.exception("crm operation %s failed", ex.op.operation_id, exc_info=exc)
        exc = E.SfError(500, E.UNKNOWN_EXCEPTION, "An unexpected error occurred.")
    answer(ex, Reply(exc.status, exc.items(), exc.headers))


class Authenticate(Step[CrmExchange]):
    name = "authenticate"

    def bind(self, op: Operation) -> StepFn[CrmExchange] | None:
        return None if op.public else authenticate


def authenticate(ex: CrmExchange) -> None:
    scope = ex.scope
    tenant = ex.tenant
    if tenant is None or scope.get(SESSION) != "ok":
        raise E.SfError(401, E.INVALID_SESSION_ID, "Session expired or invalid")
    if scope.get(REFUSED):
        raise E.SfError(403, E.REQUEST_LIMIT_EXCEEDED, "TotalRequests Limit exceeded.")
    if over_long_running(ex.sim, tenant, scope):
        raise E.SfError(403, E.REQUEST_LIMIT_EXCEEDED, "ConcurrentPerOrgLongTxn Limit exceeded.")


class Version(Step[CrmExchange]):
    name = "version"

    def bind(self, op: Operation) -> StepFn[CrmExchange] | None:
        if "version" not in op.path_names():
            return None

        since = op.extra.get("since")

        def run(ex: CrmExchange) -> None:
            version = ex.scope["path_params"]["version"]
            if version not in RELEASES:
                raise E.retired(version) if version in RETIRED else E.not_found()
            if since is not None and float(version) < since:
                raise E.not_found()  # the resource is younger than the version asked for
        return run


class Call(Step[CrmExchange]):
    name = "call"

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    def bind(self, op: Operation) -> StepFn[CrmExchange]:
        handler = op.handler
        if op.public:
            def public(ex: CrmExchange) -> None:
                answer(ex, handler(ex))
            return public
        dispatcher = self.dispatcher
        invoke = dispatcher.invoke

        def call(ex: CrmExchange) -> Any:
            tenant = ex.tenant
            assert tenant is not None
            raw = ex.raw
            parsed: list[Any] = []

            def body() -> Any:
                if not parsed:
                    parsed.append(loads_body(raw) if raw.strip() else None)
                return parsed[0]

            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in ex.scope["headers"]}
            ctx = ex.ctx = Ctx(ex.sim, tenant, org_of(tenant),
                               ex.scope["path_params"].get("version", ""), headers, invoke)
            dispatcher.inline_left = INLINE_SECONDS
            return handler(ctx, Req(ex.scope["method"], dict(ex.scope["path_params"]),
                                    ex.query, body, raw))

        if op.extra.get("offload"):
            async def heavy(ex: CrmExchange) -> None:
                answer(ex, await offload.settle(call(ex)))
            return heavy

        def light(ex: CrmExchange) -> None:
            answer(ex, call(ex))
        return light


class Dispatcher:
    """The operation table, for calls made inside the fake (composite subrequests)."""

    def __init__(self, ops: Iterable[Operation]) -> None:
        self.table: RouteTable[Operation] = RouteTable(
            [(op.method, op.path, op) for op in ops], collapse=True)
        # What the request being answered may still spend on queries in place. A handler
        # runs to its end without yielding the loop, so one attribute serves them all:
        # the call step sets it before each handler.
        self.inline_left = INLINE_SECONDS

    def not_routed(self, method: str, path: str) -> E.SfError:
        """405 when the path takes other methods, else 404."""
        allowed = self.table.methods_for(path)
        if not allowed:
            return E.not_found()
        listed = ",".join((["HEAD"] if "GET" in allowed else []) + allowed)
        return E.SfError(405, E.METHOD_NOT_ALLOWED,
                         f"HTTP Method '{method}' not allowed. Allowed are {listed}")

    def invoke(self, ctx: Ctx, method: str, path: str, query: dict[str, str],
               body: Callable[[], Any]) -> Reply:
        found = self.table.match(method, path)
        if found is None or found[0].public:
            raise self.not_routed(method, path)
        op, params = found
        reply = op.handler(ctx, Req(method, params, check_query(op, query, param_error), body))
        if isinstance(reply, offload.Deferred):
            # A composite subrequest's query runs in place, on the event loop: all of one
            # request's queries share INLINE_SECONDS (then QUERY_TIMEOUT), so that a
            # composite of 25 heavy queries cannot hold up every other org.
            started = time.monotonic()
            try:
                reply = reply.now(max(self.inline_left, 0.0))
            finally:
                self.inline_left -= time.monotonic() - started
        assert isinstance(reply, Reply)
        return reply


def pipeline(ops: Iterable[Operation]) -> tuple[Pipeline[CrmExchange], Dispatcher]:
    ops = list(ops)
    dispatcher = Dispatcher(ops)
    steps = [Authenticate(), Version(), ReadBody(("POST", "PATCH", "PUT")), CheckQuery(param_error),
             Call(dispatcher)]
    return Pipeline(steps, start=CrmExchange, fail=fail, collapse=True), dispatcher


UNROUTED = Operation(method="*", path="*", operation_id="unrouted", summary="",
                     handler=lambda ex: None)


def app(ops: Iterable[Operation]) -> FastDispatch:
    """The CRM's vendor app: each operation's endpoint, and Salesforce's 401, 404 and 405
    for a request no operation takes (after authentication, for a path under the API)."""
    ops = list(ops)
    steps, dispatcher = pipeline(ops)

    def fallback(routes: Any) -> Callable[[Scope, Receive, Send], Any]:
        async def unrouted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                return
            ex = CrmExchange(UNROUTED, scope, receive)
            path, method = scope["path"], scope["method"]
            try:
                if _API.match(path):
                    authenticate(ex)
                versioned = _VERSIONED.match(path)
                if versioned and versioned.group(1) in RETIRED:
                    raise E.retired(versioned.group(1))
                raise dispatcher.not_routed(method, path)
            except Exception as exc:
                fail(ex, exc)
            await send_answer(send, ex.status, ex.body, ex.headers, ex.content_type,
                              head=method == "HEAD")
        return unrouted

    return steps.app(ops, fallback)
