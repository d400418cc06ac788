"""Binding a parsed query to the org schema: name resolution, semantic checks, compiled
filters and the index probes the executor may use.

Errors carry Salesforce's codes: INVALID_TYPE for unknown objects and child
relationships, INVALID_FIELD for unknown fields, relationship paths and ill-typed filter
values, MALFORMED_QUERY for aggregate misuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from ..ids import to_18
from ..schema import NUMBER_TYPES, ChildRelationship, FieldDef, FieldType, ObjectDef, OrgSchema
from . import ast
from .dates import day_start, format_wire_datetime, relative_range
from .errors import (
    INVALID_FIELD,
    INVALID_TYPE,
    MALFORMED_QUERY,
    NUMBER_OUTSIDE_VALID_RANGE,
    SoqlError,
    locate,
    no_such_column,
    unknown_child_relationship,
    unknown_relationship,
    unsupported_type,
)
from .values import LiteralTypeError, in_matcher, literal, matcher, typed

Record = Mapping[str, Any]
#: Fetch a parent record by object name and id (the executor caches these).
Deref = Callable[[str, str], Record | None]
Predicate = Callable[[Record, Deref], bool]

# "The maximum offset is 2,000 rows" (SOQL and SOSL Reference, OFFSET).
MAX_OFFSET = 2000


@dataclass(frozen=True)
class BoundPath:
    """A field path resolved against the schema: the lookups followed, then the field."""

    source: ast.FieldPath
    lookups: tuple[FieldDef, ...]
    #: The object each lookup leads to.
    objects: tuple[ObjectDef, ...]
    field: FieldDef

    def raw(self, record: Record, deref: Deref) -> Any:
        current: Record | None = record
        for lookup, target in zip(self.lookups, self.objects, strict=True):
            parent_id = current.get(lookup.name) if current is not None else None
            if parent_id is None:
                return None
            current = deref(target.name, str(parent_id))
        return None if current is None else current.get(self.field.name)

    def typed(self, record: Record, deref: Deref) -> Any:
        return typed(self.field, self.raw(record, deref))

    @property
    def key(self) -> tuple[str, ...]:
        """Canonical identity, for matching SELECT fields against GROUP BY."""
        return (*(lk.name for lk in self.lookups), self.field.name)


@dataclass(frozen=True)
class Probe:
    """An index lookup that returns a superset of the rows the WHERE clause keeps."""

    kind: Literal["get", "equal", "range"]
    field: FieldDef
    values: tuple[Any, ...] = ()
    lo: str | None = None
    hi: str | None = None
    lo_inclusive: bool = True
    hi_inclusive: bool = True


@dataclass(frozen=True)
class AggregateColumn:
    key: str
    #: A grouped field, or an aggregate function over a field.
    group: BoundPath | None = None
    function: ast.AggregateFunction | None = None
    argument: BoundPath | None = None


@dataclass(frozen=True)
class OrderSpec:
    descending: bool
    nulls_last: bool
    path: BoundPath | None = None
    #: For aggregate queries: the aggregate to order by (function, argument).
    aggregate: tuple[ast.AggregateFunction, BoundPath] | None = None


@dataclass
class Plan:
    root: ObjectDef
    query: ast.Query
    where: Predicate | None = None
    probes: list[Probe] = field(default_factory=list)
    #: SELECT items in order: a field path or a child subquery.
    items: list[BoundPath | tuple[ChildRelationship, Plan]] = field(default_factory=list)
    order: list[OrderSpec] = field(default_factory=list)
    count_only: bool = False
    aggregate: bool = False
    group_by: list[BoundPath] = field(default_factory=list)
    columns: list[AggregateColumn] = field(default_factory=list)
    #: Semi-joins and anti-joins of the WHERE clause, whose ids the executor works out
    #: before it filters.
    semi_joins: list[SemiJoin] = field(default_factory=list)


@dataclass(eq=False)
class SemiJoin:
    """``field [NOT] IN (SELECT idField FROM Other ...)``: the subquery's plan, the field
    it selects, and the ids it found in this run (filled by the executor)."""

    plan: Plan
    selected: BoundPath
    ids: frozenset[str] | None = None

    def member(self, value: Any) -> bool:
        assert self.ids is not None, "semi-join evaluated before its subquery ran"
        return value is not None and str(value) in self.ids


# Semi-joins and anti-joins (SOQL and SOSL Reference, "Comparison Operators", "Semi-Joins
# with IN and Anti-Joins with NOT IN"): at most two per WHERE clause; not with OR, not
# under NOT, not nested; the left operand a single Id or reference field; the subquery
# selects one Id or reference field, from another object, without COUNT, ORDER BY or
# LIMIT. The messages are the fake's wording (unverified against a live org).
MAX_SEMI_JOINS = 2


class Binder:
    """Resolves one query (and its subqueries) against `schema`."""

    def __init__(self, schema: OrgSchema, text: str, now: datetime) -> None:
        self.schema = schema
        self.text = text
        self.now = now if now.tzinfo else now.replace(tzinfo=UTC)

    def error(self, code: str, pos: ast.Pos, reason: str) -> SoqlError:
        return SoqlError(code, locate(self.text, pos.line, pos.column, reason))

    # --- names --------------------------------------------------------------------------

    def path(self, root: ObjectDef, path: ast.FieldPath) -> BoundPath:
        current = root
        lookups: list[FieldDef] = []
        objects: list[ObjectDef] = []
        for name in path.names[:-1]:
            lookup = current.find_parent_relationship(name)
            if lookup is None:
                raise self.error(INVALID_FIELD, path.pos, unknown_relationship(name))
            current = self.schema.object(lookup.reference_to[0])
            lookups.append(lookup)
            objects.append(current)
        found = current.find_field(path.names[-1])
        if found is None:
            raise self.error(INVALID_FIELD, path.pos, no_such_column(current.name, path.names[-1]))
        return BoundPath(path, tuple(lookups), tuple(objects), found)

    # --- the query ----------------------------------------------------------------------

    def bind(self, query: ast.Query, root: ObjectDef | None = None) -> Plan:
        if root is None:
            found = self.schema.find_object(query.sobject)
            if found is None:
                raise self.error(INVALID_TYPE, query.sobject_pos, unsupported_type(query.sobject))
            root = found
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise SoqlError(
                NUMBER_OUTSIDE_VALID_RANGE, f"Maximum SOQL offset allowed is {MAX_OFFSET}"
            )
        plan = Plan(root=root, query=query)
        if query.where is not None:
            self._check_semi_joins(query.where)
            plan.where = self.condition(root, query.where, plan)
            plan.probes = self.probes(root, query.where)
        counts = [i for i in query.select if isinstance(i, ast.SelectCount)]
        aggregates = [i for i in query.select if isinstance(i, ast.SelectAggregate)]
        if counts:
            if len(query.select) > 1 or query.group_by:
                # Wording not confirmed against a live org.
                raise self.error(
                    MALFORMED_QUERY, counts[0].pos, "COUNT() must be the only element in SELECT"
                )
            plan.count_only = True
        elif aggregates or query.group_by:
            self._bind_aggregate(plan)
        else:
            self._bind_rows(plan)
        return plan

    def _bind_rows(self, plan: Plan) -> None:
        for item in plan.query.select:
            if isinstance(item, ast.SelectField):
                plan.items.append(self.path(plan.root, item.path))
            elif isinstance(item, ast.SelectSubquery):
                plan.items.append(self._subquery(plan.root, item.query))
        for key in plan.query.order_by:
            if not isinstance(key.expr, ast.FieldPath):
                raise self.error(
                    MALFORMED_QUERY,
                    key.expr.path.pos,
                    f"Ordered field must be grouped or aggregated: {key.expr.path.dotted}",
                )
            path = self.path(plan.root, key.expr)
            plan.order.append(OrderSpec(key.descending, key.nulls_last, path=path))

    def _subquery(self, parent: ObjectDef, sub: ast.Query) -> tuple[ChildRelationship, Plan]:
        rel = self.schema.find_child_relationship(parent.name, sub.sobject)
        if rel is None:
            raise self.error(INVALID_TYPE, sub.sobject_pos, unknown_child_relationship(sub.sobject))
        if any(isinstance(i, ast.SelectAggregate | ast.SelectCount) for i in sub.select):
            raise self.error(
                MALFORMED_QUERY, sub.sobject_pos, "aggregate functions are not allowed here"
            )
        return rel, self.bind(sub, self.schema.object(rel.child_sobject))

    def _bind_aggregate(self, plan: Plan) -> None:
        query = plan.query
        plan.aggregate = True
        plan.group_by = [self.path(plan.root, p) for p in query.group_by]
        grouped = {p.key for p in plan.group_by}
        unnamed = 0
        for item in query.select:
            if isinstance(item, ast.SelectField):
                path = self.path(plan.root, item.path)
                if path.key not in grouped:
                    # "Field must be grouped or aggregated: Name" (MALFORMED_QUERY).
                    raise self.error(
                        MALFORMED_QUERY,
                        item.path.pos,
                        f"Field must be grouped or aggregated: {item.path.names[-1]}",
                    )
                plan.columns.append(AggregateColumn(path.field.name, group=path))
            elif isinstance(item, ast.SelectAggregate):
                argument = self._aggregate_argument(plan.root, item.call)
                # Unaliased aggregates are named expr0, expr1, ... in SELECT order (SOQL
                # and SOSL Reference, "Using Aliases with GROUP BY").
                key = item.alias
                if key is None:
                    key = f"expr{unnamed}"
                    unnamed += 1
                plan.columns.append(
                    AggregateColumn(key, function=item.call.function, argument=argument)
                )
            elif isinstance(item, ast.SelectSubquery):
                raise self.error(
                    MALFORMED_QUERY,
                    item.query.sobject_pos,
                    "subqueries are not allowed in aggregate queries",
                )
        for order_key in query.order_by:
            if isinstance(order_key.expr, ast.AggregateCall):
                argument = self._aggregate_argument(plan.root, order_key.expr)
                spec = OrderSpec(
                    order_key.descending,
                    order_key.nulls_last,
                    aggregate=(order_key.expr.function, argument),
                )
            else:
                path = self.path(plan.root, order_key.expr)
                if path.key not in grouped:
                    raise self.error(
                        MALFORMED_QUERY,
                        order_key.expr.pos,
                        f"Ordered field must be grouped or aggregated: {order_key.expr.names[-1]}",
                    )
                spec = OrderSpec(order_key.descending, order_key.nulls_last, path=path)
            plan.order.append(spec)

    def _aggregate_argument(self, root: ObjectDef, call: ast.AggregateCall) -> BoundPath:
        argument = self.path(root, call.path)
        if call.function in ("SUM", "AVG") and argument.field.type not in NUMBER_TYPES:
            raise self.error(
                INVALID_FIELD,
                call.path.pos,
                f"field {argument.field.name} does not support aggregate operator {call.function}",
            )
        return argument

    # --- WHERE --------------------------------------------------------------------------

    def condition(self, root: ObjectDef, cond: ast.Condition, plan: Plan | None = None
                  ) -> Predicate:
        match cond:
            case ast.InSubquery(path=path_ast, query=sub, negated=negated):
                assert plan is not None
                semi = self._semi_join(root, path_ast, sub)
                plan.semi_joins.append(semi)
                left = self.path(root, path_ast)
                if negated:
                    return lambda r, d: not semi.member(left.raw(r, d))
                return lambda r, d: semi.member(left.raw(r, d))
            case ast.Comparison(path=path_ast, op=op, value=value):
                path = self.path(root, path_ast)
                test = matcher(op, self._literal(path, value))
                return lambda r, d: test(path.typed(r, d))
            case ast.InList(path=path_ast, values=values, negated=negated):
                path = self.path(root, path_ast)
                test = in_matcher([self._literal(path, v) for v in values], negated)
                return lambda r, d: test(path.typed(r, d))
            case ast.And(operands=operands):
                parts = [self.condition(root, c, plan) for c in operands]
                return lambda r, d: all(p(r, d) for p in parts)
            case ast.Or(operands=operands):
                parts = [self.condition(root, c, plan) for c in operands]
                return lambda r, d: any(p(r, d) for p in parts)
            case ast.Not(operand=operand):
                inner = self.condition(root, operand, plan)
                return lambda r, d: not inner(r, d)
        raise TypeError(cond)  # pragma: no cover

    def _check_semi_joins(self, where: ast.Condition) -> None:
        found: list[ast.InSubquery] = []

        def walk(cond: ast.Condition, under: str | None) -> None:
            match cond:
                case ast.InSubquery():
                    if under is not None:
                        raise self.error(MALFORMED_QUERY, cond.query.sobject_pos,
                                         f"Semi join sub-selects are not allowed with the "
                                         f"'{under}' operator")
                    found.append(cond)
                case ast.And(operands=operands):
                    for c in operands:
                        walk(c, under)
                case ast.Or(operands=operands):
                    for c in operands:
                        walk(c, "OR")
                case ast.Not(operand=operand):
                    walk(operand, "NOT")

        walk(where, None)
        if len(found) > MAX_SEMI_JOINS:
            raise self.error(MALFORMED_QUERY, found[MAX_SEMI_JOINS].query.sobject_pos,
                             f"Maximum {MAX_SEMI_JOINS} semi join sub-selects are allowed")

    def _semi_join(self, root: ObjectDef, left: ast.FieldPath, sub: ast.Query) -> SemiJoin:
        pos = sub.sobject_pos
        if len(left.names) > 1:
            raise self.error(MALFORMED_QUERY, left.pos,
                             "The left operand of a semi join can't use relationships")
        left_field = self.path(root, left).field
        if left_field.type not in (FieldType.ID, FieldType.REFERENCE):
            raise self.error(INVALID_FIELD, left.pos, f"The left operand of a semi join must "
                             f"be an id or a reference field: {left_field.name}")
        other = self.schema.find_object(sub.sobject)
        if other is None:
            raise self.error(INVALID_TYPE, pos, unsupported_type(sub.sobject))
        if other.name == root.name:
            raise self.error(INVALID_TYPE, pos, "The inner and outer selects should not be on "
                             f"the same object type: {other.name}")
        fields = [i for i in sub.select if isinstance(i, ast.SelectField)]
        if len(sub.select) != 1 or len(fields) != 1:
            raise self.error(MALFORMED_QUERY, pos,
                             "A semi join sub-select must select exactly one id field")
        if sub.order_by or sub.limit is not None or sub.offset is not None or sub.group_by:
            raise self.error(MALFORMED_QUERY, pos, "ORDER BY, LIMIT, OFFSET and GROUP BY are "
                             "not supported in semi join sub-selects")
        if sub.where is not None and _has_semi_join(sub.where):
            raise self.error(MALFORMED_QUERY, pos,
                             "Nesting of semi join sub-selects is not supported")
        plan = Binder(self.schema, self.text, self.now).bind(sub, other)
        selected = plan.items[0]
        assert isinstance(selected, BoundPath)
        if selected.field.type not in (FieldType.ID, FieldType.REFERENCE):
            raise self.error(INVALID_FIELD, fields[0].path.pos, "The selected field in a semi "
                             f"join sub-select must be an id or a reference field: "
                             f"{selected.field.name}")
        return SemiJoin(plan, selected)

    def _literal(self, path: BoundPath, value: ast.Value) -> Any:
        try:
            return literal(path.field, value, self.now)
        except LiteralTypeError as exc:
            raise self.error(INVALID_FIELD, path.source.pos, str(exc)) from None

    # --- index probes -------------------------------------------------------------------

    def probes(self, root: ObjectDef, where: ast.Condition) -> list[Probe]:
        """Index lookups implied by the AND-conjuncts of `where`, most selective first:
        Id, then External ID/unique fields, then lookups, then date ranges."""
        conjuncts = where.operands if isinstance(where, ast.And) else (where,)
        found: list[tuple[int, Probe]] = []
        bounds: dict[str, list[tuple[str, str, bool]]] = {}
        fields: dict[str, FieldDef] = {}
        for cond in conjuncts:
            if not isinstance(cond, ast.Comparison | ast.InList) or len(cond.path.names) > 1:
                continue
            target = root.find_field(cond.path.names[0])
            if target is None:  # pragma: no cover - bound (and checked) before
                continue
            equal = self._equalities(cond)
            if equal is not None and (target.is_unique_key or target.is_reference):
                wire = tuple(_wire_equal(target, v) for v in equal)
                if target.type is FieldType.ID:
                    found.append((0, Probe("get", target, wire)))
                else:
                    found.append((1 if target.is_unique_key else 2, Probe("equal", target, wire)))
            if isinstance(cond, ast.Comparison) and target.type in (
                FieldType.DATE,
                FieldType.DATETIME,
            ):
                for side, bound, inclusive in self._bounds(target, cond):
                    bounds.setdefault(target.name, []).append((side, bound, inclusive))
                    fields[target.name] = target
        for name, items in bounds.items():
            lo = _tightest([(b, inc) for side, b, inc in items if side == "lo"], lower=True)
            hi = _tightest([(b, inc) for side, b, inc in items if side == "hi"], lower=False)
            probe = Probe(
                "range",
                fields[name],
                lo=lo[0] if lo else None,
                hi=hi[0] if hi else None,
                lo_inclusive=lo[1] if lo else True,
                hi_inclusive=hi[1] if hi else True,
            )
            found.append((3, probe))
        return [probe for _, probe in sorted(found, key=lambda pair: pair[0])]

    @staticmethod
    def _equalities(cond: ast.Comparison | ast.InList) -> list[Any] | None:
        if isinstance(cond, ast.Comparison):
            values: tuple[ast.Value, ...] = (cond.value,) if cond.op == "=" else ()
        else:
            values = () if cond.negated else cond.values
        if not values or not all(isinstance(v, ast.StringValue | ast.NumberValue) for v in values):
            return None
        return [v.value for v in values if isinstance(v, ast.StringValue | ast.NumberValue)]

    def _bounds(self, target: FieldDef, cond: ast.Comparison) -> list[tuple[str, str, bool]]:
        """("lo"|"hi", wire bound, inclusive) pairs; the bounds may be looser than the
        filter (the executor re-checks every row), never tighter."""
        value, op = cond.value, cond.op
        is_datetime = target.type is FieldType.DATETIME
        if isinstance(value, ast.RelativeDate):
            start_day, end_day = relative_range(value, self.now.date())
            zone = self.now.tzinfo or UTC
            start = _wire(day_start(start_day, zone) if is_datetime else start_day)
            end = _wire(day_start(end_day, zone) if is_datetime else end_day)
            table = {
                "=": [("lo", start, True), ("hi", end, False)],
                "<": [("hi", start, False)],
                "<=": [("hi", end, False)],
                ">": [("lo", end, True)],
                ">=": [("lo", start, True)],
            }
            return table.get(op, [])
        if isinstance(value, ast.DateTimeValue) and is_datetime:
            moment = value.value
            bound = _wire(moment)
            # The wire format keeps milliseconds: truncating makes the bound inclusive.
            exact = moment.microsecond % 1000 == 0
            strict = exact and op in ("<", ">")
        elif isinstance(value, ast.DateValue) and not is_datetime:
            bound, strict = _wire(value.value), op in ("<", ">")
        else:
            return []
        if op == "=":
            return [("lo", bound, True), ("hi", bound, True)]
        if op in ("<", "<="):
            return [("hi", bound, not strict)]
        if op in (">", ">="):
            return [("lo", bound, not strict)]
        return []


def _has_semi_join(cond: ast.Condition) -> bool:
    match cond:
        case ast.InSubquery():
            return True
        case ast.And(operands=operands) | ast.Or(operands=operands):
            return any(_has_semi_join(c) for c in operands)
        case ast.Not(operand=operand):
            return _has_semi_join(operand)
    return False


def _wire(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return format_wire_datetime(value)
    return value.isoformat()


def _wire_equal(target: FieldDef, value: Any) -> Any:
    # Stores key records by the 18-character id; accept the 15-character form in filters.
    if target.type in (FieldType.ID, FieldType.REFERENCE) and isinstance(value, str):
        return to_18(value)
    return value


def _tightest(bounds: list[tuple[str, bool]], *, lower: bool) -> tuple[str, bool] | None:
    if not bounds:
        return None
    pick = max if lower else min
    best = pick(b for b, _ in bounds)
    # Several bounds at the same value: exclusive is the tighter one.
    return best, all(inc for b, inc in bounds if b == best)
