"""The CRM's ASGI app: authentication, API version routing and the error envelope around
the REST dispatcher, plus the OAuth token endpoint.

Every route under ``/services/data/vXX.X/`` needs a live bearer token: none, an unknown
one or an expired one answers 401 ``[{"message": "Session expired or invalid",
"errorCode": "INVALID_SESSION_ID"}]`` (REST API Developer Guide, "Status Codes and Error
Responses"). Versions outside the served range answer 404 NOT_FOUND like Salesforce does
for a version it does not have.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from simulators.crm import errors as E
from simulators.crm.api import RELEASES, Ctx, Reply, dispatch, versions
from simulators.crm.auth import OAuthError, issue, revoke, session
from simulators.crm.limits import arrived, finished, over_long_running
from simulators.crm.org import org_of
from simulators.crm.vendor import REFUSED, SESSION
from simulators.crm.wire import dumps, loads_body
from simulators.engine.middleware import ASGIApp, Receive, Send
from simulators.engine.runtime import Simulation
from simulators.engine.tenancy import Tenant

log = logging.getLogger("fintwin.crm")

JSON = "application/json;charset=UTF-8"
_VERSION = re.compile(r"^v(\d{2}\.\d)$")


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if status == 204 or body is None:
        return Response(status_code=status, headers=headers)
    return Response(dumps(body), status, headers=headers, media_type=JSON)


def _error(exc: E.SfError) -> Response:
    return _json(exc.status, exc.items(), exc.headers or None)


def base_url(sim: Simulation, request: Request) -> str:
    if sim.settings.base_url:
        return sim.settings.base_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


class CrmApp:
    """The vendor app the engine's middleware wraps."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await self._handle(request)
        except E.SfError as exc:
            response = _error(exc)
        if request.method == "HEAD":
            response.body = b""
        await response(scope, receive, send)

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        parts = path.split("/")[1:]
        if parts[:2] == ["services", "oauth2"]:
            return await self._oauth(request, parts[2:])
        if parts[:2] != ["services", "data"] and parts[:1] != ["id"]:
            raise E.not_found()
        if parts[:2] == ["services", "data"] and all(p == "" for p in parts[2:]):
            return _json(200, versions())
        tenant = self._authenticated(request)
        if parts[0] == "id":
            return _json(
                200,
                {
                    "organization_id": tenant.id,
                    "user_id": tenant.meta.get("user_id"),
                    "username": f"admin@{tenant.id.lower()}.fintwin.example",
                },
            )
        match = _VERSION.match(parts[2])
        if match is None or match.group(1) not in RELEASES:
            raise E.not_found()
        raw = await request.body() if request.method in ("POST", "PATCH", "PUT") else b""
        cache: list[Any] = []

        def body() -> Any:
            if not cache:
                cache.append(loads_body(raw) if raw.strip() else None)
            return cache[0]

        ctx = Ctx(
            self.sim,
            tenant,
            org_of(tenant),
            match.group(1),
            {k.lower(): v for k, v in request.headers.items()},
        )
        reply: Reply = dispatch(ctx, request.method, parts[3:], dict(request.query_params), body)
        return _json(reply.status, reply.body, reply.headers or None)

    def _authenticated(self, request: Request) -> Tenant:
        scope = request.scope
        tenant: Tenant | None = scope.get("fintwin.tenant")
        if tenant is None or scope.get(SESSION) != "ok":
            raise E.SfError(401, E.INVALID_SESSION_ID, "Session expired or invalid")
        if scope.get(REFUSED):
            raise E.SfError(403, E.REQUEST_LIMIT_EXCEEDED, "TotalRequests Limit exceeded.")
        if over_long_running(self.sim, tenant, scope):
            raise E.SfError(
                403, E.REQUEST_LIMIT_EXCEEDED, "ConcurrentPerOrgLongTxn Limit exceeded."
            )
        return tenant

    async def _oauth(self, request: Request, rest: list[str]) -> Response:
        endpoint = "/".join(p for p in rest if p)
        if endpoint == "token" and request.method == "POST":
            try:
                body = issue(
                    self.sim, request.scope, await request.body(), base_url(self.sim, request)
                )
            except OAuthError as exc:
                return _json(exc.status, exc.body())
            return _json(200, body)
        if endpoint == "revoke" and request.method == "POST":
            form = await request.form()
            token = str(form.get("token") or request.query_params.get("token") or "")
            found = session(self.sim, token)
            if found is None:
                return _json(
                    400,
                    {
                        "error": "unsupported_token_type",
                        "error_description": "this token type is not supported",
                    },
                )
            revoke(found[0], token)
            return Response(status_code=200)
        raise E.not_found()


class LongRunningTracker:
    """Outermost layer: notes when each API request arrived and when it finished, so the
    concurrent long-running limit sees time spent in injected latency too."""

    def __init__(self, app: ASGIApp, sim: Simulation) -> None:
        self.app = app
        self.sim = sim
        self._keys = itertools.count(1)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/services/data/"):
            await self.app(scope, receive, send)
            return
        tenant_id = self.sim.vendor.identify(self.sim, scope)
        tenant = self.sim.tenants.get(tenant_id) if tenant_id else None
        if tenant is None:
            await self.app(scope, receive, send)
            return
        key = next(self._keys)
        scope["crm.inflight_key"] = key
        arrived(tenant, key, time.monotonic())
        try:
            await self.app(scope, receive, send)
        finally:
            finished(tenant, key)
