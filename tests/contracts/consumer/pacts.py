"""One consumer test's pacts, their mock servers, and the integration layer run against them.

A test declares what its flow sends each provider (HTTP interactions) and, when an event
starts the flow, the message it consumes (a message interaction). :meth:`Contract.run`
starts a mock server per provider, builds the SUT's real vendor clients on them
(``integration_layer.service.vendors.build_vendors``), feeds each message to the SUT's
dispatch and runs the flow it picks; the mock servers then check that every declared
request came, and nothing else.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pact import Pact, generate
from pact.match.matcher import GenericMatcher

from integration_layer.service.config import (
    BillingSettings,
    Connection,
    CrmSettings,
    ErpSettings,
    ServiceConfig,
)
from integration_layer.service.db import SqliteDatabase
from integration_layer.service.flows.context import FlowContext
from integration_layer.service.flows.dispatch import billing_entity, handler_for
from integration_layer.service.links import Links, Steps
from integration_layer.service.observability import Metrics
from integration_layer.service.parts import Parts
from integration_layer.service.runtime import crm_event
from integration_layer.service.vendors import build_vendors

PROVIDERS = ("billing", "crm", "erp")
CONNECTION = "contract"

# The SUT's credentials in the pacts' examples. A verifier replaces each request's
# Authorization with the one its provider state answers (${authorization}), so they never
# need to be real; the CRM and ERP token requests carry these as the client credentials.
BILLING_KEY = "sk_test_fintwinReference"
CRM_CLIENT = ("fintwin-reference", "fintwin-reference-secret")
ERP_CLIENT = ("fintwin-reference", "fintwin-reference-secret")


def authorization(example: str) -> GenericMatcher[str]:
    """A bearer Authorization header: any token, injected by the provider state."""
    return GenericMatcher("regex", example, regex=r"^Bearer \S+$",
                          generator=generate.provider_state("${authorization}"))


def connection(urls: Mapping[str, str]) -> Connection:
    """The SUT's connection to the mock servers (a provider without one: a closed port)."""
    return Connection(
        CONNECTION,
        CrmSettings(urls.get("crm", "http://127.0.0.1:9"), *CRM_CLIENT),
        BillingSettings(urls.get("billing", "http://127.0.0.1:9"), BILLING_KEY),
        ErpSettings(urls.get("erp", "http://127.0.0.1:9"), "1234567", *ERP_CLIENT))


@dataclass
class Contract:
    consumer: str
    parts: Parts
    links: dict[tuple[str, str], str] = field(default_factory=dict)
    _http: dict[str, Pact] = field(default_factory=dict)
    _messages: dict[str, Pact] = field(default_factory=dict)

    def http(self, provider: str) -> Pact:
        """The pact with ``provider`` for this test's HTTP interactions."""
        if provider not in self._http:
            self._http[provider] = Pact(self.consumer, provider).with_specification("V4")
        return self._http[provider]

    def message(self, provider: str) -> Pact:
        """The pact with ``provider`` for the message this test consumes (kept apart: a
        mock server serves HTTP interactions only)."""
        if provider not in self._messages:
            self._messages[provider] = Pact(self.consumer, provider).with_specification("V4")
        return self._messages[provider]

    def link(self, kind: str, key: str, value: str) -> None:
        """An id the SUT mapped in an earlier flow (its ``links`` table)."""
        self.links[(kind, key)] = value

    @contextmanager
    def serving(self) -> Iterator[dict[str, str]]:
        """The mock servers of the HTTP pacts (base URL by provider); on exit each raises
        if a declared request did not come or another one did."""
        with ExitStack() as stack:
            yield {name: str(stack.enter_context(pact.serve(addr="127.0.0.1")).url)
                   for name, pact in self._http.items()}

    def run(self, flow: Callable[[FlowContext], Awaitable[Any]] | None = None,
            source: str | None = None) -> list[Any]:
        """Run ``flow`` (or, with ``source``, the flow the SUT's dispatch picks for each
        message of that provider's message pact) against the mock servers; returns what
        each run returned or raised."""
        outcomes: list[Any] = []
        with self.serving() as urls:
            if source is None:
                assert flow is not None
                outcomes.append(asyncio.run(self._flow(urls, flow, {}, "manual")))
            else:
                def consume(body: str | bytes | None, metadata: dict[str, object]) -> None:
                    assert body is not None, "a message without contents"
                    payload = json.loads(body)
                    handler = handler_for(source, payload)
                    assert handler is not None, f"the SUT ignores this {source} message"
                    outcomes.append(asyncio.run(self._flow(urls, handler, payload, source)))

                self._messages[source].verify(consume, "Async")
        return outcomes

    async def _flow(self, urls: Mapping[str, str], flow: Callable[[FlowContext], Awaitable[Any]],
                    payload: dict[str, Any], source: str) -> Any:
        vendors = build_vendors(connection(urls), ServiceConfig(), self.parts, Metrics(), None)
        db = SqliteDatabase(":memory:")
        links = Links(db, CONNECTION)
        for (kind, key), value in self.links.items():
            await links.put(kind, key, value)
        if source == "crm":
            event = crm_event(CONNECTION, payload, "flow-1")
            event_id, event_type = event.event_id, event.type
        else:
            billing_entity(payload)  # what the SUT leases by; it must read the message
            event_id, event_type = str(payload.get("id", "manual")), str(payload.get("type"))
        ctx = FlowContext(connection=CONNECTION, event_id=f"{source}:{event_id}",
                          event_type=event_type, payload=payload, flow_id="flow-1",
                          vendors=vendors, links=links, steps=Steps(db, "flow-1"),
                          parts=self.parts)
        try:
            return await flow(ctx)
        except Exception as exc:  # a flow may end by parking: the test decides
            return exc
        finally:
            await vendors.aclose()
            await db.close()

    def write(self, directory: Path) -> None:
        for pact in (*self._http.values(), *self._messages.values()):
            pact.write_file(directory, overwrite=False)
