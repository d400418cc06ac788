"""One tenant's three vendor APIs, spoken over a Locust HTTP session.

The calls a user makes through the user's own client are reported to Locust as requests
(``crm create Account``, ``billing POST /v1/customers/{id}``, ...); the same calls over a
quiet session (:func:`quiet_session`) are not, which is how the flow trackers observe the
fakes without counting their polls as load. Sales reps and customers act as the vendors'
own UIs would, with ``X-Fintwin-Observer``: what they do is no API call of the
integration, so it spends none of its rate limits or daily allocation and stays out of
the request journal (which then holds only the SUT's calls, as in the scenario suites).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import gevent.ssl
import orjson
from locust.contrib.fasthttp import FastHttpSession
from locust.event import EventHook

from harness.drivers.base import json_bytes
from harness.drivers.billing import READ_VERSION, form_encode
from harness.drivers.crm import DATA as CRM_DATA
from harness.drivers.crm import TOKEN_PATH as CRM_TOKEN
from harness.drivers.erp import RECORDS as ERP_RECORDS
from harness.drivers.erp import SUITEQL as ERP_SUITEQL
from harness.drivers.erp import TOKEN_PATH as ERP_TOKEN
from harness.load.stackfile import LoadStack, LoadTenant

OBSERVER = "X-Fintwin-Observer"
ADMIN = "X-Sim-Admin-Token"


class VendorError(RuntimeError):
    """A fake answered with a status the caller did not expect."""

    def __init__(self, what: str, status: int, body: str) -> None:
        self.status = status
        super().__init__(f"{what}: HTTP {status}: {body[:300]}")


def ssl_context_factory(stack: LoadStack) -> Callable[[], Any]:
    """What FastHttpSession makes its TLS contexts with: trusting the stack's local CA."""
    pem, path = stack.ca_pem, stack.ca_bundle

    def factory() -> Any:
        if pem:
            return gevent.ssl.create_default_context(cadata=pem)
        return gevent.ssl.create_default_context(cafile=path) if path else \
            gevent.ssl.create_default_context()

    return factory


def quiet_session(stack: LoadStack, concurrency: int = 64) -> FastHttpSession:
    """A session whose requests are not reported to Locust (its own empty event hook)."""
    return FastHttpSession(None, EventHook(), None, insecure=False,
                           ssl_context_factory=ssl_context_factory(stack),
                           concurrency=concurrency, network_timeout=60.0,
                           connection_timeout=30.0)


# Bearer tokens per (fake, tenant) shared by every session of the process: a rep's
# client and the trackers need one login each, not one per user.
_TOKENS: dict[tuple[str, str], str] = {}


