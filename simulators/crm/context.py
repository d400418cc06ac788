"""One CRM API call as the operations see it: its org and version (``Ctx``), what it
asked (``Req``) and what it answers (``Reply``), whether it came over HTTP or as a
composite subrequest.

REST API versions served, with their release names (Salesforce release notes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from simulators.crm import records as R
from simulators.crm.org import Org

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

# Salesforce serves every version from 31.0 (Summer '14) to the current release, three a
# year (Summer, Winter, Spring; Winter is named after the year it ends in), and answers
# 410 GONE for a retired one: 7.0-20.0 since Summer '22, 21.0-30.0 since Summer '25
# (REST API Developer Guide, "API End-of-Life Policy"; the guide's release menu pairs
# each version with its release, 62.0 Winter '25 to 68.0 Winter '27).
OLDEST, CURRENT = 31, 68
RETIRED = frozenset(f"{n}.0" for n in range(7, OLDEST))


def release_name(major: int) -> str:
    """The release that brought version ``major``.0 (31: Summer '14, 62: Winter '25)."""
    k = major - OLDEST
    return f"{('Summer', 'Winter', 'Spring')[k % 3]} '{14 + (k + 2) // 3:02d}"


RELEASES = {f"{n}.0": release_name(n) for n in range(OLDEST, CURRENT + 1)}
DATA = "/services/data"


def versions() -> list[dict[str, str]]:
    return [
        {"label": label, "url": f"{DATA}/v{v}", "version": v} for v, label in RELEASES.items()
    ]


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Req:
    """What a call asked: its method, path parameters, declared query parameters (checked)
    and the JSON body, parsed when a handler first asks for it."""

    method: str
    path: dict[str, str]
    query: dict[str, Any]
    body: Callable[[], Any] = lambda: None
    raw: bytes = b""  # the body as sent (a Bulk API 2.0 CSV upload reads it)


class Invoke(Protocol):
    """Runs a call through the operation table (the composite resources' subrequests)."""

    def __call__(self, ctx: Ctx, method: str, path: str, query: dict[str, str],
                 body: Callable[[], Any]) -> Reply: ...


@dataclass
class Ctx:
    """One API call: the org, the API version and, inside an allOrNone composite, the
    transaction every subrequest writes into."""

    sim: Simulation
    tenant: Tenant
    org: Org
    version: str
    headers: Mapping[str, str]
    invoke: Invoke
    txn: R.Txn | None = None
    in_composite: bool = False

    @property
    def prefix(self) -> str:
        return f"{DATA}/v{self.version}"

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.tenant.clock.now(), UTC)

    def write(self, work: Callable[[R.Txn], Reply]) -> Reply:
        """Run ``work`` in the enclosing transaction, or in its own, committed or undone."""
        if self.txn is not None:
            return work(self.txn)
        txn = R.begin(self.sim, self.tenant)
        try:
            reply = work(txn)
        except BaseException:
            txn.rollback()
            raise
        txn.commit()
        return reply
