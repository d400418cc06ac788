"""Heavy work off the event loop: a query's evaluation in a bounded pool of threads.

Every fake answers all its tenants on one event loop, so a handler that computes for a
second stalls every tenant for a second (issue 18: an 8-way SuiteQL cross join froze the
ERP fake for 35 s). A handler whose work can be heavy splits it in two and returns a
:class:`Deferred`:

- ``work`` runs in a worker thread. It must read only what the loop does not change
  under it (a snapshot taken by the handler) and bound itself (a time and row budget,
  :class:`Budget`): the thread cannot be killed, only asked to stop;
- ``finish`` runs back on the loop with what ``work`` returned (ids drawn from the
  seeded stream, cursors kept in the tenant: everything that must stay in order).

The vendor's ``call`` step awaits a Deferred (:func:`settle`); a caller inside the fake
that cannot await (a composite subrequest) runs it in place with :meth:`Deferred.now`,
still within its budget. The pool is small and shared, and each tenant has at most
``PER_TENANT`` pieces of work in it at once (the rest wait their turn without blocking
the loop), so one tenant's queries cannot take every thread from the others.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

WORKERS = 4
PER_TENANT = 2

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


# How often (seconds) a thread running Python must let another take the interpreter.
# CPython's default, 5 ms, is paid by the event loop's thread at every hand-over while a
# worker computes (after each socket read and write): a GET that needs three of them
# waited 15-20 ms behind a query's translation. 0.5 ms keeps that under 2 ms.
SWITCH_INTERVAL = 0.0005


def pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="fintwin-work")
        return _pool


class BudgetExceeded(Exception):
    """The work ran out of its time or row budget; the vendor words the refusal."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what  # "time" or "rows"


@dataclass
class Budget:
    """How much one request may compute: wall seconds and rows looked at.

    ``check`` is called by the work as it goes (every few hundred rows); it raises
    :class:`BudgetExceeded` once either is spent. ``cancel`` (from another thread) makes
    the next ``check`` raise too.
    """

    seconds: float = 10.0
    rows: int = 5_000_000
    started: float = field(default_factory=time.monotonic)  # start() when work begins
    seen: int = 0
    cancelled: bool = False

    def start(self) -> Budget:
        self.started = time.monotonic()
        self.seen = 0
        return self

    def spent(self) -> bool:
        return self.cancelled or time.monotonic() - self.started > self.seconds

    def check(self, rows: int = 0) -> None:
        self.seen += rows
        if self.seen > self.rows:
            raise BudgetExceeded("rows")
        if self.spent():
            raise BudgetExceeded("time")


@dataclass
class Deferred(Generic[T, R]):
    """A handler's answer whose heavy part runs off the loop (see the module's doc)."""

    work: Callable[[], T]
    finish: Callable[[T], R]
    tenant: str = ""
    budget: Budget | None = None  # the work's, when it has one

    def now(self, seconds: float | None = None) -> R:
        """Run both parts here (a caller that cannot await), in at most ``seconds`` if
        given: this holds up the event loop, so such a caller gives little time."""
        if seconds is not None and self.budget is not None:
            self.budget.seconds = min(self.budget.seconds, seconds)
        return self.finish(self.work())

    async def run(self) -> R:
        """``work`` in the pool (this tenant's turn), then ``finish`` on the loop."""
        gate = _gate(self.tenant)
        async with gate:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(pool(), self.work)
        return self.finish(result)


# One semaphore per tenant and event loop (tests run several loops in one process; a
# semaphore belongs to the loop that first waits on it).
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary())


def _gate(tenant: str) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gates = _gates.get(loop)
    if gates is None:
        gates = _gates[loop] = {}
    gate = gates.get(tenant)
    if gate is None:
        if len(gates) > 10_000:  # forget idle gates rather than grow without bound
            for name in [n for n, g in gates.items() if not g.locked()]:
                del gates[name]
        gate = gates[tenant] = asyncio.Semaphore(PER_TENANT)
    return gate


async def settle(value: Any) -> Any:
    """``value`` itself, or what a Deferred comes to once run."""
    if isinstance(value, Deferred):
        return await value.run()
    return value
