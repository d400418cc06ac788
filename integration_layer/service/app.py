"""The HTTP face of the service: webhook receivers, admin API, health and metrics.

Routes:
- ``POST /webhooks/billing/{connection}`` — Stripe-signed events (Stripe-Signature).
- ``POST /webhooks/crm/{connection}`` — signed CRM change events (X-Fintwin-Signature).
  Both answer 200 only after the event is stored in the inbox (a duplicate too: it is
  acknowledged so that the vendor stops retrying), 400 on a bad signature.
- ``GET /health``; ``GET /metrics`` (Prometheus); ``GET /openapi.json`` (this API as
  OpenAPI 3.1: ``openapi.py``).
- ``POST /admin/connections``, ``GET /admin/dlq``, ``POST /admin/replay``,
  ``POST /admin/reconcile``, ``GET /admin/stats``, ``GET /admin/idle`` (pending work:
  the idle probe), ``GET /flows/{id}`` — behind
  ``FINTWIN_ADMIN_TOKEN`` (``Authorization: Bearer``) when one is set.
"""

from __future__ import annotations

import contextlib
import hmac
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from integration_layer.clients.errors import VendorError
from integration_layer.service import openapi
from integration_layer.service.config import Connection, ServiceConfig
from integration_layer.service.flows.dispatch import billing_entity
from integration_layer.service.inbox import InboundEvent
from integration_layer.service.links import flow_steps
from integration_layer.service.reconcile import reconcile
from integration_layer.service.runtime import Service, crm_event, new_flow_id
from integration_layer.service.signatures import BadSignature, verify


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message}}, status)


# A webhook body the receivers read at most: Stripe's events are a few KB, at most a few
# hundred (an invoice with many lines); a CRM change event is smaller.
WEBHOOK_MAX_BYTES = 1024 * 1024


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


