"""One org at run time: its schema (standard objects plus declared custom fields) and the
SOQL data source over the tenant's store, rebuilt from the store whenever it is missing.

The schema and the indexes are derived state: the store holds every record (kind = the
sObject name) and every custom field declaration (kind ``_custom_field``), so a snapshot
restore or a restart with ``--state-dir`` rebuilds the same org.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from simulators.crm.ids import id_key
from simulators.crm.schema import NUMBER_TYPES, FieldType, ObjectDef, OrgSchema
from simulators.crm.soql.source import InMemorySource
from simulators.engine.tenancy import Tenant

CUSTOM_FIELDS = "_custom_field"
SCHEMA_SINCE = "schema_since"  # tenant.meta: the org's creation, in business time
DECLARED_AT = "declaredAt"  # a custom field spec: when it was declared (business time)
_ORG_KEY = "crm.org"


class StoreSource(InMemorySource):
    """The SOQL ``DataSource`` over the engine store's record dicts (no copies).

    Records are replaced, never mutated in place, so the inherited index maintenance
    (unindex the old dict, index the new one) stays exact.
    """

    def put(self, sobject: str, record: Mapping[str, Any]) -> None:
        obj = self._schema.object(sobject).name
        new = record if isinstance(record, dict) else dict(record)
        key = id_key(str(new["Id"]))
        table = self._records.setdefault(obj, {})
        old = table.get(key)
        if old is not None:
            self._unindex(obj, key, old)
        table[key] = new
        self._index(obj, key, new)

    def remove(self, sobject: str, record_id: str) -> None:
        """Forget a record entirely (a rolled-back create)."""
        obj = self._schema.object(sobject).name
        key = id_key(record_id)
        table = self._records.get(obj, {})
        old = table.pop(key, None)
        if old is not None:
            self._unindex(obj, key, old)

    def reindex(self, sobject: str) -> None:
        """Drop the lazily built indexes of an object (after its schema changed)."""
        obj = self._schema.object(sobject).name
        for key in [k for k in self._equal if k[0] == obj]:
            del self._equal[key]
        for key in [k for k in self._range if k[0] == obj]:
            del self._range[key]


class Org:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        # When the org's metadata began (conditional describes compare with it).
        tenant.meta.setdefault(SCHEMA_SINCE, tenant.clock.now())
        self.schema = OrgSchema()
        for spec in tenant.store.all(CUSTOM_FIELDS):
            declare(self.schema, spec)
        self.source = StoreSource(self.schema)
        self._writes = 0  # a frozen copy of an older count is stale
        self._frozen: tuple[int, InMemorySource] | None = None
        for obj in self.schema.objects():
            numbers = [f.name for f in obj.fields if f.type in NUMBER_TYPES]
            for record in tenant.store.all(obj.name):
                _revive_numbers(record, numbers)
                self.source.put(obj.name, record)

    def frozen(self) -> InMemorySource:
        """The records as they are now, for a query run off the loop; kept until the
        next write."""
        if self._frozen is None or self._frozen[0] != self._writes:
            self._frozen = (self._writes, self.source.frozen())
        return self._frozen[1]

    def object(self, name: str) -> ObjectDef | None:
        return self.schema.find_object(name)

    def put(self, sobject: str, record: dict[str, Any]) -> None:
        """Write a record into every index the org keeps: the tenant's store (what
        snapshots and the WAL hold) and the SOQL source (what queries and lookups read)."""
        self._writes += 1
        self.tenant.store.put(sobject, record)
        self.source.put(sobject, record)

    def remove(self, sobject: str, record_id: str) -> None:
        """Forget a record in every index (a rolled-back create)."""
        self._writes += 1
        self.tenant.store.delete(sobject, record_id)
        self.source.remove(sobject, record_id)


def declare(schema: OrgSchema, spec: Mapping[str, Any]) -> None:
    schema.add_custom_field(
        str(spec["sobject"]),
        str(spec["name"]),
        FieldType(spec["type"]),
        length=int(spec.get("length") or 0),
        external_id=bool(spec.get("externalId")),
        unique=bool(spec.get("unique")),
        picklist_values=tuple(spec.get("picklistValues") or ()),
        required=bool(spec.get("required")),
        label=spec.get("label"),
    )


def _revive_numbers(record: dict[str, Any], numbers: list[str]) -> None:
    # A snapshot or the write-ahead log wrote Decimal as text; money is Decimal again in
    # memory so that arithmetic and SOQL comparisons stay exact.
    for name in numbers:
        value = record.get(name)
        if isinstance(value, str | float):
            record[name] = Decimal(str(value))


def org_of(tenant: Tenant) -> Org:
    org = tenant.transient.get(_ORG_KEY)
    if org is None:
        org = Org(tenant)
        tenant.transient[_ORG_KEY] = org
    assert isinstance(org, Org)
    return org


def forget(tenant: Tenant) -> None:
    tenant.transient.pop(_ORG_KEY, None)
