"""The control plane under /_sim/: what a harness (not a vendor client) uses.

Health, reset, state snapshot/restore, faults, clock, request journal, webhook
delivery log and replay, subscriptions for vendors with no API for them, and
metrics. Locked with X-Sim-Admin-Token when the fake has an admin token
(health stays open for readiness probes; it reveals nothing).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import orjson
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from simulators.engine.clock import parse_instant
from simulators.engine.credentials import new_secret
from simulators.engine.delivery import ATTEMPTS, OUTBOX, control_plane_url
from simulators.engine.faults.durations import parse_duration
from simulators.engine.faults.plan import FaultPlan, PlanError, profile_names
from simulators.engine.journal import ALL_TENANTS, DETAIL_DEFAULT_LIMIT
from simulators.engine.openapi import Operation, json_body, json_response, query_param
from simulators.engine.runtime import Simulation
from simulators.engine.tenancy import Tenant

SUBSCRIPTIONS = "_subscription"


class ControlError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def jsonr(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data, default=str), status, media_type="application/json")


def sim_of(request: Request) -> Simulation:
    sim: Simulation = request.scope["fintwin.sim"]
    return sim


def tenant_of(request: Request, *, create: bool = True) -> Tenant:
    """The tenant named by ?tenant= (an id, or a credential the vendor resolves)."""
    sim = sim_of(request)
    ref = request.query_params.get("tenant") or request.headers.get("x-sim-tenant")
    if not ref:
        raise ControlError(400, "Missing required parameter: tenant", "tenant")
    tenant_id = sim.vendor.resolve_tenant_ref(sim, ref)
    tenant = sim.tenants.get_or_create(tenant_id) if create else sim.tenants.get(tenant_id)
    if tenant is None:
        raise ControlError(404, f"No such tenant: {ref}", "tenant")
    return tenant


async def body_json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ControlError(400, f"Body is neither JSON nor YAML: {exc}", "body") from exc


async def health(request: Request) -> Response:
    sim = sim_of(request)
    return jsonr({"status": "ok", "simulator": sim.vendor.name, "tenants": len(sim.tenants)})


async def reset(request: Request) -> Response:
    sim = sim_of(request)
    ref = request.query_params.get("tenant")
    sim.reset(sim.vendor.resolve_tenant_ref(sim, ref) if ref else None)
    return jsonr({"reset": ref or "all"})


async def tenants(request: Request) -> Response:
    sim = sim_of(request)
    return jsonr({"data": [{"id": t.id, "clock": t.clock.to_json(),
                            "objects": {k: len(c) for k, c in t.store.collections.items()}}
                           for t in sim.tenants]})


async def get_state(request: Request) -> Response:
    """The tenant's snapshot. Without an admin token (anyone on the network can ask)
    the vendor's credentials and secrets are left out: its access tokens and signing
    secrets would let the caller act as the tenant or forge its webhooks. Restoring such
    a snapshot keeps everything else; its clients sign in again."""
    sim = sim_of(request)
    snapshot = tenant_of(request, create=False).snapshot()
    if not sim.settings.admin_token:
        snapshot = redacted(snapshot, sim.vendor.secret_kinds, sim.vendor.secret_fields)
    return jsonr(snapshot)


def redacted(snapshot: dict[str, Any], kinds: tuple[str, ...], fields: tuple[str, ...]
             ) -> dict[str, Any]:
    store = {kind: records for kind, records in snapshot["store"].items() if kind not in kinds}
    if fields:
        store = {kind: [{k: v for k, v in record.items() if k not in fields}
                        if any(f in record for f in fields) else record
                        for record in records]
                 for kind, records in store.items()}
    return {**snapshot, "store": store, "redacted": {"kinds": list(kinds),
                                                     "fields": list(fields)}}


def check_snapshot(data: dict[str, Any]) -> None:
    """A tenant snapshot's shape, as GET /_sim/state gives it, or a 400 naming the field
    (issue 18: a malformed store answered 500)."""
    store = data["store"]
    if not isinstance(store, dict):
        raise ControlError(400, "'store' must be an object of kind -> list of records", "store")
    for kind, records in store.items():
        if not isinstance(records, list):
            raise ControlError(400, f"'store.{kind}' must be a list of records", f"store.{kind}")
        for n, record in enumerate(records):
            if not isinstance(record, dict) or not isinstance(record.get("id"), str | int):
                raise ControlError(400, f"'store.{kind}[{n}]' must be a record with an 'id'",
                                   f"store.{kind}[{n}]")
    clock = data.get("clock", {})
    if not isinstance(clock, dict) or not all(
            isinstance(v, int | float | type(None)) and not isinstance(v, bool)
            for v in (clock.get("frozen_at"), clock.get("offset"))):
        raise ControlError(400, "'clock' must be an object with numeric 'frozen_at' and "
                           "'offset'", "clock")
    counters = data.get("counters", {})
    if not isinstance(counters, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in counters.values()):
        raise ControlError(400, "'counters' must be an object of integers", "counters")
    if not isinstance(data.get("meta", {}), dict):
        raise ControlError(400, "'meta' must be an object", "meta")


async def put_state(request: Request) -> Response:
    sim = sim_of(request)
    data = await body_json(request)
    if not isinstance(data, dict) or "store" not in data:
        raise ControlError(400, "A snapshot needs 'store' (as GET /_sim/state returns)", "store")
    ref = request.query_params.get("tenant") or data.get("id")
    if not ref:
        raise ControlError(400, "Missing required parameter: tenant", "tenant")
    data = dict(data, id=sim.vendor.resolve_tenant_ref(sim, str(ref)))
    check_snapshot(data)
    before = sim.tenants.get(data["id"])
    try:
        tenant = sim.restore_tenant(data)
    except Exception as exc:
        # A snapshot of the right shape the fake still cannot load (a record without the
        # fields its kind needs): the tenant stays as it was, nothing is kept.
        if before is not None:
            sim.tenants.adopt(before)
        else:
            sim.tenants.drop(data["id"])
        raise ControlError(400, f"The snapshot cannot be restored: {type(exc).__name__}: "
                           f"{str(exc)[:200]}", "store") from None
    if sim.statedir is not None:
        sim.statedir.compact(sim.snapshot())
    sim.deliveries.rebuild()
    return jsonr({"restored": tenant.id, "objects": {k: len(c) for k, c in
                                                     tenant.store.collections.items()}})


async def get_faults(request: Request) -> Response:
    sim = sim_of(request)
    return jsonr({"plan": sim.faults.plan.to_json(), "limits_enabled": sim.faults.limits_enabled,
                  "limits": [r.to_json() for r in sim.faults.limits],
                  "profiles": profile_names()})


async def put_faults(request: Request) -> Response:
    sim = sim_of(request)
    data = await body_json(request)
    try:
        if isinstance(data, dict) and set(data) == {"profile"}:
            plan = FaultPlan.load_profile(str(data["profile"]))
        else:
            plan = FaultPlan.parse(data)
    except PlanError as exc:
        raise ControlError(400, str(exc), "plan") from exc
    sim.faults.install(plan)
    sim.persist_global("fault_plan", plan.source)
    return jsonr({"plan": plan.to_json()})


async def delete_faults(request: Request) -> Response:
    sim = sim_of(request)
    sim.faults.clear()
    sim.persist_global("fault_plan", {})
    sim.deliveries.kick()
    return jsonr({"cleared": True})


async def clear_outages(request: Request) -> Response:
    sim = sim_of(request)
    n = sim.faults.clear_outages()
    sim.deliveries.kick()
    return jsonr({"cleared_outages": n})


async def fault_log(request: Request) -> Response:
    sim = sim_of(request)
    ref = request.query_params.get("tenant")
    tenant_id = sim.vendor.resolve_tenant_ref(sim, ref) if ref else None
    return jsonr({"data": sim.faults.fault_log(tenant_id, request.query_params.get("source"))})


async def put_limits(request: Request) -> Response:
    sim = sim_of(request)
    data = await body_json(request)
    enabled = data.get("enabled") if isinstance(data, dict) else None
    if not isinstance(enabled, bool):
        raise ControlError(400, "'enabled' must be true or false", "enabled")
    sim.faults.limits_enabled = enabled
    return jsonr({"limits_enabled": enabled})


async def get_clock(request: Request) -> Response:
    return jsonr(tenant_of(request).clock.to_json())


async def advance_clock(request: Request) -> Response:
    sim = sim_of(request)
    tenant = tenant_of(request)
    data = await body_json(request)
    if not isinstance(data, dict):
        raise ControlError(400, "Body must be an object", "body")
    try:
        if "to" in data:
            before, after = tenant.clock.advance_to(parse_instant(data["to"]))
        elif "seconds" in data or "by" in data:
            before, after = tenant.clock.advance(parse_duration(data.get("seconds", data.get("by")),
                                                                field="seconds"))
        else:
            raise ControlError(400, "Give 'seconds' (or 'by': '2d') or 'to' (unix time)", "seconds")
    except (TypeError, ValueError) as exc:
        raise ControlError(400, str(exc), "seconds") from exc
    sim.persist_header(tenant)
    return jsonr({"before": before, "after": after, **tenant.clock.to_json()})


async def freeze_clock(request: Request) -> Response:
    """``{"at": instant}``: freeze there (either way: how a harness pins a new tenant at
    its epoch); ``{}``: freeze now; ``{"frozen": false}``: run on from the frozen instant;
    ``{"at": instant, "frozen": false}``: run on from ``at``. An instant is unix seconds or
    ISO 8601."""
    sim = sim_of(request)
    tenant = tenant_of(request)
    data = await body_json(request)
    if not isinstance(data, dict):
        raise ControlError(400, "Body must be an object", "body")
    frozen = data.get("frozen", True)
    if not isinstance(frozen, bool):
        raise ControlError(400, "'frozen' must be true or false", "frozen")
    at = data.get("at")
    if at is None:
        if frozen:
            tenant.clock.freeze()
        else:
            tenant.clock.unfreeze()
    else:
        try:
            instant = parse_instant(at)
        except ValueError as exc:
            raise ControlError(400, f"'at': {exc}", "at") from exc
        tenant.clock.set(instant, frozen=frozen)
    sim.persist_header(tenant)
    return jsonr(tenant.clock.to_json())


async def journal(request: Request) -> Response:
    sim = sim_of(request)
    ref = request.query_params.get("tenant")
    tenant_id = sim.vendor.resolve_tenant_ref(sim, ref) if ref else None
    try:
        since = int(request.query_params.get("since", "0"))
    except ValueError as exc:
        raise ControlError(400, "'since' must be an integer", "since") from exc
    return jsonr({"data": [e.to_json() for e in sim.journal.entries(tenant_id, since)]})


async def journal_detail(request: Request) -> Response:
    """``PUT /_sim/journal/detail?tenant=REF|*`` ``{"limit": N}`` (or ``{"enabled":
    false}``): keep headers and bodies for the next N requests of a tenant (``*``: of every
    tenant, N each). What recording a contract from observed traffic needs; off unless
    asked for, and bounded."""
    sim = sim_of(request)
    ref = request.query_params.get("tenant") or "*"
    tenant_id = ref if ref == ALL_TENANTS else sim.vendor.resolve_tenant_ref(sim, ref)
    data = await body_json(request)
    if not isinstance(data, dict):
        raise ControlError(400, "Body must be an object", "body")
    if data.get("enabled") is False:
        sim.journal.set_detail(tenant_id, None)
    else:
        limit = data.get("limit", DETAIL_DEFAULT_LIMIT)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= 1_000_000:
            raise ControlError(400, "'limit' must be an integer 1..1000000", "limit")
        sim.journal.set_detail(tenant_id, limit)
    return jsonr({"detail": sim.journal.detail_status()})


async def get_journal_detail(request: Request) -> Response:
    return jsonr({"detail": sim_of(request).journal.detail_status()})


async def deliveries(request: Request) -> Response:
    tenant = tenant_of(request)
    event_id = request.query_params.get("event_id")
    rows = [a for a in tenant.store.all(ATTEMPTS) if not event_id or a["event_id"] == event_id]
    return jsonr({"data": rows})


async def outbox(request: Request) -> Response:
    tenant = tenant_of(request)
    status = request.query_params.get("status")
    rows = [{k: v for k, v in r.items() if k != "secret"} for r in tenant.store.all(OUTBOX)
            if not status or r["status"] == status]
    return jsonr({"data": rows, "pending": sum(1 for r in rows
                                               if r["status"] in ("pending", "sending"))})


async def replay(request: Request) -> Response:
    sim = sim_of(request)
    tenant = tenant_of(request)
    data = await body_json(request)
    ids = data.get("event_ids") if isinstance(data, dict) else None
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        raise ControlError(400, "'event_ids' must be a list of strings", "event_ids")
    new = sim.deliveries.replay(tenant, None if ids is None else set(ids))
    return jsonr({"replayed": len(new), "outbox_ids": new})


async def redeliver(request: Request) -> Response:
    sim = sim_of(request)
    tenant = tenant_of(request)
    outbox_id = request.path_params["outbox_id"]
    if not sim.deliveries.redeliver(tenant, outbox_id):
        raise ControlError(404, f"No such outbox record: {outbox_id}", "outbox_id")
    return jsonr({"redelivered": outbox_id})


async def list_subscriptions(request: Request) -> Response:
    return jsonr({"data": tenant_of(request).store.all(SUBSCRIPTIONS)})


async def create_subscription(request: Request) -> Response:
    sim = sim_of(request)
    tenant = tenant_of(request)
    data = await body_json(request)
    if not isinstance(data, dict):
        raise ControlError(400, "Body must be an object", "body")
    url = data.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ControlError(400, "'url' must be an http(s) URL", "url")
    if control_plane_url(url):
        raise ControlError(400, "'url' cannot be a fake's control plane (/_sim/...)", "url")
    secret = data.get("secret") or new_secret("whsec_", 32)
    events = data.get("events", ["*"])
    if not isinstance(events, list):
        raise ControlError(400, "'events' must be a list", "events")
    sub = {"id": tenant.new_id("sub_", 16), "url": url, "secret": secret,
           "events": [str(e) for e in events], "active": True}
    tenant.store.put(SUBSCRIPTIONS, sub)
    sim.persist_header(tenant)
    return jsonr(sub, 201)


async def delete_subscription(request: Request) -> Response:
    tenant = tenant_of(request)
    sub_id = request.path_params["sub_id"]
    if tenant.store.delete(SUBSCRIPTIONS, sub_id) is None:
        raise ControlError(404, f"No such subscription: {sub_id}", "sub_id")
    return jsonr({"deleted": sub_id})


async def metrics(request: Request) -> Response:
    sim = sim_of(request)
    pending = sim.deliveries.pending()
    text = sim.metrics.render()
    text += (f"# TYPE fintwin_{sim.vendor.name}_outbox_pending gauge\n"
             f"fintwin_{sim.vendor.name}_outbox_pending {pending}\n"
             f"# TYPE fintwin_{sim.vendor.name}_tenants gauge\n"
             f"fintwin_{sim.vendor.name}_tenants {len(sim.tenants)}\n")
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


def control_routes() -> list[BaseRoute]:
    return [
        Route("/_sim/health", health, methods=["GET"]),
        Route("/_sim/reset", reset, methods=["POST"]),
        Route("/_sim/tenants", tenants, methods=["GET"]),
        Route("/_sim/state", get_state, methods=["GET"]),
        Route("/_sim/state", put_state, methods=["PUT"]),
        Route("/_sim/faults", get_faults, methods=["GET"]),
        Route("/_sim/faults", put_faults, methods=["PUT"]),
        Route("/_sim/faults", delete_faults, methods=["DELETE"]),
        Route("/_sim/faults/clear-outages", clear_outages, methods=["POST"]),
        Route("/_sim/faults/log", fault_log, methods=["GET"]),
        Route("/_sim/limits", put_limits, methods=["PUT"]),
        Route("/_sim/clock", get_clock, methods=["GET"]),
        Route("/_sim/clock/advance", advance_clock, methods=["POST"]),
        Route("/_sim/clock/freeze", freeze_clock, methods=["POST"]),
        Route("/_sim/journal", journal, methods=["GET"]),
        Route("/_sim/journal/detail", get_journal_detail, methods=["GET"]),
        Route("/_sim/journal/detail", journal_detail, methods=["PUT"]),
        Route("/_sim/deliveries", deliveries, methods=["GET"]),
        Route("/_sim/deliveries/replay", replay, methods=["POST"]),
        Route("/_sim/outbox", outbox, methods=["GET"]),
        Route("/_sim/outbox/{outbox_id}/redeliver", redeliver, methods=["POST"]),
        Route("/_sim/subscriptions", list_subscriptions, methods=["GET"]),
        Route("/_sim/subscriptions", create_subscription, methods=["POST"]),
        Route("/_sim/subscriptions/{sub_id}", delete_subscription, methods=["DELETE"]),
        Route("/_sim/metrics", metrics, methods=["GET"]),
    ]


_TENANT = query_param("tenant", {"type": "string", "minLength": 1}, True,
                      "Tenant id, or a credential of the tenant")
_OBJ = json_response("OK")


def control_operations() -> list[Operation]:
    def op(method: str, path: str, oid: str, summary: str, *, tenant: bool = False,
           body: dict[str, Any] | None = None, ok: str = "200",
           extra: list[dict[str, Any]] | None = None) -> Operation:
        params = [_TENANT] if tenant else []
        params += extra or []
        responses: dict[str, Any] = {ok: _OBJ, "400": json_response("Bad control request"),
                                     "401": json_response("Admin token missing or wrong"),
                                     "404": json_response("Not found")}
        return Operation(method, path, oid, summary, ("control plane",), params,
                         None if body is None else json_body(body, required=False), responses,
                         security=[{"simAdminToken": []}])

    plan_schema = {"type": "object", "properties": {
        "seed": {"type": "integer"}, "rules": {"type": "array", "items": {"type": "object"}},
        "deliveries": {"type": "object"}, "profile": {"type": "string"}}}
    return [
        Operation("GET", "/_sim/health", "simHealth", "Readiness", ("control plane",),
                  responses={"200": _OBJ}, security=[]),
        op("POST", "/_sim/reset", "simReset", "Drop all tenants, or one with ?tenant=",
           extra=[query_param("tenant", {"type": "string"})]),
        op("GET", "/_sim/tenants", "simTenants", "Tenants and their object counts"),
        op("GET", "/_sim/state", "simGetState", "Snapshot one tenant as JSON", tenant=True),
        op("PUT", "/_sim/state", "simPutState", "Restore a tenant snapshot",
           body={"type": "object"}, extra=[query_param("tenant", {"type": "string"})]),
        op("GET", "/_sim/faults", "simGetFaults", "The fault plan and vendor limits"),
        op("PUT", "/_sim/faults", "simPutFaults", "Install a fault plan (JSON/YAML) or profile",
           body=plan_schema),
        op("DELETE", "/_sim/faults", "simClearFaults", "Clear the fault plan"),
        op("POST", "/_sim/faults/clear-outages", "simClearOutages", "End outage windows now"),
        op("GET", "/_sim/faults/log", "simFaultLog", "Every fault injected",
           extra=[query_param("tenant", {"type": "string"}),
                  query_param("source", {"type": "string", "enum": ["plan", "limit"]})]),
        op("PUT", "/_sim/limits", "simPutLimits", "Switch the vendor's default limits",
           body={"type": "object", "properties": {"enabled": {"type": "boolean"}},
                 "required": ["enabled"]}),
        op("GET", "/_sim/clock", "simGetClock", "A tenant's business clock", tenant=True),
        op("POST", "/_sim/clock/advance", "simAdvanceClock", "Advance business time",
           tenant=True, body={"type": "object", "properties": {
               "seconds": {"type": ["number", "string"]}, "to": {"type": "number"}}}),
        op("POST", "/_sim/clock/freeze", "simFreezeClock", "Freeze (or unfreeze) business time",
           tenant=True, body={"type": "object", "properties": {
               "at": {"type": ["number", "string"]}, "frozen": {"type": "boolean"}}}),
        op("GET", "/_sim/journal", "simJournal", "Request journal",
           extra=[query_param("tenant", {"type": "string"}),
                  query_param("since", {"type": "integer"})]),
        op("GET", "/_sim/journal/detail", "simJournalDetailStatus",
           "Tenants whose requests keep headers and bodies, and how many more"),
        op("PUT", "/_sim/journal/detail", "simJournalDetail",
           "Keep headers and bodies of a tenant's next requests (tenant=* for all)",
           extra=[query_param("tenant", {"type": "string"})],
           body={"type": "object", "properties": {
               "limit": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
               "enabled": {"type": "boolean"}}}),
        op("GET", "/_sim/deliveries", "simDeliveries", "Webhook delivery attempts", tenant=True,
           extra=[query_param("event_id", {"type": "string"})]),
        op("POST", "/_sim/deliveries/replay", "simReplay", "Deliver events again",
           tenant=True, body={"type": "object", "properties": {
               "event_ids": {"type": "array", "items": {"type": "string"}}}}),
        op("GET", "/_sim/outbox", "simOutbox", "Webhook outbox", tenant=True,
           extra=[query_param("status", {"type": "string"})]),
        op("POST", "/_sim/outbox/{outbox_id}/redeliver", "simRedeliver",
           "Deliver one outbox record again", tenant=True,
           extra=[{"name": "outbox_id", "in": "path", "required": True,
                   "schema": {"type": "string"}}]),
        op("GET", "/_sim/subscriptions", "simListSubscriptions", "Event subscribers",
           tenant=True),
        op("POST", "/_sim/subscriptions", "simCreateSubscription", "Add an event subscriber",
           tenant=True, ok="201", body={"type": "object", "required": ["url"], "properties": {
               "url": {"type": "string"}, "secret": {"type": "string"},
               "events": {"type": "array", "items": {"type": "string"}}}}),
        op("DELETE", "/_sim/subscriptions/{sub_id}", "simDeleteSubscription",
           "Remove an event subscriber", tenant=True,
           extra=[{"name": "sub_id", "in": "path", "required": True,
                   "schema": {"type": "string"}}]),
        Operation("GET", "/_sim/metrics", "simMetrics", "Prometheus metrics", ("control plane",),
                  responses={"200": {"description": "Prometheus text",
                                     "content": {"text/plain": {"schema": {"type": "string"}}}}},
                  security=[{"simAdminToken": []}]),
    ]


def build_control_app(sim: Simulation, extra_routes: list[BaseRoute],
                      openapi: Callable[[], dict[str, Any]]) -> Starlette:
    async def openapi_doc(request: Request) -> Response:
        return jsonr(openapi())

    async def on_control_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ControlError)
        return jsonr({"error": {"message": exc.message, "param": exc.field}}, exc.status)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 400)
        return jsonr({"error": {"message": getattr(exc, "detail", "Bad request")}}, status)

    from starlette.exceptions import HTTPException

    routes = [Route("/_sim/openapi.json", openapi_doc, methods=["GET"]), *control_routes(),
              *extra_routes]
    app = Starlette(routes=routes, exception_handlers={
        ControlError: on_control_error, HTTPException: on_http_error})
    token = sim.settings.admin_token

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if token and scope["path"] != "/_sim/health":
            given = b""
            for k, v in scope["headers"]:
                if k == b"x-sim-admin-token":
                    given = v
            if not hmac.compare_digest(given, token.encode()):
                body = orjson.dumps({"error": {"message": "X-Sim-Admin-Token missing or wrong",
                                               "param": "X-Sim-Admin-Token"}})
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guarded  # type: ignore[return-value]
