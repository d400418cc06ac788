"""The write path: every create, update, delete and undelete of a record, in a transaction.

A write checks uniqueness, applies the object's rules (``rules.derive``) and roll-ups
(``rules.rollup``), and goes into every index the org keeps in one step
(``Org.put``: the tenant's store and the SOQL source). A transaction is undone together
on failure and published as change events with one transaction key on commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulators.crm import errors as E
from simulators.crm.cdc import publish
from simulators.crm.ids import new_record_id
from simulators.crm.org import Org, org_of
from simulators.crm.records import quote_sync
from simulators.crm.records.coerce import parse_fields
from simulators.crm.records.lookups import Record, children
from simulators.crm.records.rules import CASCADES, DEFAULT_CURRENCY, defaulted, derive, rollup
from simulators.crm.schema import FieldType, ObjectDef
from simulators.crm.soql.source import equality_key
from simulators.crm.wire import sf_datetime

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant


@dataclass
class Change:
    """One committed record change, as a change event reports it."""

    sobject: str
    record_id: str
    change_type: str  # CREATE | UPDATE | DELETE | UNDELETE
    changed_fields: list[str]
    record: Record


@dataclass
class Txn:
    """The writes of one request (or one allOrNone batch): undone together on failure,
    published as change events with one transaction key on commit."""

    sim: Simulation
    tenant: Tenant
    org: Org
    user_id: str
    undo: list[tuple[str, str, Record | None]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def now(self) -> float:
        return self.tenant.clock.now()

    def write(
        self, sobject: str, new: Record, old: Record | None, change_type: str, changed: list[str]
    ) -> None:
        """The one step of every write: into every index (store and SOQL source), undoable,
        reported as a change on commit."""
        self.undo.append((sobject, new["Id"], old))
        self.org.put(sobject, new)
        self.changes.append(Change(sobject, new["Id"], change_type, changed, new))

    def apply_update(self, obj: ObjectDef, record: Record, values: Record, *,
                     derived_only: bool = False) -> Record:
        """Update a record through the write path (what a rule uses for another record)."""
        return apply_update(self, obj, record, values, derived_only=derived_only)

    def savepoint(self) -> tuple[int, int]:
        return len(self.undo), len(self.changes)

    def rollback(self, to: tuple[int, int] = (0, 0)) -> None:
        undo_at, changes_at = to
        while len(self.undo) > undo_at:
            sobject, record_id, old = self.undo.pop()
            if old is None:
                self.org.remove(sobject, record_id)
            else:
                self.org.put(sobject, old)
        del self.changes[changes_at:]

    def commit(self) -> None:
        if self.changes:
            publish(self.sim, self.tenant, self.changes)
        self.changes = []
        self.undo = []


def begin(sim: Simulation, tenant: Tenant) -> Txn:
    org = org_of(tenant)
    return Txn(sim, tenant, org, default_user_id(tenant))


def default_user_id(tenant: Tenant) -> str:
    user = tenant.meta.get("user_id")
    return str(user) if user else ""



def create(txn: Txn, obj: ObjectDef, body: Any) -> Record:
    values = parse_fields(txn.org, obj, body, creating=True)
    return insert(txn, obj, values)


def insert(txn: Txn, obj: ObjectDef, values: Record) -> Record:
    org = txn.org
    missing = [
        f.name
        for f in obj.fields
        if f.required
        and f.createable
        and values.get(f.name) is None
        and not defaulted(obj.name, f.name)
    ]
    if missing:
        raise E.required_missing(missing)
    stamp = sf_datetime(txn.now)
    record_id = new_record_id(txn.tenant, obj.key_prefix)
    record: Record = {
        "id": record_id,
        "Id": record_id,
        "IsDeleted": False,
        "CreatedDate": stamp,
        "CreatedById": txn.user_id or None,
        "LastModifiedDate": stamp,
        "LastModifiedById": txn.user_id or None,
        "SystemModstamp": stamp,
    }
    if obj.find_field("OwnerId") is not None:
        record["OwnerId"] = txn.user_id or None
    for f in obj.fields:
        if f.type is FieldType.BOOLEAN and f.name not in record:
            record[f.name] = False
    if obj.find_field("CurrencyIsoCode") is not None:
        record["CurrencyIsoCode"] = DEFAULT_CURRENCY
    record.update({k: v for k, v in values.items()})
    derive(txn, obj, record, None, set(values))
    _check_unique(org, obj, record, None)
    txn.write(obj.name, record, None, "CREATE", [])
    rollup(txn, obj.name, record)
    _synced(txn, obj.name, record, None)
    return record


def update(txn: Txn, obj: ObjectDef, record: Record, body: Any) -> Record:
    values = parse_fields(txn.org, obj, body, creating=False, allow=("Id",))
    return apply_update(txn, obj, record, values)


def apply_update(
    txn: Txn, obj: ObjectDef, record: Record, values: Record, *, derived_only: bool = False
) -> Record:
    new = dict(record)
    new.update(values)
    derive(txn, obj, new, record, set(values))
    changed = [k for k, v in new.items() if record.get(k) != v and k not in _AUDIT]
    if derived_only and not changed:
        return record
    stamp = sf_datetime(txn.now)
    new["LastModifiedDate"] = stamp
    new["SystemModstamp"] = stamp
    new["LastModifiedById"] = txn.user_id or None
    _check_unique(txn.org, obj, new, record)
    # A change event lists LastModifiedDate among the changed fields (Change Data Capture
    # Developer Guide, "ChangeEventHeader Fields": changedFields).
    txn.write(obj.name, new, record, "UPDATE", [*changed, "LastModifiedDate"])
    rollup(txn, obj.name, new)
    _synced(txn, obj.name, new, record)
    return new


_AUDIT = {"LastModifiedDate", "SystemModstamp", "LastModifiedById"}


def delete(txn: Txn, obj: ObjectDef, record: Record) -> None:
    for child, lookup in CASCADES.get(obj.name, ()):
        child_obj = txn.org.schema.object(child)
        for row in children(txn.org, child, lookup, record["Id"]):
            current = txn.tenant.store.get(child, row["Id"])
            if current is not None and not current.get("IsDeleted"):
                delete(txn, child_obj, current)
    stamp = sf_datetime(txn.now)
    new = dict(record, IsDeleted=True, SystemModstamp=stamp, LastModifiedDate=stamp)
    txn.write(obj.name, new, record, "DELETE", [])
    rollup(txn, obj.name, new)
    _synced(txn, obj.name, new, record)


def _synced(txn: Txn, sobject: str, new: Record, old: Record | None) -> None:
    if sobject in ("Opportunity", "QuoteLineItem"):
        quote_sync.after_write(txn, sobject, new, old, insert=insert, update=apply_update,
                               delete=delete)


def undelete(txn: Txn, obj: ObjectDef, record: Record) -> Record:
    if not record.get("IsDeleted"):
        raise E.bad_request("UNDELETE_FAILED", "Entity is not in the recycle bin", ["Id"])
    stamp = sf_datetime(txn.now)
    new = dict(record, IsDeleted=False, SystemModstamp=stamp, LastModifiedDate=stamp)
    _check_unique(txn.org, obj, new, record)
    txn.write(obj.name, new, record, "UNDELETE", [])
    rollup(txn, obj.name, new)
    return new


def _check_unique(org: Org, obj: ObjectDef, record: Record, old: Record | None) -> None:
    for f in obj.fields:
        if not f.unique:
            continue
        value = record.get(f.name)
        if value is None or (
            old is not None and old.get(f.name) == value and not old.get("IsDeleted")
        ):
            continue
        found = org.source.find_equal(obj.name, f.name, value) or []
        key = equality_key(f, value)
        for other in found:
            if (
                other["Id"] != record["Id"]
                and not other.get("IsDeleted")
                and equality_key(f, other.get(f.name)) == key
            ):
                raise E.bad_request(
                    E.DUPLICATE_VALUE,
                    (
                        f"duplicate value found: {f.name} duplicates value on record with id: "
                        f"{other['Id']}"
                    ),
                    [f.name],
                )
