"""Running a bound query against a `DataSource` and shaping the result as the REST API
does (REST API Developer Guide, "Query"; SOQL and SOSL Reference, "Relationship Queries"
and "Aggregate Functions")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from simulators.engine.offload import Budget

from ..schema import ChildRelationship, OrgSchema
from . import ast
from .plan import AggregateColumn, Binder, BoundPath, OrderSpec, Plan, Probe, Record
from .source import DataSource
from .values import sort_key, typed

# The budget is checked every this many rows a filter looks at.
_CHECK_EVERY = 256


@dataclass
class QueryResult:
    """`total_size` and the records of one query, in the REST API's JSON shape.

    Values are as stored (Decimal numbers, ISO date strings); the route's JSON encoder
    writes Decimal as a JSON number. Paging (`nextRecordsUrl`) is the route's job.
    """

    total_size: int
    records: list[dict[str, Any]] = field(default_factory=list)
    done: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"totalSize": self.total_size, "done": self.done, "records": self.records}


def execute(
    query: ast.Query,
    schema: OrgSchema,
    source: DataSource,
    *,
    now: datetime,
    api_version: str,
    include_deleted: bool = False,
    budget: Budget | None = None,
) -> QueryResult:
    """Run `query`; raise `SoqlError` for names the schema does not know.

    `now` evaluates date literals (TODAY, LAST_N_DAYS:n, ...) in its timezone (UTC if
    naive). `include_deleted` is queryAll: deleted records (IsDeleted true) are returned.
    `budget` bounds the rows looked at and the time taken (``BudgetExceeded``).
    """
    plan = Binder(schema, query.text, now).bind(query)
    run = _Run(source, api_version.removeprefix("v"), include_deleted, budget or Budget())
    return run.top(plan)


class _Run:
    def __init__(self, source: DataSource, api_version: str, include_deleted: bool,
                 budget: Budget) -> None:
        self.budget = budget
        self.source = source
        self.api_version = api_version
        self.include_deleted = include_deleted
        self._parents: dict[tuple[str, str], Record | None] = {}
        self._children: dict[tuple[str, str], dict[str, list[Record]]] = {}

    def deref(self, sobject: str, record_id: str) -> Record | None:
        key = (sobject, record_id)
        if key not in self._parents:
            self._parents[key] = self.source.get(sobject, record_id)
        return self._parents[key]

    # --- the top-level query ------------------------------------------------------------

    def _semi_joins(self, plan: Plan) -> None:
        """Run the plan's semi-join subqueries (and its child subqueries' ones) once each,
        over live records (not deleted ones, even in queryAll): their ids decide rows."""
        for semi in plan.semi_joins:
            inner = _Run(self.source, self.api_version, False, self.budget)  # one budget
            matched = inner._filter(semi.plan, inner._candidates(semi.plan))
            semi.ids = frozenset(str(v) for r in matched
                                 if (v := semi.selected.raw(r, inner.deref)) is not None)
        for item in plan.items:
            if isinstance(item, tuple):
                self._semi_joins(item[1])

    def top(self, plan: Plan) -> QueryResult:
        self._semi_joins(plan)
        rows = self._filter(plan, self._candidates(plan))
        if plan.count_only:
            # COUNT() reports only the number of rows (SOQL and SOSL Reference, COUNT()).
            total = len(rows) if plan.query.limit is None else min(len(rows), plan.query.limit)
            return QueryResult(total)
        if plan.aggregate:
            records = self._aggregate(plan, rows)
        else:
            records = [self._project(plan, r) for r in self._window(plan, self._sort(plan, rows))]
        return QueryResult(len(records), records)

    def _candidates(self, plan: Plan) -> Iterable[Record]:
        sobject = plan.root.name
        for probe in plan.probes:
            found = self._probe(sobject, probe)
            if found is not None:
                return found
        if self.include_deleted:
            return self.source.scan_all(sobject)
        return self.source.scan(sobject)

    def _probe(self, sobject: str, probe: Probe) -> list[Record] | None:
        if probe.kind == "range":
            return self.source.find_range(
                sobject,
                probe.field.name,
                probe.lo,
                probe.hi,
                probe.lo_inclusive,
                probe.hi_inclusive,
            )
        rows: dict[str, Record] = {}
        for value in probe.values:
            if probe.kind == "get":
                record = self.source.get(sobject, str(value))
                matches = [] if record is None else [record]
            else:
                found = self.source.find_equal(sobject, probe.field.name, value)
                if found is None:
                    return None
                matches = found
            for record in matches:
                rows.setdefault(str(record.get("Id")), record)
        return list(rows.values())

    def _filter(self, plan: Plan, rows: Iterable[Record]) -> list[Record]:
        where, deref, check = plan.where, self.deref, self.budget.check
        kept: list[Record] = []
        seen = 0
        for r in rows:
            seen += 1
            if seen == _CHECK_EVERY:
                check(seen)
                seen = 0
            if (self.include_deleted or not r.get("IsDeleted")) and (
                where is None or where(r, deref)
            ):
                kept.append(r)
        check(seen)
        return kept

    def _window(self, plan: Plan, rows: list[Record]) -> list[Record]:
        start = plan.query.offset or 0
        stop = None if plan.query.limit is None else start + plan.query.limit
        return rows[start:stop]

    # --- ORDER BY -----------------------------------------------------------------------

    def _sort(self, plan: Plan, rows: list[Record]) -> list[Record]:
        if plan.order:
            self.budget.check(len(rows) * len(plan.order))
        ordered = list(rows)
        # Stable sorts from the last key to the first give a multi-key order with a
        # direction and null placement per key.
        for spec in reversed(plan.order):
            path = spec.path
            assert path is not None

            def order_key(
                record: Record, spec: OrderSpec = spec, path: BoundPath = path
            ) -> tuple[int, Any]:
                return _null_aware(spec, path.raw(record, self.deref), path)

            ordered.sort(key=order_key, reverse=spec.descending)
        return ordered

    # --- projection ---------------------------------------------------------------------

    def attributes(self, sobject: str, record: Record) -> dict[str, Any]:
        attrs: dict[str, Any] = {"type": sobject}
        record_id = record.get("Id")
        if record_id is not None:
            attrs["url"] = f"/services/data/v{self.api_version}/sobjects/{sobject}/{record_id}"
        return attrs

    def _project(self, plan: Plan, record: Record) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": self.attributes(plan.root.name, record)}
        for item in plan.items:
            if isinstance(item, BoundPath):
                self._place(out, record, item)
            else:
                rel, subplan = item
                out[rel.relationship_name] = self._subquery(rel, subplan, record)
        return out

    def _place(self, out: dict[str, Any], record: Record, path: BoundPath) -> None:
        # A parent field nests under the relationship name; an empty lookup is null
        # ("Account": null), not a missing key.
        target, current = out, record
        for lookup, parent_obj in zip(path.lookups, path.objects, strict=True):
            parent_id = current.get(lookup.name)
            parent = None if parent_id is None else self.deref(parent_obj.name, str(parent_id))
            name = lookup.relationship_name or lookup.name
            if name not in target:
                target[name] = (
                    None
                    if parent is None
                    else {"attributes": self.attributes(parent_obj.name, parent)}
                )
            nested = target[name]
            if nested is None or parent is None:
                return
            target, current = nested, parent
        target[path.field.name] = current.get(path.field.name)

    def _subquery(
        self, rel: ChildRelationship, plan: Plan, parent: Record
    ) -> dict[str, Any] | None:
        parent_id = parent.get("Id")
        if parent_id is None:
            return None
        children = self.source.find_equal(rel.child_sobject, rel.field, parent_id)
        if children is None:
            children = self._children_by_parent(rel).get(str(parent_id), [])
        rows = self._window(plan, self._sort(plan, self._filter(plan, children)))
        if not rows:
            return None
        records = [self._project(plan, r) for r in rows]
        return {"totalSize": len(records), "done": True, "records": records}

    def _children_by_parent(self, rel: ChildRelationship) -> dict[str, list[Record]]:
        # Without an index on the child's lookup, one scan per query (not per parent).
        key = (rel.child_sobject, rel.field)
        if key not in self._children:
            grouped: dict[str, list[Record]] = {}
            children = list(self.source.scan_all(rel.child_sobject))
            self.budget.check(len(children))
            for child in children:
                parent_id = child.get(rel.field)
                if parent_id is not None:
                    grouped.setdefault(str(parent_id), []).append(child)
            self._children[key] = grouped
        return self._children[key]

    # --- aggregates ---------------------------------------------------------------------

    def _aggregate(self, plan: Plan, rows: list[Record]) -> list[dict[str, Any]]:
        self.budget.check(len(rows) * max(len(plan.columns), 1))
        groups: dict[tuple[Any, ...], list[Record]] = {}
        for record in rows:
            key = tuple(p.typed(record, self.deref) for p in plan.group_by)
            groups.setdefault(key, []).append(record)
        if not plan.group_by and not groups:
            # Without GROUP BY an aggregate query returns one row, even over no records.
            groups[()] = []
        results: list[tuple[list[Record], dict[str, Any]]] = []
        for members in groups.values():
            row: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
            for column in plan.columns:
                row[column.key] = self._column(column, members)
            results.append((members, row))
        for spec in reversed(plan.order):

            def order_key(
                pair: tuple[list[Record], dict[str, Any]], spec: OrderSpec = spec
            ) -> tuple[int, Any]:
                return self._aggregate_order_key(spec, pair[0])

            results.sort(key=order_key, reverse=spec.descending)
        start = plan.query.offset or 0
        stop = None if plan.query.limit is None else start + plan.query.limit
        return [row for _, row in results[start:stop]]

    def _column(self, column: AggregateColumn, members: list[Record]) -> Any:
        if column.group is not None:
            return column.group.raw(members[0], self.deref) if members else None
        assert column.function is not None and column.argument is not None
        return self._compute(column.function, column.argument, members)

    def _compute(self, function: str, argument: BoundPath, members: list[Record]) -> Any:
        raws = [argument.raw(m, self.deref) for m in members]
        present = [r for r in raws if r is not None]
        if function == "COUNT":
            return len(present)
        if function == "COUNT_DISTINCT":
            return len({typed(argument.field, r) for r in present})
        if not present:
            return None
        if function in ("SUM", "AVG"):
            total = sum((typed(argument.field, r) for r in present), Decimal(0))
            return total if function == "SUM" else total / len(present)
        chosen = (min if function == "MIN" else max)(
            present, key=lambda r: sort_key(argument.field, r)
        )
        return chosen

    def _aggregate_order_key(self, spec: OrderSpec, members: list[Record]) -> tuple[int, Any]:
        if spec.path is not None:
            raw = spec.path.raw(members[0], self.deref) if members else None
            return _null_aware(spec, raw, spec.path)
        assert spec.aggregate is not None
        function, argument = spec.aggregate
        value = self._compute(function, argument, members)
        if value is None:
            return _null_rank(spec, True), None
        comparable = value if function.startswith("COUNT") else sort_key(argument.field, value)
        if function in ("SUM", "AVG"):
            comparable = value
        return _null_rank(spec, False), comparable


def _null_rank(spec: OrderSpec, is_null: bool) -> int:
    # Nulls go first unless NULLS LAST; the rank is flipped for DESC because the sort is
    # reversed afterwards.
    nulls_low = (not spec.nulls_last) != spec.descending
    if is_null:
        return 0 if nulls_low else 1
    return 1 if nulls_low else 0


def _null_aware(spec: OrderSpec, raw: Any, path: BoundPath) -> tuple[int, Any]:
    if raw is None:
        return _null_rank(spec, True), None
    return _null_rank(spec, False), sort_key(path.field, raw)
