"""The OAuth 2.0 endpoints (Salesforce Help, "OAuth Endpoints"): token and revoke.

Public: no session yet. Their handlers take the request's exchange (its raw body and
headers), not an org's ``Ctx``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import URL

from simulators.crm.auth import OAuthError, issue, revoke, session
from simulators.crm.context import Reply
from simulators.crm.pipeline import CrmExchange
from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations
from simulators.engine.params import Str
from simulators.engine.runtime import Simulation

ops = Operations(tags=("auth",), public=True)
TOKEN_BODY = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials", "password"]},
        "client_id": {"type": "string"},
        "client_secret": {"type": "string"},
        "username": {"type": "string"},
        "password": {"type": "string"},
    },
}


def base_url(sim: Simulation, ex: CrmExchange) -> str:
    """How clients reach this fake: the setting, else the request's own scheme and host."""
    if sim.settings.base_url:
        return sim.settings.base_url.rstrip("/")
    url = URL(scope=ex.scope)
    return f"{url.scheme}://{url.netloc}"


@ops.operation(method="POST", path="/services/oauth2/token", id="oauthToken",
               summary="OAuth 2.0 token (client_credentials or password grant)",
               body=TOKEN_BODY, body_media_type="application/x-www-form-urlencoded",
               responses={"200": json_response("Token"), "400": json_response("OAuth error")})
def token(ex: CrmExchange) -> Reply:
    """Client credentials in the form or as HTTP Basic; each client id is its own org."""
    try:
        return Reply(200, issue(ex.sim, ex.scope, ex.raw, base_url(ex.sim, ex)))
    except OAuthError as exc:
        return Reply(exc.status, exc.body())


@ops.operation(method="POST", path="/services/oauth2/revoke", id="oauthRevoke",
               summary="Revoke a token", body={"type": "object", "properties": {
                   "token": {"type": "string"}}}, query={"token": Str()},
               body_media_type="application/x-www-form-urlencoded",
               responses={"200": {"description": "Revoked"},
                          "400": json_response("OAuth error")})
def revoke_token(ex: CrmExchange) -> Reply:
    """The token from the form, else from the query."""
    form = dict(parse_qsl(ex.raw.decode("latin-1"), keep_blank_values=True))
    token = form.get("token") or ex.query.get("token") or ""
    found = session(ex.sim, str(token))
    if found is None:
        return Reply(400, {"error": "unsupported_token_type",
                           "error_description": "this token type is not supported"})
    revoke(found[0], str(token))
    return Reply(200)
