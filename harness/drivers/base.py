"""What every driver shares: how a fake is reached, and errors with the vendor's body."""

from __future__ import annotations

import datetime as dt
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import orjson

ADMIN_HEADER = "X-Sim-Admin-Token"
OBSERVER_HEADER = "X-Fintwin-Observer"


@dataclass(frozen=True)
class Endpoint:
    """How to reach one fake: its base URL, and for in-process use an httpx transport.

    ``verify`` is the CA bundle path (or bool) for TLS; ``admin_token`` is sent as
    ``X-Sim-Admin-Token`` on control-plane calls when the fake's control plane is locked.
    """

    base_url: str
    transport: httpx.AsyncBaseTransport | None = None
    verify: bool | str | ssl.SSLContext = True
    admin_token: str | None = None
    timeout: float = 30.0

    def client(self, headers: Mapping[str, str] | None = None) -> httpx.AsyncClient:
        """A new client for this fake (the caller closes it)."""
        kwargs: dict[str, Any] = {"base_url": self.base_url, "timeout": self.timeout,
                                  "headers": dict(headers or {}), "trust_env": False}
        if self.transport is not None:
            kwargs["transport"] = self.transport
        else:
            kwargs["verify"] = self.verify
        return httpx.AsyncClient(**kwargs)

    def admin_headers(self) -> dict[str, str]:
        return {ADMIN_HEADER: self.admin_token} if self.admin_token else {}

    def observer_headers(self) -> dict[str, str]:
        """``X-Fintwin-Observer``: reads that skip faults, limits, quotas and the journal."""
        return {OBSERVER_HEADER: self.admin_token or "1"}


class DriverError(RuntimeError):
    """A fake answered a driver's call with an unexpected status."""

    def __init__(self, what: str, response: httpx.Response) -> None:
        self.status = response.status_code
        self.body = response.text[:2000]
        super().__init__(f"{what}: HTTP {self.status}: {self.body}")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Money goes out as a JSON number with its exact digits, never through float.
        return orjson.Fragment(format(value, "f"))
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_bytes(data: Any) -> bytes:
    """JSON with Decimal as exact numbers and dates as ISO text."""
    return orjson.dumps(data, default=_default)


def decode(response: httpx.Response) -> Any:
    """A JSON response body with decimals as Decimal (never float)."""
    return json.loads(response.content, parse_float=Decimal)


def expect(response: httpx.Response, what: str, *statuses: int) -> httpx.Response:
    if response.status_code not in (statuses or (200,)):
        raise DriverError(what, response)
    return response


# Bearer tokens shared by every driver of one tenant at one fake (the oracle, the
# observer and the acting drivers each had their own and logged in again: ~14 CRM logins
# per demo flow). A stale entry (a new fake behind the same URL, an expired session)
# costs one 401 and a fresh login.
_SESSIONS: dict[tuple[str, str], str] = {}


class Driver:
    """Base of the three drivers: a lazily opened client and control-plane helpers."""

    def __init__(self, endpoint: Endpoint, tenant: str, *, observer: bool = False) -> None:
        self.endpoint = endpoint
        self.tenant = tenant  # the value for control-plane ``?tenant=``
        self.observer = observer
        self._client: httpx.AsyncClient | None = None
        self._token: str | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._client is None:
            headers = self.endpoint.observer_headers() if self.observer else {}
            self._client = self.endpoint.client(headers)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def login(self) -> str:
        """Fetch a bearer token (drivers of OAuth vendors override this)."""
        raise NotImplementedError

    async def request(self, method: str, path: str, *, json: Any = None,
                      params: Mapping[str, str] | None = None,
                      headers: Mapping[str, str] | None = None) -> httpx.Response:
        """A bearer-authenticated call with a JSON body (Decimal exact); logs in again once
        when the vendor answers 401 (sessions expire in business time, so advancing the
        clock expires them)."""
        session = (self.endpoint.base_url, self.tenant)
        for attempt in (1, 2):
            token = self._token or _SESSIONS.get(session)
            if token is None:
                token = _SESSIONS[session] = await self.login()
            sent = {"Authorization": f"Bearer {token}", **(headers or {})}
            content = None
            if json is not None:
                content = json_bytes(json)
                sent["Content-Type"] = "application/json"
            response = await self.http.request(method, path, content=content, params=params,
                                               headers=sent)
            if response.status_code != 401 or attempt == 2:
                return response
            self._token = None
            _SESSIONS.pop(session, None)
        raise AssertionError("unreachable")

    async def control(self, method: str, path: str, *, json: Any = None,
                      params: Mapping[str, str] | None = None,
                      expected: tuple[int, ...] = (200, 201)) -> Any:
        """A control-plane call for this tenant (``?tenant=``, admin token when set)."""
        query = {"tenant": self.tenant, **(params or {})}
        response = await self.http.request(method, path, json=json, params=query,
                                           headers=self.endpoint.admin_headers())
        expect(response, f"{method} {path}", *expected)
        return response.json() if response.content else None

    async def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Advance this tenant's business clock (``POST /_sim/clock/advance``)."""
        result: dict[str, Any] = await self.control("POST", "/_sim/clock/advance",
                                                    json={"seconds": seconds})
        return result

    async def clock(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.control("GET", "/_sim/clock")
        return result

    async def freeze_clock(self, at: float | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {} if at is None else {"at": at}
        result: dict[str, Any] = await self.control("POST", "/_sim/clock/freeze", json=body)
        return result
