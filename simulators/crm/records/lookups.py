"""Finding records: by id (15 or 18 characters), live or deleted, and a parent's children."""

from __future__ import annotations

from typing import Any

from simulators.crm import errors as E
from simulators.crm.ids import normalise
from simulators.crm.org import Org
from simulators.crm.schema import ObjectDef

Record = dict[str, Any]


def find(org: Org, sobject: str, record_id: str) -> Record | None:
    """A live or deleted record by a 15- or 18-character id."""
    canonical = normalise(record_id)
    if canonical is None:
        return None
    return org.tenant.store.get(sobject, canonical)


def live(org: Org, sobject: str, record_id: str) -> Record | None:
    record = find(org, sobject, record_id)
    return None if record is None or record.get("IsDeleted") else record


def children(org: Org, sobject: str, lookup: str, parent_id: str) -> list[Record]:
    found = org.source.find_equal(sobject, lookup, parent_id)
    rows = (
        found
        if found is not None
        else [r for r in org.source.scan(sobject) if r.get(lookup) == parent_id]
    )
    return [dict(r) for r in rows if not r.get("IsDeleted")]


def get_record(org: Org, obj: ObjectDef, record_id: str) -> Record:
    """The record for a GET/PATCH/DELETE by id: MALFORMED_ID, NOT_FOUND or the record."""
    canonical = normalise(record_id)
    if canonical is None:
        raise E.not_found(
            f"Provided external ID field does not exist or is not accessible: {record_id}"
        )
    if canonical[:3] != obj.key_prefix:
        raise E.bad_request(
            E.MALFORMED_ID, f"{obj.label} ID: id value of incorrect type: {record_id}", ["Id"]
        )
    record = org.tenant.store.get(obj.name, canonical)
    if record is None:
        raise E.not_found()
    if record.get("IsDeleted"):
        raise E.not_found("entity is deleted")
    return record

