"""A cached OAuth 2.0 access token obtained with the client-credentials grant.

Concurrent calls share one token fetch (a lock), and an expired token is replaced only
once even when several calls see the 401 at the same time: :meth:`refresh` takes the
token the failed call used and fetches a new one only if that is still the current one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from integration_layer.clients.base import json_body
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
