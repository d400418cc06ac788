"""OAuth 2.0 client credentials at ``/services/rest/auth/oauth2/v1/token``.

Two ways to authenticate the client, both with ``grant_type=client_credentials``:

- a client id and secret, as HTTP Basic (RFC 6749 section 2.3.1) or in the form
  (``client_id``/``client_secret``): what the reference integration layer's
  client sends. Real NetSuite uses secrets only in the authorization-code flow;
  this is a convenience of the fake;
- NetSuite's machine-to-machine flow: ``client_assertion_type=
  urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` and a signed JWT in
  ``client_assertion`` whose header has ``kid`` (the certificate id), payload
  ``iss`` (client id), ``scope`` (``rest_webservices`` ...), ``aud`` (the token
  endpoint URL), ``iat`` and ``exp`` at most 60 minutes after ``iat``; signed
  PS256/384/512 or ES256/384/512 (Oracle, "OAuth 2.0 Client Credentials Flow":
  section_162755359851 and "The Request Token Structure": section_162790605110).
  The public key (or certificate) is registered on the control plane.

Which account a client belongs to: clients are registered per account on the
control plane (``POST /_sim/erp/clients?tenant=<account id>``). When the fake
allows it (``settings.extra["erp_auto_clients"]``, default true) an unknown
client id with a secret gets a default account of its own on first use, whose
id is a 7-digit number derived from the client id, never one already in use
(``account_for_client``); the secret used first is then the client's secret. JWT
clients must be registered.

Access tokens are opaque, valid for 3600 s of the account's business time
(Oracle, "Using Connect with OAuth 2.0", article_0907013045: "The access token
that you obtain is valid during one hour");
the response is ``{"access_token", "token_type": "bearer", "expires_in":
"3600"}`` (NetSuite sends ``expires_in`` as a string: from memory, unverified).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import weakref
from typing import Any
from urllib.parse import parse_qsl, unquote

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from simulators.engine.credentials import new_secret
from simulators.engine.runtime import Simulation
from simulators.engine.tenancy import Tenant
from simulators.erp.context import TOKENS
from simulators.erp.errors import OAuthError

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
TOKEN_TTL = 3600.0
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
CLIENTS = "erp_clients"  # sim.globals key: client id -> registration


ACCOUNT_SPACE = 9_000_000  # 7-digit account ids, 1000000..9999999


def account_for_client(sim: Simulation, client_id: str) -> str:
    """The account of a new, unregistered client: 7 digits from a hash of its id, or,
    if an account has that number already, the next free one (stable for a given
    client id and arrival order). Two clients never share an account by chance, and a
    client id chosen to hash onto another's account gets an account of its own (issue 18:
    7 digits of the hash alone collided with probability ~N^2/1.8e7, about 5 % at 1,000
    client ids, and a client id could be picked to join an existing account)."""
    taken = _taken_accounts(sim)
    digest = int(hashlib.sha256(client_id.encode()).hexdigest()[:12], 16)
    for step in range(ACCOUNT_SPACE):
        candidate = str(1_000_000 + (digest + step) % ACCOUNT_SPACE)
        if candidate not in taken and sim.tenants.get(candidate) is None:
            return candidate
    raise OAuthError("invalid_client", "No account numbers are left in this fake.", 401)


_TAKEN: weakref.WeakKeyDictionary[Simulation, tuple[int, int, set[str]]] = (
    weakref.WeakKeyDictionary())


def _taken_accounts(sim: Simulation) -> set[str]:
    """The accounts registered clients belong to, kept per fake and rebuilt when the
    client table is another (a restart, a restore) or changed behind ``register``."""
    table = clients(sim)
    cached = _TAKEN.get(sim)
    if cached is None or cached[0] != id(table) or cached[1] != len(table):
        cached = (id(table), len(table), {str(e["account"]) for e in table.values()})
        _TAKEN[sim] = cached
    return cached[2]


def clients(sim: Simulation) -> dict[str, dict[str, Any]]:
    found = sim.globals.get(CLIENTS)
    if not isinstance(found, dict):
        found = {}
        sim.globals[CLIENTS] = found
    return found


def register(
    sim: Simulation,
    account: str,
    client_id: str,
    *,
    secret: str | None = None,
    kid: str | None = None,
    public_key: str | None = None,
) -> dict[str, Any]:
    """Register (or extend) a client of ``account``; a key is PEM (public key or certificate)."""
    table = clients(sim)
    entry = dict(table.get(client_id) or {"account": account, "keys": {}})
    if entry["account"] != account:
        raise ValueError(f"client {client_id} belongs to account {entry['account']}")
    if secret is not None:
        entry["secret"] = secret
    if public_key is not None:
        load_public_key(public_key)
        entry["keys"] = {**entry.get("keys", {}), (kid or "default"): public_key}
    new = client_id not in table
    table[client_id] = entry
    if new:
        cached = _TAKEN.get(sim)
        if cached is not None and cached[0] == id(table):
            cached[2].add(str(account))
            _TAKEN[sim] = (cached[0], len(table), cached[2])
    sim.persist_global(CLIENTS, table)
    return entry


def load_public_key(pem: str) -> Any:
    data = pem.encode()
    if b"BEGIN CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return serialization.load_pem_public_key(data)


def parse_form(raw: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "The request body is not form-encoded.") from None


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "Malformed HTTP Basic credentials.", 401) from None
    # RFC 6749 section 2.3.1: id and secret are form-urlencoded before Basic.
    return unquote(user), unquote(password)


def authenticate(
    sim: Simulation, form: dict[str, str], basic: tuple[str, str] | None
) -> tuple[str, str]:
    """The (account id, client id) the token request proves; raises OAuthError."""
    if form.get("grant_type") != "client_credentials":
        raise OAuthError(
            "unsupported_grant_type", "Only the client_credentials grant is supported."
        )
    if form.get("client_assertion_type") or form.get("client_assertion"):
        if form.get("client_assertion_type") != JWT_BEARER:
            raise OAuthError("invalid_request", "Unsupported client_assertion_type.")
        return _assertion(sim, form.get("client_assertion", ""))
    if basic is not None:
        client_id, secret = basic
    else:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id or not secret:
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    table = clients(sim)
    entry = table.get(client_id)
    if entry is None:
        if not sim.settings.extra.get("erp_auto_clients", True):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        entry = register(sim, account_for_client(sim, client_id), client_id, secret=secret)
    known = entry.get("secret")
    if known is None or not hmac.compare_digest(str(known).encode(), secret.encode()):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    return str(entry["account"]), client_id


def _assertion(sim: Simulation, token: str) -> tuple[str, str]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise OAuthError("invalid_request", "The client assertion is not a JWT.") from None
    client_id = str(claims.get("iss") or "")
    entry = clients(sim).get(client_id)
    kid = str(header.get("kid") or "")
    keys = (entry or {}).get("keys") or {}
    pem = keys.get(kid) or (keys.get("default") if not kid else None)
    if entry is None or pem is None:
        raise OAuthError("invalid_client", "Unknown client or certificate id (kid).", 401)
    if header.get("alg") not in ALGORITHMS:
        raise OAuthError(
            "invalid_request",
            f"Unsupported JWT algorithm {header.get('alg')}; use one of {', '.join(ALGORITHMS)}.",
        )
    try:
        verified = jwt.decode(
            token,
            load_public_key(pem),
            algorithms=ALGORITHMS,
            options={"require": ["exp", "iat", "iss"], "verify_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_grant", f"The client assertion is invalid: {exc}.") from None
    if float(verified["exp"]) - float(verified["iat"]) > 3600:
        raise OAuthError(
            "invalid_grant", "The assertion's exp must be at most 60 minutes after its iat."
        )
    aud = verified.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a.endswith(TOKEN_PATH) for a in auds):
        raise OAuthError("invalid_grant", "The assertion's aud must be the token endpoint.")
    scope = verified.get("scope", "")
    scopes = scope if isinstance(scope, list) else str(scope).replace(",", " ").split()
    if "rest_webservices" not in scopes:
        raise OAuthError("invalid_scope", "The scope must include rest_webservices.")
    return str(entry["account"]), client_id


def issue(tenant: Tenant, client_id: str) -> dict[str, Any]:
    """A new access token of ``tenant`` valid for TOKEN_TTL of business time."""
    token = new_secret("", 48)  # never from the seed (engine.credentials)
    now = tenant.clock.now()
    tenant.store.put(
        TOKENS, {"id": token, "client_id": client_id, "issued": now, "expires": now + TOKEN_TTL}
    )
    return {"access_token": token, "token_type": "bearer", "expires_in": str(int(TOKEN_TTL))}


def valid(tenant: Tenant, token: str) -> bool:
    rec = tenant.store.get(TOKENS, token)
    return rec is not None and tenant.clock.now() < float(rec["expires"])
