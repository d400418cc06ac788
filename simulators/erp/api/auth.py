"""The OAuth 2.0 token endpoint (client credentials: a secret, or a JWT-bearer client
assertion). Public: the handler takes the request's exchange (no account yet)."""

from __future__ import annotations

import orjson

from simulators.engine.asgi import JSON
from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations
from simulators.engine.vendor import header
from simulators.erp import auth
from simulators.erp.errors import OAuthError
from simulators.erp.pipeline import ErpExchange
from simulators.erp.vendor import NetSuiteVendor
from simulators.erp.wire import Reply

ops = Operations(tags=("auth",), public=True)
# Token answers are not to be cached (RFC 6749, section 5.1).
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


@ops.operation(method="POST", path=auth.TOKEN_PATH, id="oauth2Token",
               summary="OAuth 2.0 client credentials (secret, or JWT-bearer client assertion)",
               body={"type": "object", "properties": {
                   "grant_type": {"type": "string", "enum": ["client_credentials"]},
                   "client_id": {"type": "string"},
                   "client_secret": {"type": "string"},
                   "client_assertion_type": {"type": "string"},
                   "client_assertion": {"type": "string"}}},
               body_media_type="application/x-www-form-urlencoded",
               responses={"200": json_response("Access token", {
                   "type": "object", "required": ["access_token", "token_type"]}),
                   "400": json_response("OAuth error"), "401": json_response("OAuth error")},
               security=[{}, {"basicAuth": []}])
def token(ex: ErpExchange) -> Reply:
    """Each account id is its own account (tenant); a token names it."""
    sim = ex.sim
    try:
        form = auth.parse_form(ex.raw)
        basic = header(ex.scope, b"authorization")
        account, client_id = auth.authenticate(
            sim, form, auth.basic_credentials(basic.decode("latin-1") if basic else None))
    except OAuthError as exc:
        return Reply(exc.status, exc.render(), dict(NO_STORE), JSON)
    tenant = sim.tenants.get_or_create(account)
    issued = auth.issue(tenant, client_id)
    vendor = sim.vendor
    assert isinstance(vendor, NetSuiteVendor)
    vendor.remember(issued["access_token"], tenant.id)
    sim.persist_header(tenant)
    return Reply(200, orjson.dumps(issued), dict(NO_STORE), JSON)
