"""Salesforce as the engine sees it: sessions, the error array, limit headers, seeding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulators.crm import errors as E
from simulators.crm.auth import TOKENS, bearer, expired, org_id_for, session
from simulators.crm.ids import to_18
from simulators.crm.limits import count_call
from simulators.crm.org import forget, org_of
from simulators.crm.records import seed_org
from simulators.crm.wire import dumps
from simulators.engine.vendor import ErrorReply, Headers, Scope, Vendor, json_of, retry_after_header

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

SESSION = "crm.session"  # scope key: "ok" | "expired"
REFUSED = "crm.limit_refused"  # scope key: the daily allocation is used up


class SalesforceVendor(Vendor):
    name = "crm"
    secret_kinds = (TOKENS,)  # session tokens
    secret_fields = ("secret_sha", "secret")  # a client secret's digest; webhook secrets
    signature_header = "X-Fintwin-Signature"
    # Salesforce pushes change events over streaming APIs and does not retry HTTP
    # callbacks; fintwin's push retries on the engine's default backoff (scaled for tests).
    retry_schedule = (10.0, 60.0, 300.0, 1800.0, 3600.0, 3 * 3600.0)

    def identify(self, sim: Simulation, scope: Scope) -> str | None:
        token = bearer(scope)
        if token is None:
            return None
        found = session(sim, token)
        if found is None:
            return None
        tenant, record = found
        scope[SESSION] = "expired" if expired(tenant, record) else "ok"
        return tenant.id

    def resolve_tenant_ref(self, sim: Simulation, ref: str) -> str:
        if "!" in ref:  # an access token
            found = session(sim, ref)
            return found[0].id if found else ref
        if ref.startswith("00D") and len(ref) in (15, 18):
            return to_18(ref)
        return org_id_for(sim, ref)  # a client id

    def error_code(self, body: bytes) -> str | None:
        """Salesforce answers a list of errors: the first one's ``errorCode``."""
        found = json_of(body)
        first = found[0] if isinstance(found, list) and found else None
        code = first.get("errorCode") if isinstance(first, dict) else None
        return str(code) if code else None

    def error(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        kind: str,
        retry_after: float | None = None,
    ) -> ErrorReply:
        if code is None:
            if status in (403, 429) or kind in ("quota", "rate", "rate_limit", "concurrency"):
                code = E.REQUEST_LIMIT_EXCEEDED
                message = {
                    "quota": "TotalRequests Limit exceeded.",
                    "concurrency": "ConcurrentPerOrgLongTxn Limit exceeded.",
                }.get(kind, message)
            elif status == 503:
                code = E.SERVER_UNAVAILABLE
            elif status == 401:
                code = E.INVALID_SESSION_ID
            elif status >= 500:
                code = E.UNKNOWN_EXCEPTION
            else:
                code = kind.upper()
        body = dumps([{"message": message, "errorCode": code}])
        return ErrorReply(status, body, list(retry_after_header(retry_after)))

    def response_headers(self, sim: Simulation, tenant: Tenant | None, scope: Scope) -> Headers:
        if tenant is None or scope.get(SESSION) != "ok":
            return []
        n, limit, refused = count_call(sim, tenant)
        if refused:
            scope[REFUSED] = True
        return [(b"sforce-limit-info", f"api-usage={n}/{limit}".encode())]

    def on_tenant_created(self, sim: Simulation, tenant: Tenant) -> None:
        seed_org(sim, tenant)

    def on_tenant_restored(self, sim: Simulation, tenant: Tenant) -> None:
        # Schema (custom fields), Decimal money and the SOQL indexes are rebuilt from the
        # store; sessions need nothing: tokens live in the store and name their org.
        forget(tenant)
        org_of(tenant)

    def sign(self, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
        # No Salesforce equivalent (change events are pulled over CometD/gRPC); the
        # engine's scheme: t=<unix>,v1=<hex HMAC-SHA256 of "t." + body>.
        return super().sign(secret, body, timestamp)


def error_body(items: list[dict[str, Any]]) -> bytes:
    return dumps(items)
