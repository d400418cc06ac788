"""SuiteQL (Oracle-flavoured SQL) to SQLite, through sqlglot's parser.

The translation parses with sqlglot's ``oracle`` dialect and writes ``sqlite``.
On the way it:

1. accepts one SELECT (or set operation of SELECTs) and nothing else;
2. rejects WITH, as NetSuite does ("You can't use WITH clauses in your
   queries": Oracle, "SuiteQL Performance and Best Practices",
   docs.oracle.com ... article_0824094533.html), unless the engine allows it;
3. checks every table and column against :mod:`.tables` and raises NetSuite's
   errors for unknown ones;
4. expands ``*`` to the exposed columns;
5. turns ``WHERE ROWNUM <= n`` into ``LIMIT n`` when the query neither groups
   nor sorts. NetSuite applies ROWNUM before GROUP BY and ORDER BY (Oracle
   semantics; confirmed live by suiteutils-netsuite-claude-harness), which
   SQLite cannot express cheaply, so those forms are refused;
6. keeps money exact. Money columns hold integer 1/100 units; the rewriter
   tracks, per expression, whether it is such a fixed-point integer and at
   which scale, so that ``SUM(debit)``, ``NVL(debit, 0) - NVL(credit, 0)``,
   comparisons with literals, ``MIN``/``MAX``, ``CASE`` and ``*`` by a literal
   stay integer arithmetic. Anything else (division, AVG, functions, mixing
   with REAL columns) lowers the value to REAL first: exact to about 15
   significant digits, no more.

``TOP n`` and ``FETCH FIRST n ROWS ONLY`` are parsed by sqlglot and become
``LIMIT``; ``NVL`` becomes ``COALESCE``; ``TO_DATE``/``TO_CHAR`` call UDFs
from :mod:`.functions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from . import builtins, errors
from .tables import MONEY_SCALE, Column, ColumnType, Table, lookup


@dataclass(frozen=True)
class Kind:
    """What a SQL expression's value is, as far as rendering cares."""

    scale: int | None = None  # an integer holding value * 10**scale
    temporal: ColumnType | None = None  # DATE or DATETIME (ISO text)


PLAIN = Kind()


@dataclass(frozen=True)
class OutputColumn:
    name: str
    kind: Kind


@dataclass(frozen=True)
class Translation:
    sql: str
    columns: tuple[OutputColumn, ...]


@dataclass
class _Source:
    display: str  # what NetSuite lists in "Available identifiers"
    table: Table | None = None
    outputs: tuple[str, ...] = ()


@dataclass
class _Context:
    ctes: dict[str, exp.Expression] = field(default_factory=dict)
    # id(Column node) -> the schema column it reads (None: alias/derived)
    columns: dict[int, Column | None] = field(default_factory=dict)


_SET_OPERATIONS = (exp.Union, exp.Intersect, exp.Except)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_CHAINS = (exp.And, exp.Or, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.DPipe)


def translate(query: str, *, allow_with: bool = False) -> Translation:
    """Translate one SuiteQL query, or raise :class:`errors.SuiteQLError`."""
    try:
        return _translate(query, allow_with)
    except RecursionError:
        # What the depth checks cannot see coming (a run of 500 unary NOTs or minus
        # signs recurses in sqlglot's parser): the same refusal, never a 500.
        raise errors.unsupported() from None


