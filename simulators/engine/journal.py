"""The request journal: what each tenant sent and what it got back, in order.

Kept in memory, bounded per tenant. The harness reads it to see retries,
Retry-After compliance and the faults each request met.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

JOURNAL_PER_TENANT = 20_000


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

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "wall": self.wall, "tenant": self.tenant, "method": self.method,
            "path": self.path, "query": self.query, "status": self.status,
            "duration_ms": round(self.duration_ms, 3), "idempotency_key": self.idempotency_key,
            "faults": list(self.faults), "retry_after": self.retry_after,
            "body_digest": self.body_digest, "trace_id": self.trace_id,
        }


def _entry(kept: tuple[Any, ...]) -> JournalEntry:
    (seq, wall, tenant, method, path, query, status, duration_ms, key, faults, retry_after,
     digest, trace_id) = kept
    return JournalEntry(seq, wall, tenant, method, path, query, status, duration_ms, key,
                        faults, retry_after,
                        digest.hex() if isinstance(digest, bytes) else digest, trace_id)


class RequestJournal:
    def __init__(self, per_tenant: int = JOURNAL_PER_TENANT) -> None:
        self.per_tenant = per_tenant
        self._entries: dict[str, deque[tuple[Any, ...]]] = {}
        self._seq = 0

    def record(self, wall: float, tenant: str, method: str, path: str, query: str, status: int,
               duration_ms: float, idempotency_key: str | None, faults: tuple[str, ...],
               retry_after: str | None, body_digest: str | bytes | None = None,
               trace_id: str | None = None) -> None:
        """``body_digest`` as hex or as the digest's bytes (hex on read: 24 bytes less
        in each of the entries kept)."""
        # Every API request lands here: a plain tuple is one allocation, where a
        # dataclass instance costs an __init__ call; entries are built on read.
        self._seq += 1
        bucket = self._entries.get(tenant)
        if bucket is None:
            bucket = self._entries[tenant] = deque(maxlen=self.per_tenant)
        bucket.append((self._seq, wall, tenant, method, path, query, status, duration_ms,
                       idempotency_key, faults, retry_after, body_digest, trace_id))

    def entries(self, tenant: str | None = None, since: int = 0) -> list[JournalEntry]:
        buckets = [self._entries.get(tenant, deque())] if tenant else list(self._entries.values())
        out = [_entry(e) for b in buckets for e in b if e[0] > since]
        out.sort(key=lambda e: e.seq)
        return out

    def clear(self, tenant: str | None = None) -> None:
        if tenant is None:
            self._entries.clear()
        else:
            self._entries.pop(tenant, None)
