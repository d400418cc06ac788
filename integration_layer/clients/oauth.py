"""OAuth 2.0 client credentials and bearer calls, shared by the Salesforce and NetSuite
clients.

:class:`AccessToken` caches the token: concurrent calls share one token fetch (a lock),
and an expired token is replaced only once even when several calls see the 401 at the
same time (:meth:`AccessToken.refresh` takes the token the failed call used and fetches a
new one only if that is still the current one). :class:`ClientCredentials` fetches it
(RFC 6749 section 4.4: the client id and secret in the form, or as HTTP Basic per
section 2.3.1) and makes every vendor call with ``Authorization: Bearer``, fetching a new
token once when the vendor refuses the one it used.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import httpx

from integration_layer.clients.base import VendorClient, json_body
from integration_layer.clients.caller import CallSpec, ResilientCaller
from integration_layer.clients.errors import PermanentError, TransientError, VendorError
from integration_layer.clients.policy import ErrorKind, classify_status


class AccessToken:
    """Holds the current access token and fetches a new one on demand."""

    def __init__(self, fetch: Callable[[], Awaitable[str]]) -> None:
        self._fetch = fetch
        self._token: str | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def get(self) -> str:
        """The current token, fetching the first one if needed."""
        if self._token is None:
            async with self._lock:
                if self._token is None:
                    await self._replace()
        assert self._token is not None
        return self._token

    async def refresh(self, stale: str | None) -> str:
        """Replace ``stale`` (the token a refused call used) unless already replaced."""
        async with self._lock:
            if self._token is None or self._token == stale:
                await self._replace()
        assert self._token is not None
        return self._token

    async def _replace(self) -> None:
        self._token = await self._fetch()
        self.fetches += 1


def parse_oauth_error(response: httpx.Response) -> VendorError:
    """An OAuth 2.0 token endpoint error (RFC 6749 section 5.2: ``{"error",
    "error_description"}``): 429 and 5xx are transient, anything else (``invalid_grant``,
    ``invalid_client``) is permanent - the credentials are wrong."""
    body = json_body(response)
    code: str | None = None
    message = response.reason_phrase or "token request failed"
    if isinstance(body, dict):
        code = body.get("error") if isinstance(body.get("error"), str) else None
        message = str(body.get("error_description") or code or message)
    status = response.status_code
    error: VendorError
    if classify_status(status, response.headers, vendor_code=code) is ErrorKind.TRANSIENT:
        error = TransientError(message, status=status, vendor_code=code)
    else:
        error = PermanentError(code, message, status)
    if isinstance(body, dict):
        error.details = dict(body)
    return error


def token_from(response: httpx.Response) -> str:
    """The ``access_token`` of a successful token response."""
    body = json_body(response)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise PermanentError(None, "token response has no access_token", response.status_code)
    return token


class ClientCredentials:
    """The client-credentials grant against ``token_url`` and bearer calls with its token.

    ``client_auth``: ``"post"`` sends the id and secret in the form (Salesforce's flow),
    ``"basic"`` as HTTP Basic, each form-urlencoded first (RFC 6749 section 2.3.1).
    """

    def __init__(self, caller: ResilientCaller, token_url: str, *, client_id: str,
                 client_secret: str, client_auth: Literal["basic", "post"] = "post") -> None:
        self._caller = caller
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._client_auth = client_auth
        self.token = AccessToken(self._fetch)

    async def _fetch(self) -> str:
        form: dict[str, str] = {"grant_type": "client_credentials"}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self._client_auth == "basic":
            pair = f"{quote(self._client_id)}:{quote(self._client_secret)}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            form |= {"client_id": self._client_id, "client_secret": self._client_secret}
        content = urlencode(form)

        async def build() -> httpx.Request:
            return self._caller.http.build_request("POST", self._token_url, content=content,
                                                   headers=headers)

        spec = CallSpec("POST", urlsplit(self._token_url).path or self._token_url,
                        mutates=False, retry_safe=True)
        response = await self._caller.call(spec, build, parse_oauth_error)
        return token_from(response)

    async def call(self, spec: CallSpec, url: str, parse: Callable[[httpx.Response], VendorError],
                   *, json: Any = None, params: Mapping[str, str] | None = None,
                   headers: Mapping[str, str] | None = None) -> httpx.Response:
        """``spec.method url`` with the current token; a 401 fetches a new one, once."""
        used: list[str] = []

        async def build() -> httpx.Request:
            token = await self.token.get()
            used.append(token)
            return self._caller.http.build_request(
                spec.method, url, json=json, params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                         **(headers or {})})

        async def reauth() -> None:
            await self.token.refresh(stale=used[-1] if used else None)

        return await self._caller.call(spec, build, parse, reauth=reauth)


class BearerClient(VendorClient):
    """A vendor client whose calls carry an OAuth 2.0 client-credentials token
    (the Salesforce and NetSuite clients)."""

    def __init__(self, caller: ResilientCaller, token_url: str, *, client_id: str,
                 client_secret: str, client_auth: Literal["basic", "post"]) -> None:
        super().__init__(caller)
        self._auth = ClientCredentials(caller, token_url, client_id=client_id,
                                       client_secret=client_secret, client_auth=client_auth)

    @property
    def token_fetches(self) -> int:
        """How many access tokens this client has fetched."""
        return self._auth.token.fetches
