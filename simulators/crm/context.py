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

RELEASES = {
    "52.0": "Summer '21",
    "53.0": "Winter '22",
    "54.0": "Spring '22",
    "55.0": "Summer '22",
    "56.0": "Winter '23",
    "57.0": "Spring '23",
    "58.0": "Summer '23",
    "59.0": "Winter '24",
    "60.0": "Spring '24",
    "61.0": "Summer '24",
    "62.0": "Winter '25",
}
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
