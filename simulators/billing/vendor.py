"""Stripe as the engine sees it: who a request is from, errors, signatures, schedules."""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import TYPE_CHECKING, Any

import orjson

from simulators.billing.context import Ctx
from simulators.billing.cycle import customers_on_account_clock, run_until
from simulators.billing.events import account_version, share_restored_keys
from simulators.billing.versions import DEFAULT_VERSION
from simulators.engine.vendor import (
    ErrorReply,
    Headers,
    Scope,
    Vendor,
    header,
    json_of,
    retry_after_header,
)

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

# Test-mode secret and restricted keys; a live key is refused (fakes never take live keys).
_KEY_PREFIXES = (b"sk_test_", b"rk_test_")


@functools.lru_cache(maxsize=65536)
def account_id_for_key(key: str) -> str:
    """Each API key is its own account: a stable, non-reversible account id."""
    return "acct_" + hashlib.sha256(key.encode()).hexdigest()[:16]


# Authorization header value (None: no header) -> the account it names, if any.
_ACCOUNTS: dict[bytes | None, str | None] = {}


def _key_from(auth: bytes | None) -> bytes | None:
    if not auth:
        return None
    scheme, _, value = auth.partition(b" ")
    scheme = scheme.lower()
    if scheme == b"bearer":
        return value.strip()
    if scheme == b"basic":
        try:
            user = base64.b64decode(value.strip()).split(b":", 1)[0]
        except ValueError:
            return None
        return user
    return None


def platform_account(auth: bytes | None) -> str | None:
    """The account an Authorization value's API key names, if any."""
    # Every request names its account in the same few Authorization values: remembered
    # whole, parsing one is a dict lookup (bounded: a fuzzer sends thousands of
    # distinct ones).
    try:
        return _ACCOUNTS[auth]
    except KeyError:
        pass
    key = _key_from(auth)
    account = (None if not key or not key.startswith(_KEY_PREFIXES) or len(key) < 12
               else account_id_for_key(key.decode("latin-1")))
    if len(_ACCOUNTS) >= 4096:
        _ACCOUNTS.clear()
    _ACCOUNTS[auth] = account
    return account


def connected_tenant(sim: Simulation, platform: str, connected: str) -> str | None:
    """The tenant of a connected account the platform made (``Stripe-Account``; Stripe
    docs, "Making API calls for connected accounts"): its own data, apart from the
    platform's and every other account's. None when the platform has no such account
    (the request is refused, pipeline.Authenticate)."""
    tenant = sim.tenants.get(platform)
    record = tenant.store.get("account", connected) if tenant is not None else None
    if record is None or record.get("deleted"):
        return None
    # Connected account ids are drawn per platform: the platform's id keeps two
    # platforms' first connected accounts apart.
    return f"{platform}.{connected}"


class StripeVendor(Vendor):
    name = "billing"
    secret_fields = ("_secret", "secret")  # webhook signing secrets (endpoints, outbox)
    # The engine's default signing is Stripe's scheme: t=<unix>,v1=<hex HMAC-SHA256 of
    # "t.body" keyed by the whole whsec_ secret> (Stripe docs, "Verify webhook
    # signatures manually"); only the header name is Stripe's own.
    signature_header = "Stripe-Signature"
    stashes_body = True  # pipeline.Validate keeps the body it read in the scope
    # Stripe retries failed live-mode deliveries with exponential backoff for up to
    # three days (Stripe docs, "Webhooks: retry behavior"); this schedule spans ~3 days.
    retry_schedule = (60.0, 300.0, 1800.0, 3600.0, 3 * 3600.0, 6 * 3600.0, 12 * 3600.0,
                      24 * 3600.0, 24 * 3600.0)
    # 25 requests per second per account in test mode (Stripe docs, "Rate limits").
    default_limits = ({"name": "stripe-test-mode-rate",
                       "fault": {"rate": {"per_second": 25, "burst": 25}}},)

    def identify(self, sim: Simulation, scope: Scope) -> str | None:
        account = platform_account(header(scope, b"authorization"))
        connected = header(scope, b"stripe-account")
        if connected is None or account is None:
            return account
        return connected_tenant(sim, account, connected.decode("latin-1"))

    def resolve_tenant_ref(self, sim: Simulation, ref: str) -> str:
        return account_id_for_key(ref) if ref.startswith(("sk_", "rk_")) else ref

    def error(self, status: int, code: str | None, message: str, *, kind: str,
              retry_after: float | None = None) -> ErrorReply:
        if status == 429:
            err: dict[str, Any] = {"type": "invalid_request_error",
                                   "code": code or ("lock_timeout" if kind == "lock_timeout"
                                                    else "rate_limit"),
                                   "message": message if kind == "lock_timeout" else
                                   "Too many requests hit the API too quickly. We recommend an "
                                   "exponential backoff of your requests."}
        elif status >= 500:
            err = {"type": "api_error", "message": message}
            if code:
                err["code"] = code
        else:
            err = {"type": "invalid_request_error", "message": message}
            if code:
                err["code"] = code
        headers: Headers = list(retry_after_header(retry_after))
        if status == 429 and kind == "lock_timeout":
            headers.append((b"stripe-should-retry", b"true"))
        return ErrorReply(status, orjson.dumps({"error": err}), headers)

    def error_code(self, body: bytes) -> str | None:
        """Stripe's ``error.code``, else its ``error.type`` (a card decline's ``code`` is
        ``card_declined``; some errors carry a type only)."""
        found = json_of(body)
        error = found.get("error") if isinstance(found, dict) else None
        code = (error.get("code") or error.get("type")) if isinstance(error, dict) else None
        return str(code) if code else None

    def lock_key(self, scope: Scope) -> str | None:
        # Writes to one object serialize on it; a second concurrent write gets
        # 429 lock_timeout (Stripe docs, "Object lock timeouts").
        path: str = scope["path"]
        if path.count("/") < 3:  # a create: no object of its own yet (and no split)
            return None
        parts = path.split("/")
        if parts[1] == "v1" and "_" in parts[3]:
            return parts[3]
        return None

    def on_tenant_created(self, sim: Simulation, tenant: Tenant) -> None:
        tenant.meta.setdefault("api_version",
                               sim.settings.extra.get("default_api_version", DEFAULT_VERSION))

    def on_tenant_restored(self, sim: Simulation, tenant: Tenant) -> None:
        share_restored_keys(tenant.store)

    def on_clock_advanced(self, sim: Simulation, tenant: Tenant, before: float,
                          after: float) -> None:
        ctx = Ctx(sim, tenant, "")
        ctx.version = account_version(ctx)
        run_until(ctx, customers_on_account_clock(ctx), int(after))