async def _limited_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is longer than ``limit`` (the rest unread)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(cfg: ServiceConfig, *, transport: httpx.AsyncBaseTransport | None = None,
               workers: bool = True) -> Starlette:
    service = Service(cfg, transport=transport)

    def authorised(request: Request) -> bool:
        token = cfg.admin_token
        if not token:
            return True
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given, token)

    async def _body_json(request: Request) -> tuple[bytes, dict[str, Any] | None]:
        raw = await request.body()
        return raw, _json_object(raw)

    async def _signed(request: Request, header: str, secret_of: Any
                      ) -> tuple[str, dict[str, Any]] | Response:
        """The connection id and the verified JSON event, or the error to answer. At most
        ``WEBHOOK_MAX_BYTES`` of body are read, before the signature is checked (issue 18:
        a body of any size was read first)."""
        conn_id = request.path_params["connection"]
        conn = await service.connection(conn_id)
        if conn is None:
            return _error(404, "unknown_connection", f"no connection {conn_id!r}")
        raw = await _limited_body(request, WEBHOOK_MAX_BYTES)
        if raw is None:
            return _error(413, "body_too_large",
                          f"a webhook body is at most {WEBHOOK_MAX_BYTES} bytes")
        event = _json_object(raw)
        try:
            verify(request.headers.get(header), raw, secret_of(conn), now=time.time(),
                   tolerance=cfg.webhook_tolerance)
        except BadSignature as exc:
            return _error(400, "bad_signature", str(exc))
        if event is None:
            return _error(400, "bad_event", "the body is not a JSON object")
        return conn_id, event

    def _ack(new: bool) -> Response:
        # Acknowledged only once stored; a duplicate too, so the sender stops retrying.
        return _json({"received": True, "duplicate": not new})

    async def billing_webhook(request: Request) -> Response:
        signed = await _signed(request, "stripe-signature", lambda c: c.billing.webhook_secret)
        if isinstance(signed, Response):
            return signed
        conn_id, event = signed
        if not isinstance(event.get("id"), str):
            return _error(400, "bad_event", "the body is not a Stripe event")
        obj = (event.get("data") or {}).get("object") or {}
        flow = await service.flow_for_billing_event(conn_id, obj) or new_flow_id()
        return _ack(await service.receive(InboundEvent(
            conn_id, "billing", event["id"], str(event.get("type")), billing_entity(event),
            event, flow)))

    async def crm_webhook(request: Request) -> Response:
        signed = await _signed(request, "x-fintwin-signature", lambda c: c.crm.webhook_secret)
        if isinstance(signed, Response):
            return signed
        conn_id, event = signed
        if "payload" not in event:
            return _error(400, "bad_event", "the body is not a change event")
        return _ack(await service.receive(crm_event(conn_id, event, new_flow_id())))

    async def health(request: Request) -> Response:
        return _json({"status": "ok", "variant": service.variant.name,
                      "connections": len(service.connections)})

    spec = orjson.dumps(openapi.document())

    async def openapi_doc(request: Request) -> Response:
        return Response(spec, media_type="application/json")

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(service.metrics.render(),
                                 media_type="text/plain; version=0.0.4")

    def admin(handler: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            if not authorised(request):
                return _error(401, "unauthorized", "admin token required")
            result: Response = await handler(request)
            return result
        return wrapped

    async def add_connection(request: Request) -> Response:
        _, data = await _body_json(request)
        if data is None:
            return _error(400, "bad_request", "a JSON object is required")
        try:
            conn = Connection.from_dict(data)
        except ValueError as exc:
            return _error(400, "invalid_connection", str(exc))
        existing = await service.connection(conn.id)
        if existing is not None and existing.to_dict() != conn.to_dict() and not cfg.admin_token:
            # Without an admin token anyone who reaches the service could rewrite a
            # connection's webhook secret and then have forged events accepted (issue 18).
            # The same body again is fine (a harness setting up twice).
            return _error(409, "connection_exists",
                          f"connection {conn.id!r} exists; changing it needs the service's "
                          "admin token (FINTWIN_ADMIN_TOKEN)")
        await service.add_connection(conn)
        return _json({"id": conn.id, "webhooks": {
            "billing": f"/webhooks/billing/{conn.id}", "crm": f"/webhooks/crm/{conn.id}"}},
            201)

    async def dlq(request: Request) -> Response:
        assert service.inbox is not None
        rows = await service.inbox.parked(request.query_params.get("connection"))
        return _json({"data": rows, "count": len(rows)})

    async def replay(request: Request) -> Response:
        assert service.inbox is not None
        _, data = await _body_json(request)
        data = data or {}
        ids = data.get("ids")
        if ids is not None and (not isinstance(ids, list)
                                or not all(isinstance(i, int) for i in ids)):
            return _error(400, "bad_request", "ids: a list of integers is required")
        if not isinstance(data.get("connection"), str | None):
            return _error(400, "bad_request", "connection: a string is required")
        count = await service.inbox.replay(data.get("connection"), ids)
        service.metrics.inc("fintwin_il_replayed_total", count)
        service._wake.set()
        return _json({"replayed": count})

    async def stats(request: Request) -> Response:
        assert service.inbox is not None
        counts = await service.inbox.counts(request.query_params.get("connection"))
        return _json({"inbox": counts, "variant": service.variant.name})

    async def idle(request: Request) -> Response:
        """The idle probe (manifest ``[admin].idle``): the work not finished yet, for one
        connection or all. A harness settles a run when this says 0 and the fakes'
        webhook outboxes are empty, rather than after a quiet spell."""
        assert service.inbox is not None
        found = await service.inbox.pending(request.query_params.get("connection"))
        return _json({"idle": found["pending"] == 0, **found})

    async def flow(request: Request) -> Response:
        assert service.db is not None
        flow_id = request.path_params["flow_id"]
        steps = await flow_steps(service.db, flow_id)
        events = await service.db.fetchall(
            "SELECT id, source, event_id, type, status, reason, attempts, received, finished"
            " FROM inbox WHERE flow_id = ? ORDER BY id", (flow_id,))
        if not steps and not events:
            return _error(404, "not_found", f"no flow {flow_id!r}")
        return _json({"id": flow_id, "events": events, "steps": steps})

    async def reconcile_route(request: Request) -> Response:
        _, data = await _body_json(request)
        data = data or {}
        for name in ("since", "until"):
            if not isinstance(data.get(name), int | None) or isinstance(data.get(name), bool):
                return _error(400, "bad_request", f"{name}: an integer (unix time) is required")
        if not isinstance(data.get("connection"), str | None):
            return _error(400, "bad_request", "connection: a string is required")
        conn_id = data.get("connection") or next(iter(service.connections), None)
        if conn_id not in service.connections:
            return _error(400, "unknown_connection", f"no connection {conn_id!r}")
        try:
            report = await reconcile(service.vendors_of(str(conn_id)), service.parts,
                                     since=data.get("since"), until=data.get("until"))
        except VendorError as exc:
            # A vendor the connection names could not be read: the service is fine.
            return _error(502, "vendor_error", str(exc)[:500])
        return _json(report)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start(workers=workers)
        try:
            yield
        finally:
            await service.stop()

    routes = [
        Route("/webhooks/billing/{connection}", billing_webhook, methods=["POST"]),
        Route("/webhooks/crm/{connection}", crm_webhook, methods=["POST"]),
        Route("/health", health), Route("/metrics", metrics),
        Route("/openapi.json", openapi_doc),
        Route("/admin/connections", admin(add_connection), methods=["POST"]),
        Route("/admin/dlq", admin(dlq)),
        Route("/admin/replay", admin(replay), methods=["POST"]),
        Route("/admin/reconcile", admin(reconcile_route), methods=["POST"]),
        Route("/admin/stats", admin(stats)),
        Route("/admin/idle", admin(idle)),
        Route("/flows/{flow_id}", admin(flow)),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.service = service
    return app


INPROCESS_BREAKER_RESET = 2.0  # seconds (ServiceConfig's default is 30)


def create_inprocess_app(config: dict[str, Any],
                         transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """The manifest's in-process factory. ``config`` holds the manifest's logical
    settings (the keys of its ``[env]`` table); vendor settings, when all there, make
    the default connection, as the environment variables would."""
    env_names = {"crm_base_url": "FINTWIN_CRM_URL", "crm_client_id": "FINTWIN_CRM_CLIENT_ID",
                 "crm_client_secret": "FINTWIN_CRM_CLIENT_SECRET",
                 "crm_webhook_secret": "FINTWIN_CRM_WEBHOOK_SECRET",
                 "billing_base_url": "FINTWIN_BILLING_URL",
                 "billing_api_key": "FINTWIN_BILLING_API_KEY",
                 "billing_webhook_secret": "FINTWIN_BILLING_WEBHOOK_SECRET",
                 "erp_base_url": "FINTWIN_ERP_URL", "erp_account_id": "FINTWIN_ERP_ACCOUNT_ID",
                 "erp_client_id": "FINTWIN_ERP_CLIENT_ID",
                 "erp_client_secret": "FINTWIN_ERP_CLIENT_SECRET",
                 "connection_id": "FINTWIN_CONNECTION", "ca_bundle": "FINTWIN_CA_BUNDLE",
                 "database_url": "FINTWIN_DATABASE_URL", "admin_token": "FINTWIN_ADMIN_TOKEN",
                 "seed": "FINTWIN_SEED", "variant": "FINTWIN_VARIANT",
                 "workers": "FINTWIN_WORKERS"}
    env = {env_names[k]: str(v) for k, v in config.items() if k in env_names and v is not None}
    # In process a fake's outage lasts seconds of test time, not a vendor incident's
    # minutes: a short cool-down lets the run drain soon after the fake recovers.
    overrides: dict[str, Any] = {
        "poll_seconds": float(config.get("poll_seconds", 0.5)),
        "breaker_reset_seconds": float(config.get("breaker_reset_seconds",
                                                  INPROCESS_BREAKER_RESET))}
    if "database_url" not in config:
        overrides["database_url"] = "sqlite://:memory:"
    return create_app(ServiceConfig.load(env=env, overrides=overrides), transport=transport)


__all__ = ["JSONResponse", "create_app", "create_inprocess_app"]
