"""Quote-to-cash load: sales teams close deals in the CRM, the SUT takes them to cash.

Each user is a sales rep of one team (a tenant: one company's CRM org, billing account
and ERP account). A deal: the account, a contact, the opportunity with two lines and its
accepted quote in the CRM; once the SUT has made the billing customer, the customer's
card; then the opportunity is closed won. From that instant the deal is followed end to
end, and reported to Locust as requests of type FLOW:

- ``account created -> billing customer linked`` (the SUT's account sync, which the rep
  waits for to take the card);
- ``close-won -> ERP invoice posted`` and ``close-won -> ERP payment applied``: the
  deal's first invoice posted to the ERP (``externalId`` = the billing invoice id) and
  its payment applied (``pay:<invoice id>``), as docs/quote-to-cash.md names them.

Reps do not wait for their deals to post (a follower greenlet observes each one by
polling the fakes every ``poll_s`` seconds, so latencies carry up to that much
observation delay), and pace themselves to the stack file's ``pace_s`` (set by
``fintwin load --target-flows-per-min``; none: as fast as they can).

    fintwin load --scenario q2c --users 20 --duration 60s      # headless, with the report
    locust -f loadtests/q2c.py --fintwin-stack .fintwin/load/q2c/stack.json   # web UI
"""

from __future__ import annotations

import contextlib
import itertools
import time
from typing import Any

import gevent
from gevent import GreenletExit
from locust import events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import WorkerRunner

from harness.data import DataFactory, Deal, epoch_date
from harness.drivers import crm_fields
from harness.drivers.billing import CARD_OK
from harness.load.stackfile import LoadStack, LoadTenant
from loadtests.kit import flows
from loadtests.kit.stack import load_stack
from loadtests.kit.vendors import TenantApi, VendorError, quiet_session, ssl_context_factory

ENTITIES = ("US", "GB", "DE")
_REPS = itertools.count()


class Q2CSettings:
    """The scenario's settings from the stack file (``settings``)."""

    def __init__(self, stack: LoadStack) -> None:
        s = stack.settings
        self.pace_s = float(s["pace_s"]) if s.get("pace_s") else 0.0
        self.deals_per_user = int(s["deals_per_user"]) if s.get("deals_per_user") else None
        self.flow_timeout = float(s.get("flow_timeout") or 120.0)
        self.poll_s = float(s.get("poll_s") or 0.2)


class Watch:
    """A closed deal followed to cash by a greenlet that is not the rep's."""

    def __init__(self, environment: Environment, api: TenantApi, settings: Q2CSettings,
                 opportunity_id: str, closed: float) -> None:
        self.environment = environment
        self.api = api
        self.settings = settings
        self.opportunity_id = opportunity_id
        self.closed = closed
        self.subscription: str | None = None
        self.invoice: str | None = None
        self.posted = False

    def run(self) -> None:
        tenant = self.api.tenant.label
        deadline = self.closed + self.settings.flow_timeout
        try:
            while time.time() < deadline:
                try:
                    if self._step():
                        return
                except (VendorError, OSError):
                    pass  # an observation read failed; the next poll tries again
                gevent.sleep(self.settings.poll_s)
            why = f"not through in {self.settings.flow_timeout:.0f} s ({self._where()})"
        except GreenletExit:
            why = f"still in flight when the test stopped ({self._where()})"
        if not self.posted:
            flows.fire(self.environment, flows.INVOICE_POSTED, self.closed, tenant, why)
        flows.fire(self.environment, flows.PAYMENT_APPLIED, self.closed, tenant, why)

    def _where(self) -> str:
        return (f"opportunity {self.opportunity_id}, subscription {self.subscription}, "
                f"invoice {self.invoice}, posted {self.posted}")

    def _step(self) -> bool:
        """One observation of each stage not yet seen, in order; True when paid."""
        api, tenant = self.api, self.api.tenant.label
        if self.subscription is None:
            opp = api.crm_get("Opportunity", self.opportunity_id,
                              ("Billing_Subscription_Id__c",))
            self.subscription = opp.get("Billing_Subscription_Id__c") or None
            if self.subscription is None:
                return False
        if self.invoice is None:
            page = api.billing_get("/v1/invoices", "observe invoices",
                                   f"subscription={self.subscription}&limit=1")
            data = page.get("data") or []
            if not data:
                return False
            self.invoice = str(data[-1]["id"])
        if not self.posted:
            if not api.erp_exists("invoice", f"eid:{self.invoice}", "observe ERP invoice"):
                return False
            self.posted = True
            flows.fire(self.environment, flows.INVOICE_POSTED, self.closed, tenant)
        if not api.erp_exists("customerPayment", f"eid:pay:{self.invoice}",
                              "observe ERP payment"):
            return False
        flows.fire(self.environment, flows.PAYMENT_APPLIED, self.closed, tenant)
        return True