class TenantApi:
    """The CRM, billing and ERP APIs of one tenant over ``session``."""

    def __init__(self, session: FastHttpSession, stack: LoadStack, tenant: LoadTenant,
                 *, observer: bool = True) -> None:
        self.http = session
        self.stack = stack
        self.tenant = tenant
        self.creds = tenant.credentials
        self.urls = stack.urls
        self.base = {OBSERVER: stack.observer} if observer else {}

    # -- plumbing --------------------------------------------------------------------------

    def _send(self, method: str, url: str, name: str, *, expect: tuple[int, ...],
              headers: Mapping[str, str] | None = None, data: bytes | str | None = None
              ) -> tuple[int, Mapping[str, str], bytes]:
        # FastHttpSession sends bytes as they are (its signature says str or dict).
        body: Any = data
        with self.http.request(method, url, name=name, data=body,
                               headers={**self.base, **(headers or {})},
                               catch_response=True) as response:
            status = int(response.status_code or 0)
            content = response.content or b""
            if status in expect:
                response.success()
            else:
                response.failure(f"HTTP {status}: {content[:200]!r}")
            return status, response.headers, content

    def _authorised(self, vendor: str, login: Callable[[], str], method: str, path: str,
                    name: str, *, expect: tuple[int, ...], data: bytes | None = None,
                    headers: Mapping[str, str] | None = None
                    ) -> tuple[int, Mapping[str, str], bytes]:
        """A bearer call that logs in again once on 401 (sessions expire in business
        time)."""
        key = (vendor, self.tenant.label)
        for attempt in (1, 2):
            token = _TOKENS.get(key) or login()
            _TOKENS[key] = token
            status, found, content = self._send(
                method, self.urls[vendor] + path, name,
                expect=expect + ((401,) if attempt == 1 else ()), data=data,
                headers={"Authorization": f"Bearer {token}", **(headers or {})})
            if status != 401 or attempt == 2:
                return status, found, content
            _TOKENS.pop(key, None)
        raise AssertionError("unreachable")

    @staticmethod
    def _check(status: int, expect: tuple[int, ...], what: str, content: bytes) -> None:
        if status not in expect:
            raise VendorError(what, status, content.decode("utf-8", "replace"))

    # -- CRM -------------------------------------------------------------------------------

    def crm_login(self) -> str:
        body = f"grant_type=client_credentials&client_id={self.creds.crm_client_id}" \
               f"&client_secret={self.creds.crm_client_secret}"
        status, _, content = self._send(
            "POST", self.urls["crm"] + CRM_TOKEN, "crm oauth2 token", expect=(200,), data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self._check(status, (200,), "CRM token", content)
        return str(orjson.loads(content)["access_token"])

    def crm(self, method: str, path: str, name: str, body: Any = None,
            expect: tuple[int, ...] = (200,)) -> Any:
        data = None if body is None else json_bytes(body)
        headers = {"Content-Type": "application/json"} if data is not None else None
        status, _, content = self._authorised("crm", self.crm_login, method, CRM_DATA + path,
                                              name, expect=expect, data=data, headers=headers)
        self._check(status, expect, name, content)
        return orjson.loads(content) if content else None

    def crm_create(self, sobject: str, fields: Mapping[str, Any]) -> str:
        found = self.crm("POST", f"/sobjects/{sobject}/", f"crm create {sobject}", fields,
                         expect=(201,))
        return str(found["id"])

    def crm_update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        self.crm("PATCH", f"/sobjects/{sobject}/{record_id}", f"crm update {sobject}", fields,
                 expect=(204,))

    def crm_get(self, sobject: str, record_id: str, fields: tuple[str, ...] = (),
                name: str | None = None) -> dict[str, Any]:
        query = f"?fields={','.join(fields)}" if fields else ""
        found: dict[str, Any] = self.crm("GET", f"/sobjects/{sobject}/{record_id}{query}",
                                         name or f"crm get {sobject}")
        return found

    def soql(self, query: str, name: str) -> list[dict[str, Any]]:
        found = self.crm("GET", f"/query?q={quote(query)}", name)
        return list(found.get("records") or [])

    # -- billing ---------------------------------------------------------------------------

    def _billing_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.creds.billing_api_key}",
                "Stripe-Version": READ_VERSION}

    def billing_post(self, path: str, data: Mapping[str, Any], name: str,
                     idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {**self._billing_headers(),
                   "Content-Type": "application/x-www-form-urlencoded",
                   "Idempotency-Key": idempotency_key or f"load-{secrets.token_hex(12)}"}
        status, _, content = self._send("POST", self.urls["billing"] + path, name,
                                        expect=(200,), headers=headers,
                                        data=urlencode(form_encode(data)))
        self._check(status, (200,), name, content)
        found: dict[str, Any] = orjson.loads(content)
        return found

    def billing_get(self, path: str, name: str, query: str = "") -> dict[str, Any]:
        url = self.urls["billing"] + path + (f"?{query}" if query else "")
        status, _, content = self._send("GET", url, name, expect=(200,),
                                        headers=self._billing_headers())
        self._check(status, (200,), name, content)
        found: dict[str, Any] = orjson.loads(content)
        return found

    # -- ERP -------------------------------------------------------------------------------

    def erp_login(self) -> str:
        basic = base64.b64encode(f"{self.creds.erp_client_id}:"
                                 f"{self.creds.erp_client_secret}".encode()).decode()
        status, _, content = self._send(
            "POST", self.urls["erp"] + ERP_TOKEN, "erp oauth2 token", expect=(200,),
            data="grant_type=client_credentials",
            headers={"Authorization": f"Basic {basic}",
                     "Content-Type": "application/x-www-form-urlencoded"})
        self._check(status, (200,), "ERP token", content)
        return str(orjson.loads(content)["access_token"])

    def erp_exists(self, record_type: str, key: str, name: str) -> bool:
        """Whether the ERP has the record (``eid:<external id>`` or an internal id)."""
        status, _, content = self._authorised("erp", self.erp_login, "GET",
                                              f"{ERP_RECORDS}/{record_type}/{key}", name,
                                              expect=(200, 404))
        self._check(status, (200, 404), name, content)
        return status == 200

    def erp_create(self, record_type: str, body: Mapping[str, Any], name: str) -> str:
        """POST a record (204 + Location); its internal id."""
        status, headers, content = self._authorised(
            "erp", self.erp_login, "POST", f"{ERP_RECORDS}/{record_type}", name,
            expect=(204,), data=json_bytes(dict(body)),
            headers={"Content-Type": "application/json"})
        self._check(status, (204,), name, content)
        location = headers.get("location") or headers.get("Location") or ""
        return location.rstrip("/").rsplit("/", 1)[-1]

    def suiteql(self, query: str, name: str, limit: int = 1000, offset: int = 0
                ) -> dict[str, Any]:
        """One page of a SuiteQL query."""
        status, _, content = self._authorised(
            "erp", self.erp_login, "POST", f"{ERP_SUITEQL}?limit={limit}&offset={offset}",
            name, expect=(200,), data=orjson.dumps({"q": query}),
            headers={"Prefer": "transient", "Content-Type": "application/json"})
        self._check(status, (200,), name, content)
        found: dict[str, Any] = orjson.loads(content)
        return found

    # -- control planes ----------------------------------------------------------------------

    def control(self, vendor: str, method: str, path: str, name: str,
                body: Any = None, tenant: str | None = None) -> dict[str, Any]:
        ref = tenant or {"crm": self.creds.crm_client_id,
                         "billing": self.creds.billing_api_key,
                         "erp": self.creds.erp_account_id}[vendor]
        headers = {"Content-Type": "application/json"}
        if self.stack.admin_token:
            headers[ADMIN] = self.stack.admin_token
        status, _, content = self._send(
            method, f"{self.urls[vendor]}{path}?tenant={ref}", name, expect=(200, 201),
            headers=headers, data=None if body is None else orjson.dumps(body))
        self._check(status, (200, 201), name, content)
        found: dict[str, Any] = orjson.loads(content) if content else {}
        return found
