"""NetSuite as the engine sees it: which account a request is for, and its error envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulators.engine.vendor import (
    ErrorReply,
    Headers,
    Scope,
    Vendor,
    header,
    json_of,
    retry_after_header,
)
from simulators.erp import auth, errors, mirror, setup
from simulators.erp.context import TOKENS, Ctx

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

# Paths that count toward the account's concurrency limit: every REST web
# services call, not the token endpoint (Oracle, "Concurrency Governance and
# Session Management": each REST request counts toward the account limit).
GOVERNED = [
    "/services/rest/record/*",
    "/services/rest/query/*",
    "/services/rest/system/*",
    "/services/rest/async/*",
]
DEFAULT_CONCURRENCY = 5


class NetSuiteVendor(Vendor):
    name = "erp"
    secret_kinds = (TOKENS,)  # access tokens
    secret_fields = ("secret",)  # webhook signing secrets
    # Account-wide concurrency limit: 5 on the lowest service tier without
    # SuiteCloud Plus (Oracle, "Concurrency Governance Limits Based on Service
    # Tiers"; the governanceLimits example shows accountConcurrencyLimit 5).
    default_limits = (
        {
            "name": "netsuite-concurrency",
            "match": {"path": GOVERNED},
            "fault": {"concurrency": {"limit": DEFAULT_CONCURRENCY}},
        },
    )

    def __init__(self) -> None:
        # bearer token -> account id; derived state, rebuilt on restore.
        self.tokens: dict[str, str] = {}

    def identify(self, sim: Simulation, scope: Scope) -> str | None:
        auth_header = header(scope, b"authorization")
        if not auth_header:
            return None
        scheme, _, value = auth_header.partition(b" ")
        if scheme.lower() != b"bearer":
            return None
        return self.tokens.get(value.strip().decode("latin-1"))

    def resolve_tenant_ref(self, sim: Simulation, ref: str) -> str:
        entry = auth.clients(sim).get(ref)
        return str(entry["account"]) if entry else ref

    def error_code(self, body: bytes) -> str | None:
        """NetSuite's first ``o:errorDetails`` entry's ``o:errorCode`` (an OAuth error's
        ``error``)."""
        found = json_of(body)
        if not isinstance(found, dict):
            return None
        details = found.get("o:errorDetails")
        first = details[0] if isinstance(details, list) and details else None
        code = first.get("o:errorCode") if isinstance(first, dict) else found.get("error")
        return str(code) if isinstance(code, str) and code else None

    def error(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        kind: str,
        retry_after: float | None = None,
    ) -> ErrorReply:
        cls: type[errors.NetSuiteError]
        if status == 429:
            cls = errors.ConcurrencyLimitExceeded
            if kind == "concurrency":
                message = "Concurrent request limit exceeded. Request blocked."
        elif status == 503:
            cls = errors.Unavailable
        elif status >= 500:
            cls = errors.ServiceError
        else:
            cls = errors.UserError
        err = cls(message)
        if code:
            err.code = code
        body = err.render()
        return ErrorReply(status, body, list(retry_after_header(retry_after)))

    def on_tenant_created(self, sim: Simulation, tenant: Tenant) -> None:
        setup.install(sim, tenant)

    def on_clock_changed(self, sim: Simulation, tenant: Tenant) -> None:
        setup.ensure_calendar(Ctx(sim, tenant, sim.settings.base_url))

    def on_tenant_dropped(self, sim: Simulation, tenant_id: str) -> None:
        for stale in [t for t, owner in self.tokens.items() if owner == tenant_id]:
            del self.tokens[stale]

    def on_tenant_restored(self, sim: Simulation, tenant: Tenant) -> None:
        # The SuiteQL mirror (tenant.transient) is rebuilt now, so that a store it cannot
        # read is refused by the restore (400) rather than by every later query (500).
        mirror.rebuild(tenant)
        for stale in [t for t, owner in self.tokens.items() if owner == tenant.id]:
            del self.tokens[stale]
        for rec in tenant.store.all(TOKENS):
            self.tokens[rec["id"]] = tenant.id

    def response_headers(self, sim: Simulation, tenant: Tenant | None, scope: Scope) -> Headers:
        return []

    def remember(self, token: str, tenant_id: str) -> None:
        self.tokens[token] = tenant_id

    def governance(self, sim: Simulation) -> dict[str, Any]:
        limit = DEFAULT_CONCURRENCY
        for rule in sim.faults.limits:
            if rule.name == "netsuite-concurrency":
                limit = rule.fault.limit
        return {
            "accountConcurrencyLimit": limit,
            "accountUnallocatedConcurrencyLimit": limit,
            "integrationLimitType": "accountLimit",
        }
