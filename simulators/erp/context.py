"""The per-request context record operations run in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulators.engine.offload import Deferred
from simulators.engine.runtime import Simulation
from simulators.engine.store import Record, Store
from simulators.engine.tenancy import Tenant
from simulators.erp.errors import InvalidKeyOrRef

if TYPE_CHECKING:
    from simulators.erp.wire import Reply, Req

RECORD_PATH = "/services/rest/record/v1"

# Store kinds the fake keeps besides records (leading underscore: never a record type).
TOKENS = "_token"
JOBS = "_job"

# Secondary indexes (kind -> fields); every record kind is indexed by externalId.
RECORD_KINDS = (
    "subsidiary",
    "currency",
    "account",
    "accountingperiod",
    "term",
    "item",
    "customer",
    "invoice",
    "creditmemo",
    "customerpayment",
    "journalentry",
)
INDEXES: dict[str, tuple[str, ...]] = {kind: ("externalId",) for kind in RECORD_KINDS}
INDEXES[JOBS] = ("key",)


@dataclass
class Ctx:
    sim: Simulation
    tenant: Tenant
    base_url: str = ""
    # Runs an operation by id (an async job's request, later): set for API calls.
    # An operation run now (an async job): its reply, or its work to run (a query).
    invoke: Callable[[Ctx, str, Req], Reply | Deferred[Any, Reply]] | None = None

    @property
    def store(self) -> Store:
        return self.tenant.store

    def get(self, kind: str, obj_id: str) -> Record | None:
        return self.store.get(kind, obj_id)

    def by_external_id(self, kind: str, external_id: str) -> Record | None:
        found = self.store.collection(kind).by_index("externalId", external_id)
        return found[0] if found else None

    def resolve(self, kind: str, ref: Any, path: str, label: str | None = None) -> Record:
        """The record a reference names, or INVALID_KEY_OR_REF."""
        rec: Record | None = None
        shown = ""
        if isinstance(ref, dict):
            if "id" in ref:
                shown = str(ref["id"])
                rec = self.get(kind, shown)
            elif "externalId" in ref:
                shown = str(ref["externalId"])
                rec = self.by_external_id(kind, shown)
        if rec is None:
            # "Invalid customer reference key 99999." is the wording in public
            # mocks of NetSuite REST (unverified).
            raise InvalidKeyOrRef(f"Invalid {label or kind} reference key {shown}.", path)
        return rec

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def record_url(self, type_name: str, obj_id: str) -> str:
        return self.url(f"{RECORD_PATH}/{type_name}/{obj_id}")

    def now(self) -> float:
        return self.tenant.clock.now()

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.now(), dt.UTC).date()

    def timestamp(self) -> str:
        stamp = dt.datetime.fromtimestamp(self.now(), dt.UTC).replace(microsecond=0)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")

    def next_id(self, stream: str) -> str:
        return str(self.tenant.streams.next_ordinal("id:" + stream))
