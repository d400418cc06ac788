"""OAuth 2.0 token endpoint and bearer-token sessions.

``POST /services/oauth2/token`` (form-encoded; client credentials in the form or as HTTP
Basic), grant types ``client_credentials`` and ``password`` (Salesforce Help, "OAuth 2.0
Client Credentials Flow for Server-to-Server Integration" and "OAuth 2.0 Username-Password
Flow"). Each client id is its own org (tenant). The answer carries access_token,
instance_url, id, token_type "Bearer", issued_at (epoch millis, as text) and signature
(HMAC-SHA256 of id + issued_at, base64). A failure is 400
``{"error": "invalid_grant", "error_description": "authentication failure"}``.

Credentials are pinned on first use: the first secret (and, for the password grant, the
first password of a username) a client id presents is the one it must present again.
``settings.extra["crm_clients"] = {client_id: secret}`` pre-registers clients; when it is
set, unknown client ids are refused.

Tokens are "<15-char org id>!<random>" like Salesforce session ids, kept in the org's
store (kind ``_token``) with an expiry in business time (``settings.extra
["token_ttl_seconds"]``, default 7200 s: the default session timeout of two hours).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from simulators.crm.ids import to_18
from simulators.engine import seed as seeding
from simulators.engine.credentials import new_secret
from simulators.engine.vendor import Scope, header

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

TOKENS = "_token"
CLIENT = "_client"
DEFAULT_TTL = 7200.0


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def org_id_for(sim: Simulation, client_id: str) -> str:
    """Each client id is its own org: a stable 18-character 00D id."""
    return to_18("00D" + seeding.token(sim.settings.seed, 12, "org", client_id))


def bearer(scope: Scope) -> str | None:
    auth = header(scope, b"authorization")
    if not auth:
        return None
    scheme, _, value = auth.partition(b" ")
    # Salesforce also accepts the older "OAuth <token>" scheme.
    if scheme.lower() not in (b"bearer", b"oauth"):
        return None
    token = value.strip().decode("latin-1")
    return token or None


def session(sim: Simulation, token: str) -> tuple[Tenant, dict[str, Any]] | None:
    """The org and token record for a bearer token, whether or not it has expired."""
    org15, sep, _ = token.partition("!")
    if not sep or len(org15) != 15:
        return None
    tenant = sim.tenants.get(to_18(org15))
    if tenant is None:
        return None
    record = tenant.store.get(TOKENS, token)
    return None if record is None else (tenant, record)


def expired(tenant: Tenant, record: dict[str, Any]) -> bool:
    return bool(tenant.clock.now() >= float(record["expires_at"]))


def _form(body: bytes, scope: Scope) -> dict[str, str]:
    form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    auth = header(scope, b"authorization")
    if auth and auth.lower().startswith(b"basic "):
        try:
            user, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client", "invalid client credentials") from None
        form.setdefault("client_id", user)
        form.setdefault("client_secret", secret)
    return form


def issue(sim: Simulation, scope: Scope, body: bytes, base_url: str) -> dict[str, Any]:
    """Check a token request and answer it (raises OAuthError)."""
    form = _form(body, scope)
    grant = form.get("grant_type", "")
    if grant not in ("client_credentials", "password"):
        raise OAuthError("unsupported_grant_type", "grant type not supported")
    client_id = form.get("client_id", "")
    secret = form.get("client_secret", "")
    if not client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    registered: dict[str, str] = sim.settings.extra.get("crm_clients") or {}
    if registered and registered.get(client_id) != secret:
        raise OAuthError("invalid_grant", "authentication failure")
    tenant = sim.tenant(org_id_for(sim, client_id))
    client = tenant.store.get(CLIENT, client_id)
    if client is None:
        client = {"id": client_id, "secret_sha": _sha(secret), "users": {}}
    elif not hmac.compare_digest(client["secret_sha"], _sha(secret)):
        raise OAuthError("invalid_grant", "authentication failure")
    if grant == "password":
        username, password = form.get("username", ""), form.get("password", "")
        if not username or not password:
            raise OAuthError("invalid_grant", "authentication failure")
        users = dict(client.get("users") or {})
        pinned = users.get(username)
        if pinned is not None and not hmac.compare_digest(pinned, _sha(password)):
            raise OAuthError("invalid_grant", "authentication failure")
        users[username] = _sha(password)
        client = dict(client, users=users)
    tenant.store.put(CLIENT, client)
    token = mint(sim, tenant, client_id)
    now = tenant.clock.now()
    issued_at = str(int(now * 1000))
    identity = f"{base_url}/id/{tenant.id}/{tenant.meta.get('user_id', '')}"
    signature = base64.b64encode(
        hmac.new(secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    ).decode()
    return {
        "access_token": token,
        "instance_url": base_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": signature,
        "scope": "api",
    }


def mint(sim: Simulation, tenant: Tenant, client_id: str) -> str:
    """A new session token of ``tenant`` for ``client_id`` (what a token request gets)."""
    ttl = float(sim.settings.extra.get("token_ttl_seconds", DEFAULT_TTL))
    now = tenant.clock.now()
    # Forget sessions that expired a while ago so the store does not grow with every
    # token a long run fetches (an expired one answers 401 either way).
    for old in tenant.store.all(TOKENS):
        if float(old["expires_at"]) + ttl < now:
            tenant.store.delete(TOKENS, old["id"])
    token = tenant.id[:15] + "!" + new_secret("AQ", 94)  # never from the seed
    tenant.store.put(
        TOKENS, {"id": token, "client_id": client_id, "issued_at": now, "expires_at": now + ttl}
    )
    sim.persist_header(tenant)
    return token


def revoke(tenant: Tenant, token: str) -> bool:
    return tenant.store.delete(TOKENS, token) is not None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
