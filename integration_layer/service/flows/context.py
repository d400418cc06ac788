"""What a flow sees: the event, the connection's vendor clients, the id map, the step
memo and the parts the service is composed of."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from integration_layer.clients import PermanentError
from integration_layer.service.links import Links, Steps
from integration_layer.service.outcomes import Park
from integration_layer.service.parts import Parts
from integration_layer.service.vendors import Vendors

T = TypeVar("T")

# ERP reference data the flows map codes to: (SuiteQL, the column holding the code).
_ERP_TABLES = {
    "subsidiary": ("SELECT id, country, currency, parent FROM subsidiary", "country"),
    "currency": ("SELECT id, symbol FROM currency", "symbol"),
    "item": ("SELECT id, itemid FROM item", "itemid"),
}


@dataclass
class FlowContext:
    connection: str
    event_id: str
    event_type: str
    payload: dict[str, Any]
    flow_id: str
    vendors: Vendors
    links: Links
    steps: Steps
    parts: Parts

    # -- keys and steps ----------------------------------------------------------------

    def key(self, scope: str, step: str) -> str | None:
        return self.parts.keys.key(scope, step)

    def event_key(self, step: str) -> str | None:
        return self.parts.keys.key(self.event_id, step)

    async def step(self, name: str, fn: Callable[[bool], Awaitable[T]]) -> T:
        return await self.steps.run(name, fn)

    async def billing_create(self, scope: str, step: str,
                             send: Callable[[str | None], Awaitable[str]],
                             lookup: Callable[[], Awaitable[str | None]] | None = None) -> str:
        """Create a billing object once, keyed by the business object (``scope``).

        An ambiguous outcome goes to the ``ambiguity`` part: for billing the reference
        sends the same key again (Stripe replays the first answer), so the key is what
        makes a lost response safe. A Stripe ``idempotency_error`` (the key was used with
        other parameters: an earlier run of another event created the object with its
        own correlation id) is resolved by ``lookup``.
        """
        async def guarded(key: str | None) -> str:
            try:
                return await send(key)
            except PermanentError as exc:
                if exc.vendor_code == "idempotency_error" and lookup is not None:
                    found = await lookup()
                    if found is not None:
                        return found
                raise

        key = self.key(scope, step)
        return await self.parts.ambiguity.create(key, guarded)

    def missing(self, what: str) -> Exception:
        return self.parts.ordering.missing(what)

    # -- ERP reference data (cached per connection, reloaded on a miss) ----------------

    async def _erp_table(self, kind: str, want: str | None = None) -> dict[str, Any]:
        """The ERP's ``kind`` rows by code: loaded on first use, reloaded when ``want`` is
        not among them (a subsidiary or item added since)."""
        table: dict[str, Any] | None = self.vendors.cache.get(kind)
        if table is None or (want is not None and want.upper() not in table):
            sql, key = _ERP_TABLES[kind]
            rows = [row async for row in self.vendors.erp.suiteql(sql)]
            table = {str(r[key]).upper(): r for r in rows if r.get(key) is not None}
            self.vendors.cache[kind] = table
        return table

    async def erp_lookup(self, kind: str, code: str) -> dict[str, Any] | None:
        return (await self._erp_table(kind, code)).get(code.upper())

    async def subsidiary_for(self, country: str | None) -> str:
        """The ERP subsidiary of a legal entity, through the ``entities`` part."""
        subs = await self._erp_table("subsidiary", country or None)
        by_country = {k: str(v["id"]) for k, v in subs.items()}
        parents = [str(v["id"]) for v in subs.values() if not v.get("parent")]
        return str(self.parts.entities.subsidiary(country, by_country,
                                                  parents[0] if parents else None))

    async def erp_id(self, kind: str, code: str) -> str:
        row = await self.erp_lookup(kind, code)
        if row is None:
            raise Park(f"{kind.upper()}_NOT_FOUND", f"no ERP {kind} {code!r}")
        return str(row["id"])

    async def erp_create(self, record_type: str, external_id: str,
                         body: dict[str, Any], *, resumed: bool) -> str:
        """Create an ERP record with its externalId. The inbox and the step memo make
        sure a flow creates it once; a resumed step (an earlier run may have written it)
        and an ambiguous create (the ``ambiguity`` part) look it up by external id, and
        a DUP_RCRD answer means an earlier attempt made it."""
        erp = self.vendors.erp

        async def lookup() -> str | None:
            found = await erp.get_by_external_id(record_type, external_id)
            return str(found["id"]) if found else None

        if resumed:
            existing = await lookup()
            if existing is not None:
                return existing

        async def send(_key: str | None) -> str:
            try:
                return await erp.create(record_type, {**body, "externalId": external_id})
            except PermanentError as exc:
                if exc.vendor_code == "DUP_RCRD":
                    found = await lookup()
                    if found is not None:
                        return found
                raise

        return await self.parts.ambiguity.create(None, send, lookup)


def iso_date(epoch: int | float | None) -> str:
    return dt.datetime.fromtimestamp(int(epoch or 0), dt.UTC).date().isoformat()
