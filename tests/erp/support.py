"""A synchronous handle on one in-process ERP fake and an authenticated httpx client.

pytest-asyncio is not used: each session owns an ``asyncio.Runner`` and runs
one coroutine at a time on it (``gather`` for concurrent requests).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from simulators.engine.settings import SimSettings
from simulators.engine.tenancy import Tenant
from simulators.engine.transport import InProcessTransport
from simulators.erp import auth
from simulators.erp.app import create_app
from simulators.erp.context import JOBS, TOKENS

T = TypeVar("T")
TOKEN = "/services/rest/auth/oauth2/v1/token"
RECORDS = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
BASE = "https://1234567.suitetalk.erp.test"
ACCOUNT = "1234567"
CLIENT_ID = "fintwin-tests"
SECRET = "s3cret"

# Default setup ids (simulators/erp/setup.py creates them in this order).
USD, GBP, EUR, JPY = "1", "2", "3", "4"
US_SUB, UK_SUB, DE_SUB = "1", "2", "3"
US_BANK, UK_BANK, DE_BANK = "1", "2", "3"
AR, UNDEPOSITED, AP, TAX, DEFERRED, EQUITY, RETAINED, SERVICES, PRODUCT, OPEX, FEES = (
    str(n) for n in range(4, 15)
)
CONSULTING, SUBSCRIPTION, HARDWARE = "1", "2", "3"  # items
# The SuiteQL tables issue 4 names.
SUITEQL_TABLES = (
    "transaction",
    "transactionLine",
    "transactionAccountingLine",
    "customer",
    "account",
    "subsidiary",
    "accountingPeriod",
)
NET_30 = "3"  # terms


class Erp:
    """An ERP fake with one account (``ACCOUNT``) and a client holding a valid token."""

    def __init__(self, settings: SimSettings | None = None) -> None:
        self.runner = asyncio.Runner()
        self.app = create_app(settings or SimSettings(seed=7, base_url=BASE))
        self.sim = self.app.sim
        auth.register(self.sim, ACCOUNT, CLIENT_ID, secret=SECRET)
        self.client = httpx.AsyncClient(
            transport=InProcessTransport(self.app), base_url="http://erp.test"
        )
        self.token = self.fetch_token()
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def close(self) -> None:
        self.run(self.client.aclose())
        self.runner.close()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coro)

    @property
    def tenant(self) -> Tenant:
        tenant = self.sim.tenants.get(ACCOUNT)
        assert tenant is not None
        return tenant

    def fetch_token(self) -> str:
        response = self.run(
            self.client.post(
                TOKEN, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET)
            )
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.run(self.client.request(method, path, headers=headers, **kwargs))

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def create(self, type_name: str, body: dict[str, Any], **kwargs: Any) -> str:
        """POST a record, assert 204 + Location, return the new id."""
        response = self.post(f"{RECORDS}/{type_name}", json=body, **kwargs)
        assert response.status_code == 204, response.text
        assert response.content == b""
        location = response.headers["location"]
        prefix = f"{BASE}{RECORDS}/{type_name}/"
        assert location.startswith(prefix), location
        return location.removeprefix(prefix)

    def record(self, type_name: str, key: str, **params: str) -> dict[str, Any]:
        response = self.get(f"{RECORDS}/{type_name}/{key}", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json(parse_float=Decimal)
        return body

    def suiteql(self, q: str, **params: Any) -> dict[str, Any]:
        response = self.post(SUITEQL, json={"q": q}, params=params, headers={"Prefer": "transient"})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def rows(self, q: str) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in item.items() if k != "links"} for item in self.suiteql(q)["items"]
        ]

    def state(self) -> dict[str, Any]:
        """Business state (records and SuiteQL rows), for "nothing was written" checks."""
        store = {k: v for k, v in self.tenant.store.snapshot().items() if k not in (TOKENS, JOBS)}
        ledger = {
            table: self.rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]
            for table in SUITEQL_TABLES
        }
        return {"store": store, "ledger": ledger}

    def customer(self, subsidiary: str = US_SUB, **extra: Any) -> str:
        body = {
            "companyName": extra.pop("companyName", "Acme Corp"),
            "subsidiary": {"id": subsidiary},
            **extra,
        }
        return self.create("customer", body)

    def invoice(
        self, customer: str, lines: list[dict[str, Any]] | None = None, **extra: Any
    ) -> str:
        items = lines or [{"item": {"id": CONSULTING}, "quantity": 2, "rate": "100"}]
        return self.create(
            "invoice", {"entity": {"id": customer}, "item": {"items": items}, **extra}
        )

    def period_id(self, name: str) -> str:
        found = self.rows(f"SELECT id FROM accountingPeriod WHERE periodname = '{name}'")
        assert found, name
        return str(found[0]["id"])

    def current_period(self) -> str:
        today = self.tenant.clock.now()
        name = time.strftime("%b %Y", time.gmtime(today))
        return self.period_id(name)


def assert_error(
    response: httpx.Response, status: int, code: str, path: str | None = None
) -> dict[str, Any]:
    """NetSuite's error envelope with one detail of ``code`` (and ``o:errorPath``)."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert isinstance(body["title"], str)
    detail = body["o:errorDetails"][0]
    assert detail["o:errorCode"] == code, body
    assert isinstance(detail["detail"], str) and detail["detail"]
    if path is not None:
        assert detail.get("o:errorPath") == path, body
    return body
