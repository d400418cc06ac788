"""The fakes' own capacity: a vendor API mix per fake, sent as an integration would (not as
observer: every request goes through the fakes' whole path, the journal and idempotency
included). Run with the vendors' limits off (``fintwin load --scenario fakes --limits
none``, the default for this scenario), or the fakes refuse what Stripe or NetSuite
would.

- billing: create customers with idempotency keys (and replay one), retrieve, list;
- CRM: create and update Accounts, retrieve, SOQL by Id;
- ERP: create customers, retrieve, SuiteQL by id.

The tenants of this scenario are not wired to the SUT (their webhook endpoint and CRM
subscription are removed when they are provisioned): only the fakes are measured.

    fintwin load --scenario fakes --users 30 --duration 60s
"""

from __future__ import annotations

import itertools
import random
import secrets
from collections import deque
from typing import Any

from locust import task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.runners import WorkerRunner

from harness.drivers.crm import soql_quote
from harness.load.stackfile import LoadTenant
from loadtests.kit.stack import load_stack
from loadtests.kit.vendors import TenantApi, ssl_context_factory

_USERS = itertools.count()


class VendorClient(FastHttpUser):
    """One integration's connection to one fake (abstract: one subclass per fake)."""

    abstract = True
    host = "http://127.0.0.1"
    insecure = False
    vendor = ""

    def wait_time(self) -> float:
        return 0.0  # capacity: as fast as the fake answers

    def __init__(self, environment: Environment) -> None:
        stack = load_stack(environment)
        type(self).host = stack.urls[self.vendor]
        type(self).ssl_context_factory = staticmethod(ssl_context_factory(stack))
        super().__init__(environment)
        runner = environment.runner
        worker = runner.worker_index if isinstance(runner, WorkerRunner) else 0
        n = next(_USERS)
        self.tenant: LoadTenant = stack.tenants[(worker + n) % len(stack.tenants)]
        self.api = TenantApi(self.client, stack, self.tenant, observer=False)
        self.rng = random.Random(f"{stack.seed}:{self.vendor}:{worker}:{n}")
        self.ids: deque[str] = deque(maxlen=200)  # records this user made, to read back

    def pick(self) -> str | None:
        return self.rng.choice(self.ids) if self.ids else None


class BillingClient(VendorClient):
    vendor = "billing"

    @task(3)
    def create_customer(self) -> None:
        key = f"load-{secrets.token_hex(10)}"
        body = {"email": f"ap-{self.rng.randrange(10**9)}@load.example",
                "metadata": {"source": "fintwin-load"}}
        found = self.api.billing_post("/v1/customers", body, "billing POST /v1/customers",
                                      idempotency_key=key)
        self.ids.append(str(found["id"]))
        if self.rng.random() < 0.2:  # a retried create: Stripe replays the first answer
            self.api.billing_post("/v1/customers", body,
                                  "billing POST /v1/customers (idempotent replay)",
                                  idempotency_key=key)

    @task(5)
    def retrieve_customer(self) -> None:
        if (cid := self.pick()) is not None:
            self.api.billing_get(f"/v1/customers/{cid}", "billing GET /v1/customers/{id}")

    @task(2)
    def list_customers(self) -> None:
        self.api.billing_get("/v1/customers", "billing GET /v1/customers", "limit=10")


class CrmClient(VendorClient):
    vendor = "crm"

    @task(3)
    def create_account(self) -> None:
        self.ids.append(self.api.crm_create("Account", {
            "Name": f"Load {self.rng.randrange(10**9)}", "Legal_Entity__c": "US",
            "CurrencyIsoCode": "USD"}))

    @task(4)
    def retrieve_account(self) -> None:
        if (aid := self.pick()) is not None:
            self.api.crm_get("Account", aid, ("Name", "Legal_Entity__c"))

    @task(2)
    def soql_by_id(self) -> None:
        if (aid := self.pick()) is not None:
            self.api.soql(f"SELECT Id, Name FROM Account WHERE Id = {soql_quote(aid)}",
                          "crm SOQL Account by Id")

    @task(1)
    def update_account(self) -> None:
        if (aid := self.pick()) is not None:
            self.api.crm_update("Account", aid, {"Phone": f"+1 555 {self.rng.randrange(10**4)}"})


class ErpClient(VendorClient):
    vendor = "erp"
    _refs: dict[str, Any] = {}

    def on_start(self) -> None:
        if self.tenant.label not in self._refs:
            sub = self.api.suiteql("SELECT id FROM subsidiary WHERE country = 'US'",
                                   "erp SuiteQL subsidiary")["items"][0]["id"]
            cur = self.api.suiteql("SELECT id FROM currency WHERE symbol = 'USD'",
                                   "erp SuiteQL currency")["items"][0]["id"]
            self._refs[self.tenant.label] = {"subsidiary": {"id": str(sub)},
                                             "currency": {"id": str(cur)}}

    @task(2)
    def create_customer(self) -> None:
        self.ids.append(self.api.erp_create("customer", {
            "companyName": f"Load {self.rng.randrange(10**9)}",
            **self._refs[self.tenant.label]}, "erp POST /record/v1/customer"))

    @task(4)
    def retrieve_customer(self) -> None:
        if (cid := self.pick()) is not None:
            self.api.erp_exists("customer", cid, "erp GET /record/v1/customer/{id}")

    @task(2)
    def suiteql_by_id(self) -> None:
        if (cid := self.pick()) is not None:
            self.api.suiteql(f"SELECT id, companyname FROM customer WHERE id = {int(cid)}",
                             "erp SuiteQL customer by id")
