"""The request journal: what each tenant sent and what it got back, in order.

Kept in memory, bounded per tenant. The harness reads it to see retries,
Retry-After compliance and the faults each request met.

Bodies are not kept unless asked for: ``set_detail`` turns on, per tenant (or for
every tenant with ``"*"``), a bounded number of entries that also keep the request's
headers and body and the response's status, headers and body. That is what recording
a consumer contract from observed traffic needs (``fintwin contracts record``).
Credentials are never kept: Authorization, cookies and admin tokens are redacted.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

JOURNAL_PER_TENANT = 20_000
DETAIL_DEFAULT_LIMIT = 5_000  # entries with bodies per tenant, unless told otherwise
MAX_DETAIL_BODY = 256 * 1024  # bytes of one body kept; the rest is cut (and flagged)
REDACTED = "<redacted>"
_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-sim-admin-token",
                             "proxy-authorization"})
ALL_TENANTS = "*"


@dataclass(slots=True)
class JournalEntry:
    seq: int
    wall: float
    tenant: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    idempotency_key: str | None
    faults: tuple[str, ...]
    retry_after: str | None
    body_digest: str | None = None  # blake2b-64 of the request body (None: no body)
    trace_id: str | None = None  # the W3C traceparent's trace-id, when the client sent one
    detail: dict[str, Any] | None = None  # {"request": ..., "response": ...} (set_detail)
    error_code: str | None = None  # the vendor's error code of a 4xx answer (its envelope's)

    def to_json(self) -> dict[str, Any]:
        out = {
            "seq": self.seq, "wall": self.wall, "tenant": self.tenant, "method": self.method,
            "path": self.path, "query": self.query, "status": self.status,
            "duration_ms": round(self.duration_ms, 3), "idempotency_key": self.idempotency_key,
            "faults": list(self.faults), "retry_after": self.retry_after,
            "body_digest": self.body_digest, "trace_id": self.trace_id,
            "error_code": self.error_code,
        }
        if self.detail is not None:
            out.update(self.detail)
        return out


def _entry(kept: tuple[Any, ...]) -> JournalEntry:
    (seq, wall, tenant, method, path, query, status, duration_ms, key, faults, retry_after,
     digest, trace_id, detail, error_code) = kept
    return JournalEntry(seq, wall, tenant, method, path, query, status, duration_ms, key,
                        faults, retry_after,
                        digest.hex() if isinstance(digest, bytes) else digest, trace_id,
                        detail, error_code)


def _text(body: bytes) -> dict[str, Any]:
    cut = len(body) > MAX_DETAIL_BODY
    raw = body[:MAX_DETAIL_BODY]
    try:
        out: dict[str, Any] = {"body": raw.decode("utf-8")}
    except UnicodeDecodeError:
        out = {"body": base64.b64encode(raw).decode("ascii"), "encoding": "base64"}
    if cut:
        out["truncated"] = len(body)
    return out


def headers_of(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers as a dict (lower-case names, repeated values joined), credentials
    redacted."""
    out: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1").lower()
        text = REDACTED if name in _SECRET_HEADERS else value.decode("latin-1")
        out[name] = f"{out[name]}, {text}" if name in out else text
    return out


class Capture:
    """What one request with detail on sent and got back: wraps ``receive`` (the request
    body as it is read) and ``send`` (the answer as the client gets it, faults included).
    """

    __slots__ = ("_body", "_headers", "_receive", "_resp_body", "_resp_headers", "status")

    def __init__(self, request_headers: Iterable[tuple[bytes, bytes]]) -> None:
        self._headers = list(request_headers)
        self._body: list[bytes] = []
        self._resp_body: list[bytes] = []
        self._resp_headers: list[tuple[bytes, bytes]] = []
        self._receive: Any = None
        self.status = 0

    def wrap_receive(self, receive: Callable[[], Awaitable[Any]]
                     ) -> Callable[[], Awaitable[Any]]:
        self._receive = receive
        return self._read

    async def _read(self) -> Any:
        message = await self._receive()
        if message["type"] == "http.request":
            self._body.append(message.get("body") or b"")
        return message

    def tap(self, send: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
        def tapped(message: Any) -> Awaitable[None]:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                self._resp_headers = list(message.get("headers") or [])
            elif message["type"] == "http.response.body":
                self._resp_body.append(message.get("body") or b"")
            return send(message)
        return tapped

    def request_body(self, stashed: bytes | None) -> bytes:
        return b"".join(self._body) or stashed or b""

    def detail(self, stashed: bytes | None) -> dict[str, Any]:
        return {"request": {"headers": headers_of(self._headers),
                            **_text(self.request_body(stashed))},
                "response": {"status": self.status, "headers": headers_of(self._resp_headers),
                             **_text(b"".join(self._resp_body))}}


class RequestJournal:
    def __init__(self, per_tenant: int = JOURNAL_PER_TENANT) -> None:
        self.per_tenant = per_tenant
        self._entries: dict[str, deque[tuple[Any, ...]]] = {}
        self._seq = 0
        # tenant id (or "*") -> how many more entries keep bodies. Empty unless asked:
        # the hot path checks only that this dict is empty.
        self.detailed: dict[str, int] = {}

    def set_detail(self, tenant: str, limit: int | None) -> None:
        """Keep headers and bodies for the next ``limit`` requests of ``tenant`` (``"*"``:
        every tenant, each with its own budget); ``None`` turns it off."""
        if limit is None:
            self.detailed.pop(tenant, None)
        else:
            self.detailed[tenant] = limit

    def detail_status(self) -> dict[str, int]:
        return dict(self.detailed)

    def capture_for(self, tenant: str, headers: Iterable[tuple[bytes, bytes]]) -> Capture | None:
        """A :class:`Capture` when ``tenant``'s next request should keep its bodies."""
        budget = self.detailed.get(tenant)
        if budget is None:
            shared = self.detailed.get(ALL_TENANTS)
            if shared is None:
                return None
            budget = self.detailed[tenant] = shared
        if budget <= 0:
            return None
        self.detailed[tenant] = budget - 1
        return Capture(headers)

    def record(self, wall: float, tenant: str, method: str, path: str, query: str, status: int,
               duration_ms: float, idempotency_key: str | None, faults: tuple[str, ...],
               retry_after: str | None, body_digest: str | bytes | None = None,
               trace_id: str | None = None, detail: dict[str, Any] | None = None,
               error_code: str | None = None) -> None:
        """``body_digest`` as hex or as the digest's bytes (hex on read: 24 bytes less
        in each of the entries kept)."""
        # Every API request lands here: a plain tuple is one allocation, where a
        # dataclass instance costs an __init__ call; entries are built on read.
        self._seq += 1
        bucket = self._entries.get(tenant)
        if bucket is None:
            bucket = self._entries[tenant] = deque(maxlen=self.per_tenant)
        bucket.append((self._seq, wall, tenant, method, path, query, status, duration_ms,
                       idempotency_key, faults, retry_after, body_digest, trace_id, detail,
                       error_code))

    def entries(self, tenant: str | None = None, since: int = 0) -> list[JournalEntry]:
        buckets = [self._entries.get(tenant, deque())] if tenant else list(self._entries.values())
        out = [_entry(e) for b in buckets for e in b if e[0] > since]
        out.sort(key=lambda e: e.seq)
        return out

    def clear(self, tenant: str | None = None) -> None:
        if tenant is None:
            self._entries.clear()
            self.detailed.clear()
        else:
            self._entries.pop(tenant, None)
            self.detailed.pop(tenant, None)
