"""What a fake tells the engine about its vendor.

The engine is vendor-neutral: it asks the vendor profile who a request is
from, how the vendor renders an error, how it signs webhooks and on what
schedule it retries them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

from collections.abc import MutableMapping

Scope = MutableMapping[str, Any]
Headers = list[tuple[bytes, bytes]]


@dataclass
class ErrorReply:
    """A complete HTTP reply rendered in the vendor's error envelope."""

    status: int
    body: bytes
    headers: Headers = field(default_factory=list)
    content_type: bytes = b"application/json"


_HEADER_TABLE = "fintwin.headers"
STASHED_BODY = "fintwin.body"


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a request header (``name`` lower-case)."""
    # A request's headers are looked up half a dozen times (tenant, observer,
    # version, idempotency key, journal): one pass builds a table kept in the scope.
    try:
        table: dict[bytes, bytes] = scope[_HEADER_TABLE]
    except KeyError:
        table = scope[_HEADER_TABLE] = _header_table(scope["headers"])
    return table.get(name)


def _header_table(headers: Any) -> dict[bytes, bytes]:
    table: dict[bytes, bytes] = {}
    for key, value in headers:
        if key not in table:
            # ASGI says bytes; a server handing over another buffer type gets a copy.
            table[key] = value if value.__class__ is bytes else bytes(value)
    return table


class Vendor:
    """Defaults shared by every vendor; each fake subclasses and overrides."""

    name = "vendor"
    # Seconds between delivery attempts at real scale; scaled by the
    # simulation's delivery time scale.  Subclasses cite their vendor's doc.
    retry_schedule: tuple[float, ...] = (60, 300, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
    signature_header = "X-Fintwin-Signature"
    default_limits: tuple[dict[str, Any], ...] = ()
    # What a tenant snapshot holds that is a credential or a secret: whole collections
    # (access tokens) and fields of any record (a webhook signing secret). A snapshot
    # served by a control plane without an admin token leaves them out (issue 18).
    secret_kinds: tuple[str, ...] = ()
    secret_fields: tuple[str, ...] = ()
    # True when the vendor's app puts the request body it read in
    # scope["fintwin.body"] (STASHED_BODY): the journal then hashes that instead of
    # wrapping ``receive`` on requests no fault touches.
    stashes_body = False

    def identify(self, sim: Simulation, scope: Scope) -> str | None:
        """The tenant a request belongs to, from its credentials; None if none given."""
        raise NotImplementedError

    def resolve_tenant_ref(self, sim: Simulation, ref: str) -> str:
        """Control-plane callers may name a tenant by id or by a credential."""
        return ref

    def error(self, status: int, code: str | None, message: str, *, kind: str,
              retry_after: float | None = None) -> ErrorReply:
        body = orjson.dumps({"error": {"code": code or kind, "message": message}})
        return ErrorReply(status, body, _retry_after(retry_after))

    def error_code(self, body: bytes) -> str | None:
        """The error code of an error answer's body (``{"error": {"code": ...}}`` here;
        each vendor reads its own envelope), None when it names none."""
        found = json_of(body)
        error = found.get("error") if isinstance(found, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        return str(code) if code else None

    def lock_key(self, scope: Scope) -> str | None:
        """An object a write locks for its duration (None: no lock)."""
        return None

    def sign(self, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
        """``t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``, Stripe's scheme, which the other
        fakes reuse for their (vendor-less) webhooks."""
        mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
        return {self.signature_header: f"t={timestamp},v1={mac.hexdigest()}"}

    def on_tenant_created(self, sim: Simulation, tenant: Tenant) -> None:
        """Seed a new tenant's default data (a standard price book, a chart of accounts...)."""

    def on_tenant_dropped(self, sim: Simulation, tenant_id: str) -> None:
        """Forget what the vendor keeps about a tenant outside it (an evicted one)."""

    def on_tenant_restored(self, sim: Simulation, tenant: Tenant) -> None:
        """Rebuild derived in-memory state (token tables, indexes) after a restore."""

    def on_clock_advanced(self, sim: Simulation, tenant: Tenant, before: float,
                          after: float) -> None:
        """Run what business time drives (renewals, dunning, expiry)."""

    def on_clock_changed(self, sim: Simulation, tenant: Tenant) -> None:
        """Business time changed in any way (advanced, set, frozen): keep what a maintained
        account has ahead of today (the ERP's open fiscal years)."""

    def response_headers(self, sim: Simulation, tenant: Tenant | None, scope: Scope) -> Headers:
        """Headers the vendor adds to every response (request ids, limit info)."""
        return []


def _retry_after(seconds: float | None) -> Headers:
    if seconds is None:
        return []
    # Retry-After is whole seconds (RFC 9110 section 10.2.3); round up so a
    # client that honours it is never early.
    whole = int(seconds) if float(seconds).is_integer() else int(seconds) + 1
    return [(b"retry-after", str(max(whole, 0)).encode())]


retry_after_header = _retry_after


def json_of(body: bytes) -> Any:
    """A JSON body, or None when it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
