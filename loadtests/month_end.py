"""Month-end: thousands of subscriptions renew at one business instant.

``fintwin load --scenario month-end`` sells each tenant a book of subscriptions through
the SUT, all at one frozen instant (the 1st of a month), before the load. Each user here
is one tenant's month-end: it advances the tenant's business clocks to the 1st of the
next month, past Stripe's draft hour (CRM and ERP first, billing last: billing renews
every subscription in that one request, and the SUT meets a burst of invoice.created,
invoice.finalized and invoice.paid webhooks for all of them). From the instant the
advance was sent, it watches the ERP (SuiteQL over the transactions it did not have
before) and reports each renewal to Locust as FLOW requests:
``renewal -> ERP invoice posted`` and ``renewal -> ERP payment applied``, then
``month-end: every renewal posted and paid`` once the last one is in (the time to drain),
and stops.

    fintwin load --scenario month-end --renewals 2000
    locust -f loadtests/month_end.py --fintwin-stack .fintwin/load/month-end/stack.json
"""

from __future__ import annotations

import contextlib
import itertools
import time
from typing import Any

import gevent
from locust import events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import WorkerRunner

from harness.load.stackfile import LoadStack, LoadTenant
from loadtests.kit import flows
from loadtests.kit.stack import load_stack
from loadtests.kit.vendors import TenantApi, VendorError, quiet_session, ssl_context_factory

_CONTROLLERS = itertools.count()
# Internal ids are integers that only grow (the ERP fake's SuiteQL types them INTEGER).
TRANSACTIONS = "SELECT id, type, externalid FROM transaction WHERE type IN " \
               "('CustInvc', 'CustPymt') AND id > {after} ORDER BY id"


class Ledger:
    """The tenant's ERP invoices and payments, read page by page as they come."""

    def __init__(self, api: TenantApi) -> None:
        self.api = api
        self.last = 0  # the highest transaction id read so far

    def new_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            page = self.api.suiteql(TRANSACTIONS.format(after=self.last),
                                    "observe ERP transactions")
            items = list(page.get("items") or [])
            rows.extend(items)
            if items:
                self.last = max(int(i["id"]) for i in items)
            if not page.get("hasMore") or not items:
                return rows


class MonthEnd(FastHttpUser):
    """One tenant's month-end renewal run (one user per tenant)."""

    host = "http://127.0.0.1"
    insecure = False
    # The billing fake renews the whole book inside the advance request (a Stripe test
    # clock reports "advancing" instead): thousands of renewals take a while.
    network_timeout = 1800.0

    def wait_time(self) -> float:
        return 1.0

    def __init__(self, environment: Environment) -> None:
        stack = load_stack(environment)
        type(self).host = stack.urls["billing"]
        type(self).ssl_context_factory = staticmethod(ssl_context_factory(stack))
        super().__init__(environment)
        runner = environment.runner
        worker = runner.worker_index if isinstance(runner, WorkerRunner) else 0
        n = next(_CONTROLLERS)
        self.stack: LoadStack = stack
        self.tenant: LoadTenant = stack.tenants[(worker + n) % len(stack.tenants)]
        self.book = stack.settings["books"][self.tenant.label]
        self.api = TenantApi(self.client, stack, self.tenant)
        self.quiet = TenantApi(quiet_session(stack, concurrency=4), stack, self.tenant)
        self.poll_s = float(stack.settings.get("poll_s") or 0.5)
        self.timeout = float(stack.settings.get("timeout") or 900)

    @task
    def renew_the_book(self) -> None:
        """Once: the renewal run, followed to the end; then this user stops."""
        started = time.time()
        try:
            self._renew()
        except (VendorError, OSError) as exc:
            flows.fire(self.environment, flows.MONTH_END_DRAINED, started, self.tenant.label,
                       f"the month-end could not run: {exc}")
        raise StopUser()

    def _renew(self) -> None:
        tenant, expected = self.tenant.label, int(self.book["subscriptions"])
        ledger = Ledger(self.quiet)
        ledger.new_rows()  # the book's first invoices and payments: not renewals
        now = float(self.api.control("billing", "GET", "/_sim/clock", "clock")["now"])
        seconds = max(0.0, float(self.book["advance_to"]) - now)
        started = time.time()
        for vendor in ("crm", "erp", "billing"):  # billing last: it starts the renewals
            self.api.control(vendor, "POST", "/_sim/clock/advance",
                             f"{vendor} POST /_sim/clock/advance (month-end)",
                             {"seconds": seconds})
        posted = paid = 0
        deadline = started + self.timeout
        while (posted < expected or paid < expected) and time.time() < deadline:
            gevent.sleep(self.poll_s)
            with contextlib.suppress(VendorError, OSError):
                for row in ledger.new_rows():
                    if row["type"] == "CustInvc":
                        posted += 1
                        flows.fire(self.environment, flows.RENEWAL_POSTED, started, tenant)
                    elif row["type"] == "CustPymt":
                        paid += 1
                        flows.fire(self.environment, flows.RENEWAL_PAID, started, tenant)
        error = None if posted >= expected and paid >= expected else (
            f"{posted}/{expected} renewals posted, {paid}/{expected} paid after "
            f"{self.timeout:.0f} s")
        if error:
            for _ in range(expected - posted):
                flows.fire(self.environment, flows.RENEWAL_POSTED, started, tenant, error)
            for _ in range(expected - paid):
                flows.fire(self.environment, flows.RENEWAL_PAID, started, tenant, error)
        flows.fire(self.environment, flows.MONTH_END_DRAINED, started, tenant, error)


@events.init.add_listener
def _where_flows_go(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, WorkerRunner):
        # No stack yet: the web UI can still start; the users will say why they cannot.
        with contextlib.suppress(RuntimeError):
            flows.LOG.path = load_stack(environment).flows_file