class SalesRep(FastHttpUser):
    """A sales rep closing deals for one team (tenant)."""

    host = "http://127.0.0.1"  # replaced by the CRM's URL at test start
    insecure = False

    def wait_time(self) -> float:
        # constant_pacing: a deal starts every pace_s seconds per rep (0: back to back).
        if not self.settings.pace_s:
            return 0.0
        return max(0.0, self.settings.pace_s - (time.time() - self._deal_started))

    def __init__(self, environment: Environment) -> None:
        stack = load_stack(environment)
        type(self).host = stack.urls["crm"]
        type(self).ssl_context_factory = staticmethod(ssl_context_factory(stack))
        super().__init__(environment)
        self.stack = stack
        self.settings = Q2CSettings(stack)
        runner = environment.runner
        worker = runner.worker_index if isinstance(runner, WorkerRunner) else 0
        n = next(_REPS)
        self.tenant: LoadTenant = stack.tenants[(worker + n) % len(stack.tenants)]
        self.api = TenantApi(self.client, stack, self.tenant)
        self.quiet = TenantApi(_quiet(stack), stack, self.tenant)
        self.data = DataFactory(stack.seed, f"{self.tenant.label}/rep-{worker}-{n}",
                                base_date=epoch_date(stack.epoch))
        self.deals = 0
        self._deal_started = time.time()

    @task
    def close_a_deal(self) -> None:
        if self.settings.deals_per_user is not None and \
                self.deals >= self.settings.deals_per_user:
            raise StopUser()
        self._deal_started = time.time()
        self.deals += 1
        deal = self.data.deal(ENTITIES[self.deals % len(ENTITIES)], lines=2,
                              catalog=self.tenant.catalog)
        account, opportunity = self._open(deal)
        customer = self._billing_customer(account)
        if customer is None:
            return
        self._card(customer)
        closed = time.time()
        self.api.crm_update("Opportunity", opportunity, crm_fields.CLOSED_WON)
        watch = Watch(self.environment, self.quiet, self.settings, opportunity, closed)
        flows.follow(watch.run)

    def _open(self, deal: Deal) -> tuple[str, str]:
        """Account, one contact, the opportunity and its synced (accepted) quote."""
        api, tenant = self.api, self.tenant
        self._account_created = time.time()
        account = api.crm_create("Account", crm_fields.account(deal))
        contact = api.crm_create("Contact", crm_fields.contact(account, deal.contacts[0]))
        opportunity = api.crm_create("Opportunity", crm_fields.opportunity(
            deal, account, tenant.pricebook_id))
        lines = {line.product.code: api.crm_create("OpportunityLineItem",
                                                   crm_fields.opportunity_line(
                                                       deal, line, opportunity,
                                                       tenant.entry(line.product.code,
                                                                    deal.currency)))
                 for line in deal.lines}
        quote = api.crm_create("Quote", crm_fields.quote(deal, opportunity,
                                                         tenant.pricebook_id, contact))
        for line in deal.lines:
            api.crm_create("QuoteLineItem", crm_fields.quote_line(
                deal, line, quote, tenant.entry(line.product.code, deal.currency),
                lines[line.product.code]))
        api.crm_update("Quote", quote, crm_fields.ACCEPTED)
        return account, opportunity

    def _billing_customer(self, account: str) -> str | None:
        """The billing customer the SUT wrote back to the account (the rep waits)."""
        started = self._account_created
        deadline = started + self.settings.flow_timeout
        while time.time() < deadline:
            try:
                found = self.quiet.crm_get("Account", account, ("Billing_Customer_Id__c",))
            except (VendorError, OSError):
                found = {}
            customer = found.get("Billing_Customer_Id__c")
            if customer:
                flows.fire(self.environment, flows.ACCOUNT_SYNC, started, self.tenant.label)
                return str(customer)
            gevent.sleep(self.settings.poll_s)
        flows.fire(self.environment, flows.ACCOUNT_SYNC, started, self.tenant.label,
                   f"account {account} has no billing customer after "
                   f"{self.settings.flow_timeout:.0f} s")
        return None

    def _card(self, customer: str) -> None:
        """The customer enters a card (Stripe's test card) and makes it the default."""
        pm = self.api.billing_post(f"/v1/payment_methods/{CARD_OK}/attach",
                                   {"customer": customer},
                                   "billing POST /v1/payment_methods/{pm}/attach")
        self.api.billing_post(f"/v1/customers/{customer}",
                              {"invoice_settings": {"default_payment_method": pm["id"]}},
                              "billing POST /v1/customers/{id}")


_QUIET: dict[str, Any] = {}


def _quiet(stack: LoadStack) -> Any:
    """One unreported session per process for every follower's observation reads."""
    if "session" not in _QUIET:
        _QUIET["session"] = quiet_session(stack)
    return _QUIET["session"]


@events.init.add_listener
def _where_flows_go(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, WorkerRunner):
        # No stack yet: the web UI can still start; the users will say why they cannot.
        with contextlib.suppress(RuntimeError):
            flows.LOG.path = load_stack(environment).flows_file
