"""``create_app(settings)``: the Stripe-shaped billing fake as one ASGI app."""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.billing import setup_intents
from simulators.billing.api import OPERATIONS
from simulators.billing.context import INDEXES, Ctx
from simulators.billing.errors import StripeError
from simulators.billing.openapi import STYLE
from simulators.billing.pipeline import pipeline
from simulators.billing.render import render
from simulators.billing.states import VOCABULARY
from simulators.billing.vendor import StripeVendor
from simulators.billing.versions import BASIL, DEFAULT_VERSION, PRE_BASIL, parse_version
from simulators.engine import provider_states
from simulators.engine.app import SimApp, build_sim_app
from simulators.engine.control import ControlError, body_json, jsonr, tenant_of
from simulators.engine.openapi import Operation, describe, json_body, query_param
from simulators.engine.runtime import Simulation
from simulators.engine.settings import SimSettings

DESCRIPTION = """A Stripe-shaped billing fake (fintwin). Wire format, errors, idempotency,
API versions (pre-basil and 2025-03-31.basil shapes), events, webhooks and test clocks
behave as Stripe documents them; what is simplified: fintwin's docs, "Vendor coverage"
(docs/coverage/billing.md)."""


async def _not_found(request: Request, exc: Exception) -> Response:
    body = orjson.dumps({"error": {"type": "invalid_request_error",
                                   "message": f"Unrecognized request URL ({request.method}: "
                                              f"{request.url.path}). Please see "
                                              "https://stripe.com/docs or we can help at "
                                              "https://support.stripe.com/."}})
    status = getattr(exc, "status_code", 404)
    return Response(body, 404 if status == 405 else status, media_type="application/json")


async def account_settings(request: Request) -> Response:
    """PUT /_sim/billing/account: the account's default API version and dunning settings."""
    sim: Simulation = request.scope["fintwin.sim"]
    tenant = tenant_of(request)
    data = await body_json(request)
    if not isinstance(data, dict):
        raise ControlError(400, "Body must be an object", "body")
    if "api_version" in data:
        version = str(data["api_version"])
        try:
            parse_version(version)
        except Exception as exc:
            raise ControlError(400, f"Invalid Stripe API version: {version}",
                               "api_version") from exc
        tenant.meta["api_version"] = version
    if "dunning_days" in data:
        days = data["dunning_days"]
        if not isinstance(days, list) or not all(isinstance(d, int) and d > 0 for d in days):
            raise ControlError(400, "'dunning_days' must be a list of positive integers",
                               "dunning_days")
        tenant.meta["dunning_days"] = days
    if "dunning_final" in data:
        if data["dunning_final"] not in ("cancel", "unpaid", "past_due"):
            raise ControlError(400, "'dunning_final' is one of cancel, unpaid, past_due",
                               "dunning_final")
        tenant.meta["dunning_final"] = data["dunning_final"]
    sim.persist_header(tenant)
    return jsonr({"id": tenant.id, **tenant.meta})


ACCOUNT_OP = Operation(
    "PUT", "/_sim/billing/account", "simBillingAccount",
    f"Set the account's default API version (e.g. {PRE_BASIL} or {BASIL}) and dunning",
    ("control plane",), [query_param("tenant", {"type": "string", "minLength": 1}, True)],
    json_body({"type": "object", "properties": {
        "api_version": {"type": "string"},
        "dunning_days": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        "dunning_final": {"type": "string", "enum": ["cancel", "unpaid", "past_due"]}}},
        required=False),
    {"200": {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object"}}}},
     "400": {"description": "Bad request", "content": {"application/json": {"schema": {
         "type": "object"}}}},
     "401": {"description": "Admin token", "content": {"application/json": {"schema": {
         "type": "object"}}}}},
    security=[{"simAdminToken": []}])


async def authenticate_setup(request: Request) -> Response:
    """POST /_sim/billing/setup_intents/{id}/authenticate: the cardholder completes
    (``{"outcome": "complete"}``, the default) or fails 3D Secure for a SetupIntent in
    ``requires_action`` (what Stripe's test-mode authentication page does); the
    ``client_secret`` query parameter must be the SetupIntent's."""
    sim: Simulation = request.scope["fintwin.sim"]
    tenant = tenant_of(request, create=False)
    data = await body_json(request) if await request.body() else {}
    outcome = data.get("outcome", "complete") if isinstance(data, dict) else None
    if outcome not in ("complete", "fail"):
        raise ControlError(400, "'outcome' is complete or fail", "outcome")
    ctx = Ctx(sim, tenant, DEFAULT_VERSION)
    try:
        seti = ctx.get("setup_intent", request.path_params["id"])
        if request.query_params.get("client_secret") != seti["client_secret"]:
            raise ControlError(400, "client_secret does not match the SetupIntent's",
                               "client_secret")
        setup_intents.authenticate(ctx, seti, outcome == "complete")
    except StripeError as exc:
        return Response(exc.render(), exc.status, media_type="application/json")
    sim.persist_header(tenant)
    return jsonr(render(ctx, "setup_intent", seti))


_JSON_ANSWER = {"content": {"application/json": {"schema": {"type": "object"}}}}
AUTHENTICATE_OP = Operation(
    "POST", "/_sim/billing/setup_intents/{id}/authenticate", "simBillingAuthenticateSetup",
    "Complete or fail a SetupIntent's 3D Secure authentication (the cardholder's step)",
    ("control plane",),
    [query_param("tenant", {"type": "string", "minLength": 1}, True),
     query_param("client_secret", {"type": "string", "minLength": 1}, True),
     {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
    json_body({"type": "object", "properties": {
        "outcome": {"type": "string", "enum": ["complete", "fail"]}}}, required=False),
    {"200": {"description": "The SetupIntent", **_JSON_ANSWER},
     "400": {"description": "Bad request", **_JSON_ANSWER},
     "401": {"description": "Admin token", **_JSON_ANSWER},
     "404": {"description": "No such tenant or SetupIntent", **_JSON_ANSWER}},
    security=[{"simAdminToken": []}])


def create_app(settings: SimSettings | None = None) -> SimApp:
    settings = settings or SimSettings()
    sim = Simulation(StripeVendor(), settings, INDEXES)
    # Requests no operation takes (404, 405 as 404, slash redirects) get Starlette's
    # answers in Stripe's envelope.
    vendor_app = pipeline().app(OPERATIONS, lambda routes: Starlette(
        routes=routes, exception_handlers={404: _not_found, 405: _not_found}))
    return build_sim_app(
        sim, vendor_app, title="fintwin billing (Stripe-shaped)",
        version="2025-03-31.basil", description=DESCRIPTION,
        operations=lambda: [describe(op, STYLE) for op in OPERATIONS],
        security_schemes={"bearerAuth": {"type": "http", "scheme": "bearer"},
                          "basicAuth": {"type": "http", "scheme": "basic"}},
        default_security=[{"bearerAuth": []}, {"basicAuth": []}],
        control_extra=[Route("/_sim/billing/account", account_settings, methods=["PUT"]),
                       Route("/_sim/billing/setup_intents/{id}/authenticate",
                             authenticate_setup, methods=["POST"]),
                       *provider_states.routes(VOCABULARY)],
        control_extra_ops=[ACCOUNT_OP, AUTHENTICATE_OP, *provider_states.operations()])
