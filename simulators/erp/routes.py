"""Starlette routes of the NetSuite-shaped API: auth, records, SuiteQL, governance, jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulators.engine.runtime import Simulation
from simulators.engine.tenancy import Tenant
from simulators.erp import auth, jobs
from simulators.erp.context import RECORD_PATH, Ctx
from simulators.erp.errors import InvalidLogin, NetSuiteError, OAuthError
from simulators.erp.handlers import HANDLERS, Handler, Reply, Req, error_reply, run

ASYNC_OPS = {"create", "get", "update", "upsert", "delete", "list", "suiteql", "sublist"}


def base_url(request: Request) -> str:
    sim: Simulation = request.scope["fintwin.sim"]
    if sim.settings.base_url:
        return sim.settings.base_url.rstrip("/")
    host = request.headers.get("host") or "localhost"
    return f"{request.url.scheme}://{host}"


def to_response(reply: Reply) -> Response:
    return Response(reply.body, reply.status, headers=reply.headers)


def _bearer(request: Request) -> str:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def context(request: Request) -> Ctx:
    """The caller's account, or INVALID_LOGIN (no, unknown or expired token)."""
    sim: Simulation = request.scope["fintwin.sim"]
    tenant: Tenant | None = request.scope.get("fintwin.tenant")
    if tenant is None or not auth.valid(tenant, _bearer(request)):
        raise InvalidLogin()
    return Ctx(sim, tenant, base_url(request))


def endpoint(op: str) -> Callable[[Request], Awaitable[Response]]:
    handler: Handler = HANDLERS[op]

    async def serve(request: Request) -> Response:
        try:
            ctx = context(request)
        except NetSuiteError as exc:
            return to_response(error_reply(exc))
        req = Req(
            request.method,
            dict(request.path_params),
            dict(request.query_params),
            await request.body(),
            {k.lower(): v for k, v in request.headers.items()},
        )
        prefer = req.headers.get("prefer", "").lower()
        if op in ASYNC_OPS and "respond-async" in prefer:
            try:
                return to_response(jobs.submit(ctx, op, req))
            except NetSuiteError as exc:
                return to_response(error_reply(exc))
        return to_response(run(handler, ctx, req))

    return serve


def job_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        try:
            ctx = context(request)
        except NetSuiteError as exc:
            return to_response(error_reply(exc))
        req = Req(request.method, dict(request.path_params), dict(request.query_params))
        return to_response(run(handler, ctx, req))

    return serve


async def token(request: Request) -> Response:
    sim: Simulation = request.scope["fintwin.sim"]
    headers = {"cache-control": "no-store", "pragma": "no-cache"}
    try:
        form = auth.parse_form(await request.body())
        basic = auth.basic_credentials(request.headers.get("authorization"))
        account, client_id = auth.authenticate(sim, form, basic)
    except OAuthError as exc:
        return Response(exc.render(), exc.status, media_type="application/json", headers=headers)
    tenant = sim.tenants.get_or_create(account)
    issued = auth.issue(tenant, client_id)
    from simulators.erp.vendor import NetSuiteVendor

    vendor = sim.vendor
    assert isinstance(vendor, NetSuiteVendor)
    vendor.remember(issued["access_token"], tenant.id)
    sim.persist_header(tenant)
    return Response(orjson.dumps(issued), 200, media_type="application/json", headers=headers)


def routes() -> list[BaseRoute]:
    record = RECORD_PATH
    job = jobs.JOB_PATH
    return [
        Route(auth.TOKEN_PATH, token, methods=["POST"]),
        Route(f"{record}/{{type}}", endpoint("list"), methods=["GET"]),
        Route(f"{record}/{{type}}", endpoint("create"), methods=["POST"]),
        Route(f"{record}/{{type}}/{{key}}", endpoint("get"), methods=["GET"]),
        Route(f"{record}/{{type}}/{{key}}", endpoint("update"), methods=["PATCH"]),
        Route(f"{record}/{{type}}/{{key}}", endpoint("upsert"), methods=["PUT"]),
        Route(f"{record}/{{type}}/{{key}}", endpoint("delete"), methods=["DELETE"]),
        Route(f"{record}/{{type}}/{{key}}/{{sublist}}", endpoint("sublist"), methods=["GET"]),
        Route("/services/rest/query/v1/suiteql", endpoint("suiteql"), methods=["POST"]),
        Route("/services/rest/system/v1/governanceLimits", endpoint("governance"), methods=["GET"]),
        Route(f"{job}/{{job}}", job_endpoint(jobs.get_job), methods=["GET"]),
        Route(f"{job}/{{job}}/task", job_endpoint(jobs.list_tasks), methods=["GET"]),
        Route(f"{job}/{{job}}/task/{{task}}", job_endpoint(jobs.get_task), methods=["GET"]),
        Route(
            f"{job}/{{job}}/task/{{task}}/result", job_endpoint(jobs.get_result), methods=["GET"]
        ),
    ]
