"""How the ERP fake answers a request: NetSuite's steps, in order.

authenticate  a live bearer token of the account, else 401 INVALID_LOGIN (not for the
              token endpoint)
read          the request body
defer         ``Prefer: respond-async`` on an operation that allows it: queued as a job,
              202 with its Location (``jobs``); the rest runs when the job does
validate      the declared query parameters, checked (NetSuite's INVALID_PARAMETER)
serve         the operation's service time, drawn from the seed and scaled by
              ``SimSettings.service_time`` (0: off), during which the request holds its
              concurrency slot (``engine.service_time``, ``service_times``)
call          the operation's handler: ``handler(ctx, req) -> Reply``, or
              ``handler(exchange)`` for the public token endpoint

An async job runs validate and call later through the same table (``Ctx.invoke``), so
it answers exactly as the request would have.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from simulators.engine import offload
from simulators.engine.asgi import Receive, Scope
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
from simulators.engine.routing import FastDispatch
from simulators.engine.service_time import Serve
from simulators.engine.vendor import header
from simulators.erp import auth, jobs
from simulators.erp.context import Ctx
from simulators.erp.errors import InvalidLogin, NetSuiteError, ServiceError
from simulators.erp.params import param_error
from simulators.erp.suiteql import SuiteQLError
from simulators.erp.wire import Reply, Req, error_reply, json_reply

log = logging.getLogger("fintwin.erp")


class ErpExchange(VendorExchange):
    __slots__ = ("ctx",)

    def __init__(self, op: Operation, scope: Scope, receive: Receive) -> None:
        super().__init__(op, scope, receive)
        self.ctx: Ctx | None = None


def answer(ex: Exchange, reply: Reply) -> None:
    ex.status, ex.body, ex.content_type = reply.status, reply.body, reply.content_type
    ex.headers.extend((k.lower().encode("latin-1"), v.encode("latin-1"))
                      for k, v in reply.headers.items())


def failed(exc: Exception, op: Operation) -> Reply:
    """Any failure as NetSuite answers it (a bug in the fake as a 500 in the envelope)."""
    if isinstance(exc, NetSuiteError):
        return error_reply(exc)
    if isinstance(exc, SuiteQLError):
        return json_reply(exc.to_body(), 400)
    log.exception("erp operation %s failed", op.operation_id, exc_info=exc)
    return error_reply(ServiceError("An unexpected error occurred."))


def answered(deferred: offload.Deferred[Any, Reply], op: Operation
             ) -> offload.Deferred[Any, Reply]:
    """``deferred`` with its failures answered as NetSuite answers them (a job's result)."""
    def work() -> Any:
        try:
            return deferred.work()
        except Exception as exc:
            return _Failed(exc)

    def finish(result: Any) -> Reply:
        if isinstance(result, _Failed):
            return failed(result.exc, op)
        try:
            return deferred.finish(result)
        except Exception as exc:
            return failed(exc, op)
    return offload.Deferred(work, finish, deferred.tenant)


class _Failed:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc


def fail(ex: Exchange, exc: Exception) -> None:
    answer(ex, failed(exc, ex.op))


def base_url(ex: ErpExchange) -> str:
    if ex.sim.settings.base_url:
        return ex.sim.settings.base_url.rstrip("/")
    host = header(ex.scope, b"host")
    return f"{ex.scope.get('scheme', 'http')}://{host.decode('latin-1') if host else 'localhost'}"


class Authenticate(Step[ErpExchange]):
    name = "authenticate"

    def __init__(self, invoke: Callable[[Ctx, str, Req], Reply | offload.Deferred[Any, Reply]]
                 ) -> None:
        self.invoke = invoke

    def bind(self, op: Operation) -> StepFn[ErpExchange] | None:
        if op.public:
            return None
        invoke = self.invoke

        def run(ex: ErpExchange) -> None:
            tenant = ex.tenant
            value = header(ex.scope, b"authorization") or b""
            scheme, _, token = value.decode("latin-1").partition(" ")
            bearer = token.strip() if scheme.lower() == "bearer" else ""
            if tenant is None or not auth.valid(tenant, bearer):
                raise InvalidLogin()
            ex.ctx = Ctx(ex.sim, tenant, base_url(ex), invoke)
        return run


def request(ex: ErpExchange) -> Req:
    """The request as a handler (or a job, later) takes it; ``query`` as sent."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in ex.scope["headers"]}
    return Req(ex.scope["method"], dict(ex.scope["path_params"]), ex.query, ex.raw, headers)


class Defer(Step[ErpExchange]):
    """``Prefer: respond-async`` (Oracle, "REST Web Services Request Processing")."""

    name = "defer"

    def bind(self, op: Operation) -> StepFn[ErpExchange] | None:
        if not op.extra.get("respond_async"):
            return None

        def run(ex: ErpExchange) -> bool:
            prefer = header(ex.scope, b"prefer")
            if prefer is None or b"respond-async" not in prefer.lower():
                return False
            assert ex.ctx is not None
            answer(ex, jobs.submit(ex.ctx, op.operation_id, request(ex)))
            return True
        return run


class Call(Step[ErpExchange]):
    name = "call"

    def bind(self, op: Operation) -> StepFn[ErpExchange]:
        handler = op.handler
        if op.public:
            def public(ex: ErpExchange) -> None:
                answer(ex, handler(ex))
            return public

        if op.extra.get("offload"):
            async def heavy(ex: ErpExchange) -> None:
                assert ex.ctx is not None
                answer(ex, await offload.settle(handler(ex.ctx, request(ex))))
            return heavy

        def call(ex: ErpExchange) -> None:
            assert ex.ctx is not None
            answer(ex, handler(ex.ctx, request(ex)))
        return call


def pipeline(ops: Iterable[Operation], service_time: float = 0.0) -> Pipeline[ErpExchange]:
    table = {op.operation_id: op for op in ops}

    def invoke(ctx: Ctx, operation_id: str, req: Req) -> Reply | offload.Deferred[Any, Reply]:
        """Run an operation's validate and call now (an async job's request)."""
        op = table[operation_id]
        try:
            req.query = check_query(op, req.query, param_error)
            reply = op.handler(ctx, req)
        except Exception as exc:
            return failed(exc, op)
        if isinstance(reply, offload.Deferred):
            return answered(reply, op)  # the job runs it (jobs.execute)
        assert isinstance(reply, Reply)
        return reply

    # Every method but GET and HEAD has its body read (a DELETE's too: the journal's digest).
    steps = [Authenticate(invoke), ReadBody(("POST", "PUT", "PATCH", "DELETE")), Defer(),
             CheckQuery(param_error), Serve(service_time), Call()]
    return Pipeline(steps, start=ErpExchange, fail=fail)


def app(ops: Iterable[Operation], fallback: Callable[[list[Any]], Any],
        service_time: float = 0.0) -> FastDispatch:
    """The ERP's vendor app: each operation's endpoint; ``fallback(routes)`` for the rest;
    ``service_time`` scales the operations' modelled service times (0: off)."""
    ops = list(ops)
    return pipeline(ops, service_time).app(ops, fallback)
