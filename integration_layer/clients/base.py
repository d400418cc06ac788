"""What every vendor client shares: an owned HTTP client and its lifecycle."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from integration_layer.clients.caller import ResilientCaller


class VendorClient:
    """Base of the vendor clients: owns one ``httpx.AsyncClient``; close it with
    :meth:`aclose` or use the client as an async context manager."""

    def __init__(self, caller: ResilientCaller) -> None:
        self._caller = caller
        self._http: httpx.AsyncClient = caller.http

    @property
    def caller(self) -> ResilientCaller:
        """The retry loop (policy, breaker, recorder) this client runs its calls through."""
        return self._caller

    async def aclose(self) -> None:
        """Close the underlying HTTP connections."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def json_body(response: httpx.Response) -> Any:
    """The response's JSON body, or ``None`` when it is empty or not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def segment(value: str) -> str:
    """A value as one path segment (``/`` and every reserved character escaped)."""
    return quote(value, safe="")
