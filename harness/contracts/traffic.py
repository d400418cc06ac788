"""What a SUT sent and received during a run, as the fakes observed it.

From a run's results (``fintwin-results.json`` of ``fintwin demo --traffic`` or of
``pytest --fintwin-traffic``: each test's journal entries with their bodies, and the
webhooks delivered to the SUT), or from running fakes (their journals and outboxes, for
the tenants named or all of them). Journal entries without bodies (a run without traffic
detail) cannot be recorded and are counted as such.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness.contracts.pactfiles import PROVIDERS


@dataclass(frozen=True)
class Exchange:
    """One request the SUT made and the answer it got."""

    provider: str
    tenant: str
    seq: int
    method: str
    path: str
    query: str
    request_headers: Mapping[str, str]
    request_body: str
    status: int
    response_headers: Mapping[str, str]
    response_body: str
    faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivered:
    """One webhook the SUT acknowledged."""

    provider: str
    tenant: str
    event_id: str
    event_type: str
    body: str


@dataclass
class Traffic:
    exchanges: list[Exchange] = field(default_factory=list)
    delivered: list[Delivered] = field(default_factory=list)
    unrecordable: Counter[str] = field(default_factory=Counter)

    def add_journal(self, provider: str, tenant: str | None,
                    entries: Iterable[Mapping[str, Any]]) -> None:
        """``tenant``: what the entries are grouped by (None: each entry's own tenant)."""
        for entry in entries:
            request, response = entry.get("request"), entry.get("response")
            if not isinstance(request, dict) or not isinstance(response, dict):
                self.unrecordable["requests without bodies (record with --traffic)"] += 1
                continue
            self.exchanges.append(Exchange(
                provider, tenant or str(entry.get("tenant")), int(entry.get("seq") or 0),
                str(entry["method"]), str(entry["path"]), str(entry.get("query") or ""),
                dict(request.get("headers") or {}), str(request.get("body") or ""),
                int(response.get("status") or entry.get("status") or 0),
                dict(response.get("headers") or {}), str(response.get("body") or ""),
                tuple(entry.get("faults") or ())))

    def add_outbox(self, provider: str, tenant: str, rows: Iterable[Mapping[str, Any]]) -> None:
        seen = {(d.tenant, d.event_id) for d in self.delivered}
        for row in rows:
            if row.get("status", "delivered") != "delivered" or not row.get("body"):
                continue
            key = (tenant, str(row.get("event_id")))
            if key in seen:
                continue  # another copy of the same event (duplicates, replays)
            seen.add(key)
            self.delivered.append(Delivered(provider, tenant, key[1],
                                            str(row.get("event_type")), str(row["body"])))


def from_results(path: str | Path) -> Traffic:
    data = json.loads(Path(path).read_text())
    traffic = Traffic()
    for test in data.get("tests") or []:
        group = str(test.get("nodeid"))  # one test, one tenant in each fake
        for provider, entries in (test.get("journal") or {}).items():
            traffic.add_journal(provider, group, entries)
        for provider, rows in (test.get("webhooks") or {}).items():
            traffic.add_outbox(provider, group, rows)
    return traffic


def from_fakes(urls: Mapping[str, str], tenants: Mapping[str, Sequence[str]] | None = None,
               admin_token: str | None = None) -> Traffic:
    """The journals and delivered webhooks of running fakes (``tenants``: the references
    to read per provider; default: every tenant each fake holds)."""
    headers = {"X-Sim-Admin-Token": admin_token} if admin_token else {}
    traffic = Traffic()
    for provider in PROVIDERS:
        url = urls.get(provider)
        if not url:
            continue
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            refs = list((tenants or {}).get(provider) or [])
            if not refs:
                listed = client.get("/_sim/tenants")
                listed.raise_for_status()
                refs = [t["id"] for t in listed.json()["data"]]
            for ref in refs:
                journal = client.get("/_sim/journal", params={"tenant": ref})
                journal.raise_for_status()
                traffic.add_journal(provider, ref, journal.json()["data"])
                outbox = client.get("/_sim/outbox", params={"tenant": ref, "status": "delivered"})
                outbox.raise_for_status()
                traffic.add_outbox(provider, ref, outbox.json()["data"])
    return traffic