def _translate(query: str, allow_with: bool) -> Translation:
    root = _parse(query)
    context = _Context()
    with_ = root.args.get("with_") or root.args.get("with")
    if with_ is not None:
        if not allow_with:
            raise errors.unsupported()
        for cte in with_.expressions:
            context.ctes[cte.alias.lower()] = cte.this
    _check_tables(root, context)
    for select in list(root.find_all(exp.Select)):
        _apply_rownum(select)
        _expand_stars(select, context)
    for select in root.find_all(exp.Select):
        _resolve_columns(select, context)
    rewriter = _Rewriter(context)
    columns = rewriter.rewrite_statement(root)
    try:
        sql = root.sql(dialect="sqlite", identify=True, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError:
        raise errors.unsupported() from None
    return Translation(sql=sql, columns=columns)


# How deep a query may nest: parentheses (subqueries included) in its text, checked
# before parsing, and expressions in its tree, a run of one operator (a OR b OR c ...)
# counting once. Deeper queries are refused with NetSuite's error rather than
# exhausting the parser's recursion (issue 18: 50 nested parentheses, 100 nested
# subqueries or 500 ORs answered 500). Oracle allows 255 levels of nested subqueries
# (ORA-00130 territory); NetSuite's own bound is not documented, and no query a client
# writes by hand or generates nests 30 levels deep.
MAX_PARENS = 30
MAX_DEPTH = 100
MAX_LENGTH = 100_000  # characters of query text


def _parse(query: str) -> exp.Expression:
    if len(query) > MAX_LENGTH or _paren_depth(query) > MAX_PARENS:
        raise errors.unsupported()
    try:
        statements = [s for s in sqlglot.parse(query, read="oracle") if s is not None]
    except (ParseError, TokenError):
        raise errors.unsupported() from None
    if len(statements) != 1:
        raise errors.unsupported()
    root = statements[0]
    if not isinstance(root, exp.Select | exp.Union | exp.Intersect | exp.Except):
        raise errors.unsupported()
    if _tree_depth(root) > MAX_DEPTH:
        raise errors.unsupported()
    return root


def _paren_depth(query: str) -> int:
    """The deepest nesting of parentheses outside string literals and quoted names."""
    depth = deepest = 0
    quote = ""
    for ch in query:
        if quote:
            if ch == quote:
                quote = ""  # a doubled quote closes and reopens: same depth either way
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    return deepest


def _tree_depth(root: exp.Expression) -> int:
    """How deep the tree nests, walked without recursion; a chain of one connector
    (AND, OR) or one arithmetic operator counts as one level, as it is rewritten flat."""
    deepest = 0
    stack: list[tuple[exp.Expression, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in node.iter_expressions():
            same_chain = type(child) is type(node) and isinstance(node, _CHAINS)
            stack.append((child, depth if same_chain else depth + 1))
    return deepest


def _check_tables(root: exp.Expression, context: _Context) -> None:
    for table in root.find_all(exp.Table):
        if table.args.get("db") or table.args.get("catalog"):
            raise errors.unknown_table(table.sql(dialect="oracle"))
        name = table.name
        if not name:
            raise errors.unsupported()
        if name.lower() in context.ctes:
            continue
        if lookup(name) is None:
            raise errors.unknown_table(name)


def _apply_rownum(select: exp.Select) -> None:
    where = select.args.get("where")
    if where is None or not any(
        c.name.lower() == "rownum" for c in where.find_all(exp.Column) if not c.table
    ):
        return
    conjuncts: list[exp.Expression] = (
        [c for c in where.this.flatten() if isinstance(c, exp.Expression)]
        if isinstance(where.this, exp.And)
        else [where.this]
    )
    limit: int | None = None
    rest = []
    for conjunct in conjuncts:
        bound = _rownum_bound(conjunct)
        if bound is None:
            rest.append(conjunct)
        else:
            limit = bound if limit is None else min(limit, bound)
    if limit is None or select.args.get("group") or select.args.get("order"):
        raise errors.unsupported()
    if any(isinstance(e, exp.AggFunc) for p in select.expressions for e in p.find_all(exp.AggFunc)):
        raise errors.unsupported()
    if rest:
        select.set("where", exp.Where(this=exp.and_(*rest)))
    else:
        select.set("where", None)
    select.limit(limit, copy=False)


def _rownum_bound(node: exp.Expression) -> int | None:
    if not isinstance(node, exp.LTE | exp.LT):
        return None
    left, right = node.this, node.expression
    if not (isinstance(left, exp.Column) and left.name.lower() == "rownum" and not left.table):
        return None
    if not (isinstance(right, exp.Literal) and not right.is_string):
        raise errors.unsupported()
    bound = int(Decimal(right.this))
    return max(bound if isinstance(node, exp.LTE) else bound - 1, 0)


def _sources(select: exp.Select, context: _Context) -> dict[str, _Source]:
    nodes: list[exp.Expression] = []
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is not None:
        nodes.append(from_.this)
    nodes.extend(join.this for join in select.args.get("joins") or [])
    sources: dict[str, _Source] = {}
    for node in nodes:
        if isinstance(node, exp.Table):
            alias = node.alias_or_name.lower()
            cte = context.ctes.get(node.name.lower())
            if cte is not None:
                sources[alias] = _Source(display=node.name.lower(), outputs=_outputs(cte))
            else:
                table = lookup(node.name)
                assert table is not None  # _check_tables ran first
                sources[alias] = _Source(display=table.name.lower(), table=table)
        elif isinstance(node, exp.Subquery):
            alias = node.alias.lower()
            if not alias:
                raise errors.unsupported()
            sources[alias] = _Source(display=alias, outputs=_outputs(node.this))
        else:
            raise errors.unsupported()
    return sources


def _outputs(query: exp.Expression) -> tuple[str, ...]:
    while isinstance(query, _SET_OPERATIONS):
        query = query.this
    if isinstance(query, exp.Subquery):
        return _outputs(query.this)
    if not isinstance(query, exp.Select):
        raise errors.unsupported()
    return tuple(name.lower() for name in query.named_selects)


def _expand_stars(select: exp.Select, context: _Context) -> None:
    projections: list[exp.Expression] = []
    changed = False
    for projection in select.expressions:
        star_of: str | None = None
        if isinstance(projection, exp.Star):
            star_of = ""
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            star_of = projection.table.lower()
        if star_of is None:
            projections.append(projection)
            continue
        changed = True
        sources = _sources(select, context)
        chosen = sources.items() if not star_of else [(star_of, sources.get(star_of))]
        for alias, source in chosen:
            if source is None:
                raise errors.unknown_identifier(star_of, _display(sources))
            names = (
                [c.name for c in source.table.public_columns]
                if source.table is not None
                else list(source.outputs)
            )
            projections.extend(exp.column(name, table=alias) for name in names)
    if changed:
        select.set("expressions", projections)


def _display(sources: dict[str, _Source]) -> dict[str, str]:
    return {alias: source.display for alias, source in sources.items()}


def _enclosing_selects(node: exp.Expression) -> list[exp.Select]:
    chain = []
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Select):
            chain.append(parent)
        parent = parent.parent
    return chain


def _resolve_columns(select: exp.Select, context: _Context) -> None:
    for column in select.find_all(exp.Column):
        chain = _enclosing_selects(column)
        if not chain or chain[0] is not select or isinstance(column.this, exp.Star):
            continue
        context.columns[id(column)] = _resolve(column, chain, context)


def _resolve(column: exp.Column, chain: list[exp.Select], context: _Context) -> Column | None:
    name = column.name.lower()
    qualifier = column.table.lower()
    own_sources = _sources(chain[0], context)
    for depth, select in enumerate(chain):
        sources = own_sources if depth == 0 else _sources(select, context)
        if qualifier:
            source = sources.get(qualifier)
            if source is None:
                continue
            if source.table is not None:
                found = source.table.column(name)
                if found is None or not found.exposed:
                    raise errors.field_not_found(name, source.table.name, hidden=found is not None)
                return found
            if name in source.outputs:
                return None
            raise errors.unknown_identifier(f"{qualifier}.{name}", _display(sources))
        candidates: list[Column | None] = []
        for source in sources.values():
            if source.table is not None:
                found = source.table.column(name)
                if found is not None and found.exposed:
                    candidates.append(found)
            elif name in source.outputs:
                candidates.append(None)
        if len(candidates) > 1:
            raise errors.unsupported()  # ambiguous; NetSuite's wording unverified
        if candidates:
            return candidates[0]
        if depth == 0 and column.find_ancestor(exp.Order) is not None:
            aliases = {p.alias.lower() for p in select.expressions if isinstance(p, exp.Alias)}
            if name in aliases:
                return None  # ORDER BY a projection's alias
    shown = f"{qualifier}.{name}" if qualifier else name
    raise errors.unknown_identifier(shown, _display(own_sources))


def _number(node: exp.Expression) -> Decimal | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        return Decimal(node.this)
    if isinstance(node, exp.Neg):
        inner = _number(node.this)
        return -inner if inner is not None else None
    return None


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _scaled(node: exp.Expression, by: int) -> exp.Expression:
    if by == 0:
        return node
    return exp.Mul(this=exp.Paren(this=node), expression=exp.Literal.number(10**by))


def _lower(node: exp.Expression, kind: Kind) -> exp.Expression:
    if kind.scale is None:
        return node
    real = exp.Cast(this=exp.Paren(this=node), to=exp.DataType.build("DOUBLE"))
    return exp.Paren(this=exp.Div(this=real, expression=exp.Literal.number(10**kind.scale)))


class _Rewriter:
    def __init__(self, context: _Context) -> None:
        self.context = context

    def rewrite_statement(self, root: exp.Expression) -> tuple[OutputColumn, ...]:
        if isinstance(root, _SET_OPERATIONS):
            left = self.rewrite_statement(root.this)
            right = self.rewrite_statement(root.expression)
            if [c.kind for c in left] != [c.kind for c in right]:
                raise errors.unsupported()
            return left
        assert isinstance(root, exp.Select)
        return self.rewrite_select(root, outermost=True)

    def rewrite_query(self, node: exp.Expression) -> None:
        """A nested query: its outputs become plain SQL values."""
        if isinstance(node, _SET_OPERATIONS):
            self.rewrite_query(node.this)
            self.rewrite_query(node.expression)
        elif isinstance(node, exp.Subquery):
            self.rewrite_query(node.this)
        elif isinstance(node, exp.Select):
            self.rewrite_select(node, outermost=False)

    def rewrite_select(self, select: exp.Select, *, outermost: bool) -> tuple[OutputColumn, ...]:
        from_ = select.args.get("from_") or select.args.get("from")
        if from_ is not None and isinstance(from_.this, exp.Subquery):
            self.rewrite_query(from_.this)
        for join in select.args.get("joins") or []:
            if isinstance(join.this, exp.Subquery):
                self.rewrite_query(join.this)
            on = join.args.get("on")
            if on is not None:
                join.set("on", self.plain(on))
        for key in ("where", "having"):
            clause = select.args.get(key)
            if clause is not None:
                clause.set("this", self.plain(clause.this))
        group = select.args.get("group")
        if group is not None:
            group.set("expressions", [self.typed(e)[0] for e in group.expressions])

        typed_projections: dict[str, exp.Expression] = {}
        projections = []
        outputs = []
        unnamed = 0
        for index, projection in enumerate(select.expressions):
            name = (
                projection.alias_or_name.lower()
                if isinstance(projection, exp.Alias | exp.Column)
                else ""
            )
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            original = inner.copy()
            self._annotate_copy(inner, original)
            node, kind = self.typed(inner)
            if not outermost:
                node, kind = _lower(node, kind), PLAIN
            if not name:
                # NetSuite names unaliased expressions expr1, expr2, ...
                # (unverified).
                unnamed += 1
                name = f"expr{unnamed}"
            typed_projections[name] = original
            typed_projections[str(index + 1)] = original
            outputs.append(OutputColumn(name, kind))
            alias = f"c{index}" if outermost else name
            projections.append(exp.alias_(node, alias, quoted=True))
        select.set("expressions", projections)

        order = select.args.get("order")
        if order is not None:
            for ordered in order.expressions:
                target = ordered.this
                order_key: str | None = None
                if isinstance(target, exp.Column) and not target.table:
                    order_key = target.name.lower()
                elif isinstance(target, exp.Literal) and not target.is_string:
                    order_key = target.this
                if order_key is not None and order_key in typed_projections:
                    target = typed_projections[order_key].copy()
                    self._annotate_copy(typed_projections[order_key], target)
                ordered.set("this", self.typed(target)[0])
        return tuple(outputs)

    def _annotate_copy(self, original: exp.Expression, copy: exp.Expression) -> None:
        for a, b in zip(original.walk(), copy.walk(), strict=True):
            if isinstance(a, exp.Column) and id(a) in self.context.columns:
                self.context.columns[id(b)] = self.context.columns[id(a)]

    def plain(self, node: exp.Expression) -> exp.Expression:
        new, kind = self.typed(node)
        return _lower(new, kind)

    def typed(self, node: exp.Expression) -> tuple[exp.Expression, Kind]:
        if isinstance(node, exp.Column):
            column = self.context.columns.get(id(node))
            if column is None:
                return node, PLAIN
            if column.type is ColumnType.MONEY:
                return node, Kind(scale=MONEY_SCALE)
            if column.type in (ColumnType.DATE, ColumnType.DATETIME):
                return node, Kind(temporal=column.type)
            return node, PLAIN
        if isinstance(node, exp.Connector):
            return self._connector(node), PLAIN
        if isinstance(node, exp.Paren | exp.Neg | exp.Abs):
            inner, kind = self.typed(node.this)
            node.set("this", inner)
            return node, kind
        if isinstance(node, exp.Add | exp.Sub | exp.Mul):
            return self._arithmetic(node)
        if isinstance(node, exp.Sum | exp.Min | exp.Max) and not isinstance(
            node.this, exp.Distinct
        ):
            inner, kind = self.typed(node.this)
            node.set("this", inner)
            return node, kind
        if isinstance(node, exp.Coalesce):
            return self._aligned_args(node, [node.this, *node.expressions], "coalesce")
        if isinstance(node, exp.Case):
            return self._case(node)
        if isinstance(node, _COMPARISONS):
            values, _ = self._aligned([node.this, node.expression])
            node.set("this", values[0])
            node.set("expression", values[1])
            return node, PLAIN
        if isinstance(node, exp.Between):
            return self._aligned_args(
                node, [node.this, node.args["low"], node.args["high"]], "between"
            )
        if isinstance(node, exp.In) and not node.args.get("query"):
            return self._aligned_args(node, [node.this, *node.expressions], "in")
        if isinstance(node, exp.StrToDate):
            fmt = node.args.get("format")
            args = [self.plain(node.this)] + ([fmt] if fmt is not None else [])
            return exp.Anonymous(this="ns_to_date", expressions=args), Kind(
                temporal=ColumnType.DATE
            )
        if isinstance(node, exp.ToChar):
            fmt = node.args.get("format")
            args = [self.plain(node.this)] + ([fmt] if fmt is not None else [])
            return exp.Anonymous(this="ns_to_char", expressions=args), PLAIN
        if isinstance(node, exp.Dot) and (name := builtins.name_of(node)) is not None:
            return builtins.rewrite(node, name, self.context.columns, self.typed, _lower), PLAIN
        if isinstance(node, (exp.Select, exp.Subquery, *_SET_OPERATIONS)):
            self.rewrite_query(node)
            return node, PLAIN
        for key, value in list(node.args.items()):
            if isinstance(value, exp.Expression):
                node.set(key, self.plain(value))
            elif isinstance(value, list):
                node.set(
                    key, [self.plain(v) if isinstance(v, exp.Expression) else v for v in value]
                )
        return node, PLAIN

    def _connector(self, node: Any) -> exp.Expression:
        """A run of AND or OR, each operand rewritten in a loop, not by recursing down
        the chain (a generated query may OR together hundreds of conditions)."""
        kind = type(node)
        chain: list[exp.Expression] = [node]
        operands: list[tuple[exp.Expression, str]] = []
        while chain:
            current = chain.pop()
            for key in ("this", "expression"):
                child: Any = current.args.get(key)
                if type(child) is kind:
                    chain.append(child)
                elif isinstance(child, exp.Expression):
                    operands.append((current, key))
        for parent, key in operands:
            parent.set(key, self.plain(parent.args[key]))
        result: exp.Expression = node
        return result

    def _arithmetic(self, node: exp.Expression) -> tuple[exp.Expression, Kind]:
        left, right = node.this, node.expression
        if isinstance(node, exp.Mul):
            left_node, left_kind = self._typed_or_literal(left)
            right_node, right_kind = self._typed_or_literal(right)
            if left_kind.scale is not None and right_kind.scale is not None:
                node.set("this", left_node)
                node.set("expression", right_node)
                return node, Kind(scale=left_kind.scale + right_kind.scale)
            node.set("this", _lower(left_node, left_kind))
            node.set("expression", _lower(right_node, right_kind))
            return node, PLAIN
        values, kind = self._aligned([left, right])
        node.set("this", values[0])
        node.set("expression", values[1])
        return node, kind

    def _typed_or_literal(self, node: exp.Expression) -> tuple[exp.Expression, Kind]:
        """A numeric literal counts as fixed-point at its own number of decimals."""
        number = _number(node)
        if number is not None:
            scale = _decimals(number)
            return _literal_int(int(number.scaleb(scale))), Kind(scale=scale)
        return self.typed(node)

    def _aligned(self, operands: list[exp.Expression]) -> tuple[list[exp.Expression], Kind]:
        """Bring operands to one fixed-point scale if all can be, else lower all.

        Each operand is rewritten exactly once: rewriting twice would scale a
        money column twice.
        """
        typed: list[tuple[exp.Expression, Kind, Decimal | None]] = []
        for operand in operands:
            number = _number(operand)
            if number is not None:
                typed.append((operand, PLAIN, number))
            elif isinstance(operand, exp.Null):
                typed.append((operand, PLAIN, None))
            else:
                new, kind = self.typed(operand)
                typed.append((new, kind, None))
        scales = [kind.scale for _, kind, _ in typed if kind.scale is not None]
        mixed = any(
            kind.scale is None and number is None and not isinstance(node, exp.Null)
            for node, kind, number in typed
        )
        if not scales or mixed:
            temporal = next((k.temporal for _, k, _ in typed if k.temporal), None)
            return [_lower(node, kind) for node, kind, _ in typed], Kind(temporal=temporal)
        scale = max([*scales, *(_decimals(n) for _, _, n in typed if n is not None)])
        out: list[exp.Expression] = []
        for node, kind, number in typed:
            if number is not None:
                out.append(_literal_int(int(number.scaleb(scale))))
            elif kind.scale is not None:
                out.append(_scaled(node, scale - kind.scale))
            else:
                out.append(node)  # NULL
        return out, Kind(scale=scale)

    def _aligned_args(
        self, node: exp.Expression, operands: list[exp.Expression], shape: str
    ) -> tuple[exp.Expression, Kind]:
        values, kind = self._aligned(operands)
        if shape == "between":
            node.set("this", values[0])
            node.set("low", values[1])
            node.set("high", values[2])
            return node, PLAIN
        node.set("this", values[0])
        node.set("expressions", values[1:])
        return node, (kind if shape == "coalesce" else PLAIN)

    def _case(self, node: exp.Case) -> tuple[exp.Expression, Kind]:
        for branch in node.args.get("ifs") or []:
            branch.set("this", self.plain(branch.this))
        values = [branch.args["true"] for branch in node.args.get("ifs") or []]
        default = node.args.get("default")
        if default is not None:
            values.append(default)
        new_values, kind = self._aligned(values)
        ifs = node.args.get("ifs") or []
        for branch, value in zip(ifs, new_values, strict=False):
            branch.set("true", value)
        if default is not None:
            node.set("default", new_values[-1])
        return node, kind


def _literal_int(value: int) -> exp.Expression:
    literal = exp.Literal.number(abs(value))
    return exp.Neg(this=literal) if value < 0 else literal
