"""Where the executor reads records from: the `DataSource` protocol and an in-memory
reference implementation with the indexes the executor knows how to use."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol

from ..ids import id_key
from ..schema import ID_TYPES, TEXT_TYPES, FieldDef, FieldType, OrgSchema

Record = Mapping[str, Any]

#: The datetime fields InMemorySource keeps sorted, for replication-style range queries
#: ("WHERE SystemModstamp > ...").
RANGE_INDEXED_FIELDS = ("SystemModstamp", "CreatedDate", "LastModifiedDate")


class DataSource(Protocol):
    """Read access to one org's records, as the CRM store implements it.

    Records map canonical field names to values as stored: ids as str, numbers as Decimal
    (or int), dates as 'YYYY-MM-DD', datetimes as 'YYYY-MM-DDTHH:MM:SS.000+0000' in UTC,
    booleans as bool, absent or None for null. Deleted records have IsDeleted true.

    The lookups `get`, `find_equal` and `find_range` return matching records whether or
    not they are deleted (the executor filters); they may return a superset of the
    matches, never a subset. `find_equal`/`find_range` return None when the field has no
    index, and the executor then scans.
    """

    def scan(self, sobject: str) -> Iterable[Record]:
        """Every live (not deleted) record of `sobject`."""
        ...

    def scan_all(self, sobject: str) -> Iterable[Record]:
        """Every record of `sobject`, deleted ones included (queryAll)."""
        ...

    def get(self, sobject: str, record_id: str) -> Record | None: ...

    def find_equal(self, sobject: str, field: str, value: Any) -> list[Record] | None:
        """Records whose `field` equals `value` (case-insensitively for text, by the
        15-character key for ids), or None if `field` is not indexed."""
        ...

    def find_range(
        self,
        sobject: str,
        field: str,
        lo: str | None,
        hi: str | None,
        lo_inclusive: bool,
        hi_inclusive: bool,
    ) -> list[Record] | None:
        """Records whose date/datetime `field` lies between the wire-format bounds `lo` and
        `hi` (None: unbounded), or None if `field` is not range-indexed."""
        ...


def equality_key(field: FieldDef, value: Any) -> Any:
    """How an equality index keys `value` of `field`: ids by their 15-character key, text
    case-insensitively (Salesforce compares text filters case-insensitively)."""
    if value is None:
        return None
    if field.type in ID_TYPES:
        return id_key(str(value))
    if field.type in TEXT_TYPES:
        return str(value).casefold()
    if isinstance(value, float):
        return Decimal(str(value))
    return value


class InMemorySource:
    """A `DataSource` over dicts, with hash indexes on Id, reference fields and External
    ID/unique fields, and sorted indexes on the audit datetimes.

    Indexes are built on first use and kept up to date by `put`.
    """

    def __init__(self, schema: OrgSchema) -> None:
        self._schema = schema
        self._records: dict[str, dict[str, dict[str, Any]]] = {}
        self._equal: dict[tuple[str, str], dict[Any, dict[str, dict[str, Any]]]] = {}
        self._range: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def frozen(self) -> InMemorySource:
        """A copy that later writes do not change: the tables copied (records are
        replaced on write, never changed in place, so they are shared), the indexes
        built again on the copy's first use. A query read in another thread reads it."""
        copy = InMemorySource(self._schema)
        copy._records = {obj: dict(table) for obj, table in self._records.items()}
        return copy

    # --- writes -------------------------------------------------------------------------

    def put(self, sobject: str, record: Mapping[str, Any]) -> None:
        """Insert or replace the record with `record["Id"]`."""
        obj = self._schema.object(sobject).name
        new = dict(record)
        key = id_key(str(new["Id"]))
        table = self._records.setdefault(obj, {})
        old = table.get(key)
        if old is not None:
            self._unindex(obj, key, old)
        table[key] = new
        self._index(obj, key, new)

    def delete(self, sobject: str, record_id: str) -> None:
        """Soft-delete: the record stays, with IsDeleted true (the Recycle Bin)."""
        record = self.get(sobject, record_id)
        if record is None:
            raise KeyError(record_id)
        self.put(sobject, {**record, "IsDeleted": True})

    def _index(self, obj: str, key: str, record: dict[str, Any]) -> None:
        for (sobject, name), index in self._equal.items():
            if sobject == obj:
                value = equality_key(self._schema.field(obj, name), record.get(name))
                index.setdefault(value, {})[key] = record
        for (sobject, name), entries in self._range.items():
            if sobject == obj and record.get(name) is not None:
                bisect.insort(entries, (str(record[name]), key))

    def _unindex(self, obj: str, key: str, record: dict[str, Any]) -> None:
        for (sobject, name), index in self._equal.items():
            if sobject == obj:
                value = equality_key(self._schema.field(obj, name), record.get(name))
                index.get(value, {}).pop(key, None)
        for (sobject, name), entries in self._range.items():
            if sobject == obj and record.get(name) is not None:
                at = bisect.bisect_left(entries, (str(record[name]), key))
                if at < len(entries) and entries[at] == (str(record[name]), key):
                    del entries[at]

    # --- DataSource ---------------------------------------------------------------------

    def _table(self, sobject: str) -> dict[str, dict[str, Any]]:
        return self._records.get(self._schema.object(sobject).name, {})

    def scan(self, sobject: str) -> Iterator[Record]:
        return (r for r in self._table(sobject).values() if not r.get("IsDeleted"))

    def scan_all(self, sobject: str) -> Iterator[Record]:
        return iter(self._table(sobject).values())

    def get(self, sobject: str, record_id: str) -> Record | None:
        return self._table(sobject).get(id_key(record_id))

    def find_equal(self, sobject: str, field: str, value: Any) -> list[Record] | None:
        obj = self._schema.object(sobject)
        definition = obj.find_field(field)
        if definition is None or not (definition.is_unique_key or definition.is_reference):
            return None
        index = self._equal.get((obj.name, definition.name))
        if index is None:
            index = {}
            for key, record in self._table(obj.name).items():
                value_key = equality_key(definition, record.get(definition.name))
                index.setdefault(value_key, {})[key] = record
            self._equal[(obj.name, definition.name)] = index
        return list(index.get(equality_key(definition, value), {}).values())

    def find_range(
        self,
        sobject: str,
        field: str,
        lo: str | None,
        hi: str | None,
        lo_inclusive: bool,
        hi_inclusive: bool,
    ) -> list[Record] | None:
        obj = self._schema.object(sobject)
        definition = obj.find_field(field)
        if definition is None or definition.name not in RANGE_INDEXED_FIELDS:
            return None
        if definition.type is not FieldType.DATETIME:  # pragma: no cover - schema invariant
            return None
        entries = self._range.get((obj.name, definition.name))
        table = self._table(obj.name)
        if entries is None:
            entries = sorted(
                (str(r[definition.name]), k)
                for k, r in table.items()
                if r.get(definition.name) is not None
            )
            self._range[(obj.name, definition.name)] = entries
        # Keys are (value, id); "" sorts before and "\uffff" after every id.
        start = 0
        if lo is not None:
            start = bisect.bisect_left(entries, (lo, "" if lo_inclusive else "\uffff"))
        stop = len(entries)
        if hi is not None:
            stop = bisect.bisect_right(entries, (hi, "\uffff" if hi_inclusive else ""))
        return [table[k] for _, k in entries[start:stop]]
