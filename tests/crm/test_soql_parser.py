"""SOQL parsing and serialisation: every clause, operator and literal; errors; round trip."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.crm.soql import MALFORMED_QUERY, SoqlError, parse, to_soql
from simulators.crm.soql import ast as a
from simulators.crm.soql.serialise import value_literal


def where(text: str) -> a.Condition:
    query = parse(f"SELECT Id FROM Account WHERE {text}")
    assert query.where is not None
    return query.where


def value(literal: str) -> a.Value:
    cond = where(f"Name = {literal}")
    assert isinstance(cond, a.Comparison)
    return cond.value


def path(*names: str) -> a.FieldPath:
    return a.FieldPath(names)


# --- clauses ------------------------------------------------------------------------------


def test_minimal_query() -> None:
    assert parse("SELECT Id FROM Account") == a.Query((a.SelectField(path("Id")),), "Account")


def test_keywords_are_case_insensitive() -> None:
    lower = parse("select id from account where name = 'x' order by name desc nulls last limit 1")
    upper = parse("SELECT id FROM account WHERE name = 'x' ORDER BY name DESC NULLS LAST LIMIT 1")
    assert lower == upper
    assert lower.order_by == (a.OrderKey(path("name"), "DESC", "LAST"),)


def test_object_named_like_a_keyword() -> None:
    # Order is an object and ORDER a keyword; the parser tells them apart by position.
    query = parse("SELECT Id, Order.OrderNumber FROM OrderItem ORDER BY Order.OrderNumber")
    assert query.select[1] == a.SelectField(path("Order", "OrderNumber"))
    assert parse("SELECT Id FROM Order ORDER BY Id").sobject == "Order"


def test_relationship_paths_and_subqueries() -> None:
    query = parse(
        "SELECT Id, Opportunity.Account.Owner.Name, "
        "(SELECT Id, Name FROM OpportunityLineItems WHERE Quantity > 1 ORDER BY Name LIMIT 5) "
        "FROM Opportunity"
    )
    assert query.select[1] == a.SelectField(path("Opportunity", "Account", "Owner", "Name"))
    sub = query.select[2]
    assert isinstance(sub, a.SelectSubquery)
    assert sub.query.sobject == "OpportunityLineItems"
    assert sub.query.where == a.Comparison(path("Quantity"), ">", a.NumberValue(Decimal(1)))
    assert sub.query.limit == 5


def test_aggregates_group_by_and_aliases() -> None:
    query = parse(
        "SELECT StageName, COUNT(Id), SUM(Amount) total, MIN(CloseDate), MAX(Amount), "
        "AVG(Amount) mean, COUNT_DISTINCT(AccountId) FROM Opportunity GROUP BY StageName "
        "ORDER BY SUM(Amount) DESC"
    )
    assert query.select[1:4] == (
        a.SelectAggregate(a.AggregateCall("COUNT", path("Id"))),
        a.SelectAggregate(a.AggregateCall("SUM", path("Amount")), "total"),
        a.SelectAggregate(a.AggregateCall("MIN", path("CloseDate"))),
    )
    assert query.select[5] == a.SelectAggregate(a.AggregateCall("AVG", path("Amount")), "mean")
    assert query.group_by == (path("StageName"),)
    assert query.order_by == (a.OrderKey(a.AggregateCall("SUM", path("Amount")), "DESC"),)


def test_count_star() -> None:
    assert parse("SELECT COUNT() FROM Account").select == (a.SelectCount(),)
    assert parse("select count() from Account").select == (a.SelectCount(),)


def test_order_by_several_keys_limit_offset() -> None:
    query = parse(
        "SELECT Id FROM Account ORDER BY Name ASC NULLS FIRST, Industry DESC, Id LIMIT 10 OFFSET 20"
    )
    assert query.order_by == (
        a.OrderKey(path("Name"), "ASC", "FIRST"),
        a.OrderKey(path("Industry"), "DESC"),
        a.OrderKey(path("Id")),
    )
    assert not query.order_by[0].nulls_last
    assert query.order_by[1].descending
    assert (query.limit, query.offset) == (10, 20)


# --- WHERE --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("=", "="),
        ("!=", "!="),
        ("<>", "!="),
        ("<", "<"),
        (">", ">"),
        ("<=", "<="),
        (">=", ">="),
        ("LIKE", "LIKE"),
        ("like", "LIKE"),
    ],
)
def test_comparison_operators(text: str, op: str) -> None:
    expected = a.Comparison(path("Name"), op, a.StringValue("x"))  # type: ignore[arg-type]
    assert where(f"Name {text} 'x'") == expected


def test_in_and_not_in() -> None:
    assert where("Id IN ('a', 'b')") == a.InList(
        path("Id"), (a.StringValue("a"), a.StringValue("b"))
    )
    assert where("Amount not  in (1, 2.5)") == a.InList(
        path("Amount"), (a.NumberValue(Decimal(1)), a.NumberValue(Decimal("2.5"))), negated=True
    )


def test_logical_operators_and_parentheses() -> None:
    x, y, z = (a.Comparison(path(n), "=", a.NumberValue(Decimal(1))) for n in "xyz")
    assert where("x = 1 AND y = 1 AND z = 1") == a.And((x, y, z))
    assert where("x = 1 OR (y = 1 AND z = 1)") == a.Or((x, a.And((y, z))))
    assert where("NOT x = 1 AND y = 1") == a.And((a.Not(x), y))
    assert where("NOT (x = 1 OR y = 1)") == a.Not(a.Or((x, y)))
    assert where("((x = 1))") == x


def test_mixing_and_or_needs_parentheses() -> None:
    # SOQL and SOSL Reference, "Logical Operators": AND and OR need parentheses to mix.
    with pytest.raises(SoqlError) as caught:
        where("x = 1 AND y = 1 OR z = 1")
    assert caught.value.error_code == MALFORMED_QUERY
    assert caught.value.message.endswith("unexpected token: 'OR'")


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("'plain'", a.StringValue("plain")),
        (r"'it\'s'", a.StringValue("it's")),
        (r"'back\\slash'", a.StringValue("back\\slash")),
        (r"'a\nb\tc\rd'", a.StringValue("a\nb\tc\rd")),
        (r"'\"q\"'", a.StringValue('"q"')),
        (r"'\N'", a.StringValue("\n")),
        (r"'50\%'", a.StringValue("50\\%")),
        ("''", a.StringValue("")),
        ("42", a.NumberValue(Decimal(42))),
        ("-3.25", a.NumberValue(Decimal("-3.25"))),
        ("1e3", a.NumberValue(Decimal(1000))),
        ("null", a.NullValue()),
        ("NULL", a.NullValue()),
        ("true", a.BooleanValue(True)),
        ("FALSE", a.BooleanValue(False)),
        ("2024-01-31", a.DateValue(date(2024, 1, 31))),
        ("2024-01-31T10:00:00Z", a.DateTimeValue(datetime(2024, 1, 31, 10, tzinfo=UTC))),
        (
            "2024-01-31T10:00:00.250Z",
            a.DateTimeValue(datetime(2024, 1, 31, 10, 0, 0, 250000, tzinfo=UTC)),
        ),
        (
            "2024-01-31T10:00:00+02:00",
            a.DateTimeValue(datetime(2024, 1, 31, 8, tzinfo=UTC)),
        ),
        (
            "2024-01-31T10:00:00-0530",
            a.DateTimeValue(datetime(2024, 1, 31, 15, 30, tzinfo=UTC)),
        ),
        ("TODAY", a.RelativeDate("TODAY")),
        ("yesterday", a.RelativeDate("YESTERDAY")),
        ("TOMORROW", a.RelativeDate("TOMORROW")),
        ("THIS_MONTH", a.RelativeDate("THIS_MONTH")),
        ("LAST_MONTH", a.RelativeDate("LAST_MONTH")),
        ("THIS_YEAR", a.RelativeDate("THIS_YEAR")),
        ("LAST_N_DAYS:30", a.RelativeDate("LAST_N_DAYS", 30)),
        ("next_n_days:7", a.RelativeDate("NEXT_N_DAYS", 7)),
    ],
)
def test_literals(literal: str, expected: a.Value) -> None:
    assert value(literal) == expected


def test_datetime_offsets_are_kept() -> None:
    parsed = value("2024-01-31T10:00:00+02:00")
    assert isinstance(parsed, a.DateTimeValue)
    assert parsed.value.utcoffset() == timedelta(hours=2)


# --- errors -------------------------------------------------------------------------------


def test_unexpected_token_message_points_at_the_token() -> None:
    with pytest.raises(SoqlError) as caught:
        parse("SELECT Id FORM Account")
    assert caught.value.error_code == MALFORMED_QUERY
    assert caught.value.message == (
        "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'"
    )
    assert caught.value.to_dict() == {"message": caught.value.message, "errorCode": MALFORMED_QUERY}


def test_error_on_a_later_line_echoes_that_line() -> None:
    with pytest.raises(SoqlError) as caught:
        parse("SELECT Id\nFROM Account\nWHERE Name = = 'x'")
    assert caught.value.message == (
        "\nWHERE Name = = 'x'\n             ^\nERROR at Row:3:Column:14\nunexpected token: '='"
    )


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("SELECT Id FROM", "<EOF>"),
        ("SELECT FROM Account", "Account"),
        ("SELECT Id FROM Account WHERE", "<EOF>"),
        ("SELECT Id FROM Account LIMIT 'x'", "'x'"),
        ("SELECT Id FROM Account WHERE Name = 'unterminated", "'"),
        ("SELECT Id FROM Account WHERE Name ~ 'x'", "~"),
        ("SELECT Id FROM Account WHERE CloseDate = TODAYS", "TODAYS"),
        ("SELECT Id, FROM Account", "Account"),
    ],
)
def test_malformed_queries(text: str, token: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(text)
    assert caught.value.error_code == MALFORMED_QUERY
    assert caught.value.message.endswith(f"unexpected token: '{token}'")
    assert re.search(r"ERROR at Row:\d+:Column:\d+", caught.value.message)


def test_illegal_escape() -> None:
    with pytest.raises(SoqlError) as caught:
        parse(r"SELECT Id FROM Account WHERE Name = 'a\qb'")
    assert caught.value.error_code == MALFORMED_QUERY
    assert "Illegal escape sequence" in caught.value.message


def test_invalid_calendar_date() -> None:
    with pytest.raises(SoqlError) as caught:
        parse("SELECT Id FROM Opportunity WHERE CloseDate = 2024-02-30")
    assert caught.value.error_code == MALFORMED_QUERY


# --- serialisation ------------------------------------------------------------------------


def test_to_soql_writes_canonical_text() -> None:
    text = (
        "select id, account.name, (select id from contacts) from opportunity "
        "where (amount >= 10 or name like 'a\\_b%') and not stagename <> 'x' "
        "and closedate = last_n_days:7 order by name desc nulls last limit 5 offset 1"
    )
    assert to_soql(parse(text)) == (
        "SELECT id, account.name, (SELECT id FROM contacts) FROM opportunity "
        "WHERE (amount >= 10 OR name LIKE 'a\\_b%') AND NOT stagename != 'x' "
        "AND closedate = LAST_N_DAYS:7 ORDER BY name DESC NULLS LAST LIMIT 5 OFFSET 1"
    )


def test_to_soql_datetime_and_string_escapes() -> None:
    query = parse(r"SELECT Id FROM Account WHERE CreatedDate > 2024-01-31T10:00:00.5+01:00")
    assert to_soql(query).endswith("CreatedDate > 2024-01-31T10:00:00.500+01:00")
    query = parse(r"SELECT Id FROM Account WHERE Name = 'it\'s a \\ \n'")
    assert to_soql(query).endswith(r"Name = 'it\'s a \\ \n'")


# --- round trip over generated trees ------------------------------------------------------

_KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "GROUP", "ORDER", "BY", "NULLS",
    "LIMIT", "OFFSET", "ASC", "DESC", "FIRST", "LAST", "COUNT", "COUNT_DISTINCT", "SUM",
    "MIN", "MAX", "AVG", "NULL", "TRUE", "FALSE", "LIKE",
}  # fmt: skip
_RELATIVE = ["TODAY", "YESTERDAY", "TOMORROW", "THIS_MONTH", "LAST_MONTH", "THIS_YEAR",
             "LAST_WEEK", "NEXT_QUARTER", "LAST_90_DAYS"]  # fmt: skip
_RELATIVE_N = ["LAST_N_DAYS", "NEXT_N_DAYS", "LAST_N_MONTHS", "N_DAYS_AGO"]

names = st.from_regex(r"\A[A-Za-z][A-Za-z0-9_]{0,12}\Z").filter(
    lambda n: n.upper() not in _KEYWORDS
)
paths = st.lists(names, min_size=1, max_size=5).map(lambda ns: a.FieldPath(tuple(ns)))
zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30))]
)
values: st.SearchStrategy[a.Value] = st.one_of(
    st.text().map(a.StringValue),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**12),
                max_value=10**12).map(a.NumberValue),
    st.booleans().map(a.BooleanValue),
    st.just(a.NullValue()),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)).map(a.DateValue),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30),
                 timezones=zones).map(a.DateTimeValue),
    st.sampled_from(_RELATIVE).map(a.RelativeDate),
    st.builds(a.RelativeDate, st.sampled_from(_RELATIVE_N), st.integers(0, 1000)),
)  # fmt: skip
operators = st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "LIKE"])
leaves = st.one_of(
    st.builds(a.Comparison, paths, operators, values),
    st.builds(a.InList, paths, st.lists(values, min_size=1, max_size=4).map(tuple), st.booleans()),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: a.And(tuple(cs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: a.Or(tuple(cs))),
        inner.map(a.Not),
    ),
    max_leaves=8,
)
functions = st.sampled_from(["COUNT", "COUNT_DISTINCT", "SUM", "MIN", "MAX", "AVG"])
calls = st.builds(a.AggregateCall, functions, paths)
order_keys = st.builds(
    a.OrderKey,
    st.one_of(paths, calls),
    st.sampled_from([None, "ASC", "DESC"]),
    st.sampled_from([None, "FIRST", "LAST"]),
)
optional_ints = st.none() | st.integers(0, 100_000)


def queries(subqueries: bool) -> st.SearchStrategy[a.Query]:
    item = st.one_of(
        paths.map(a.SelectField),
        st.builds(a.SelectAggregate, calls, st.none() | names),
        st.just(a.SelectCount()),
        *([queries(False).map(a.SelectSubquery)] if subqueries else []),
    )
    return st.builds(
        a.Query,
        select=st.lists(item, min_size=1, max_size=4).map(tuple),
        sobject=names,
        where=st.none() | conditions,
        group_by=st.lists(paths, max_size=2).map(tuple),
        order_by=st.lists(order_keys, max_size=3).map(tuple),
        limit=optional_ints,
        offset=optional_ints,
    )


@settings(max_examples=300, deadline=None)
@given(queries(subqueries=True))
def test_round_trip_of_generated_queries(query: a.Query) -> None:
    text = to_soql(query)
    assert parse(text) == query
    assert to_soql(parse(text)) == text


@settings(max_examples=200, deadline=None)
@given(values)
def test_round_trip_of_every_literal(literal: a.Value) -> None:
    assert value(value_literal(literal)) == literal
