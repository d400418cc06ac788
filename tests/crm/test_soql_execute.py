"""Executing SOQL against an in-memory org: result shape, filters, ordering, aggregates,
relationships, errors, and use of the source's indexes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from simulators.crm.ids import to_18
from simulators.crm.schema import OrgSchema
from simulators.crm.soql import (
    INVALID_FIELD,
    INVALID_TYPE,
    MALFORMED_QUERY,
    InMemorySource,
    QueryResult,
    SoqlError,
    execute,
    parse,
)
from simulators.crm.soql.source import Record

NOW = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


def sfid(prefix: str, n: int) -> str:
    # Mixed case on purpose: 15-character ids are case-sensitive.
    return to_18(f"{prefix}00000{n:03d}AbCd")


U1 = sfid("005", 1)
A1, A2, A3 = (sfid("001", n) for n in (1, 2, 3))
O1, O2, O3, O4 = (sfid("006", n) for n in (1, 2, 3, 4))
L1, L2, L3 = (sfid("00k", n) for n in (1, 2, 3))


def stamp(day: int, hour: int = 10, millis: int = 0) -> str:
    return f"2024-01-{day:02d}T{hour:02d}:00:00.{millis:03d}+0000"


class CountingSource(InMemorySource):
    """Counts calls, so that tests can tell an index lookup from a full scan."""

    def __init__(self, schema: OrgSchema) -> None:
        super().__init__(schema)
        self.calls: Counter[str] = Counter()

    def scan(self, sobject: str) -> Iterator[Record]:
        self.calls["scan"] += 1
        return super().scan(sobject)

    def scan_all(self, sobject: str) -> Iterator[Record]:
        self.calls["scan_all"] += 1
        return super().scan_all(sobject)

    def get(self, sobject: str, record_id: str) -> Record | None:
        self.calls[f"get:{sobject}"] += 1
        return super().get(sobject, record_id)

    def find_equal(self, sobject: str, field: str, value: Any) -> list[Record] | None:
        self.calls[f"find_equal:{sobject}.{field}"] += 1
        return super().find_equal(sobject, field, value)

    def find_range(
        self,
        sobject: str,
        field: str,
        lo: str | None,
        hi: str | None,
        lo_inclusive: bool,
        hi_inclusive: bool,
    ) -> list[Record] | None:
        self.calls[f"find_range:{sobject}.{field}"] += 1
        return super().find_range(sobject, field, lo, hi, lo_inclusive, hi_inclusive)

    @property
    def scans(self) -> int:
        return self.calls["scan"] + self.calls["scan_all"]


class UnindexedSource(CountingSource):
    """A source with no indexes at all: the executor must fall back to scans."""

    def find_equal(self, sobject: str, field: str, value: Any) -> list[Record] | None:
        self.calls[f"find_equal:{sobject}.{field}"] += 1
        return None

    def find_range(
        self,
        sobject: str,
        field: str,
        lo: str | None,
        hi: str | None,
        lo_inclusive: bool,
        hi_inclusive: bool,
    ) -> list[Record] | None:
        return None


def load(source: InMemorySource) -> None:
    source.put("User", {"Id": U1, "Name": "Ursula Owner", "LastName": "Owner"})
    source.put("Account", {
        "Id": A1, "Name": "Acme", "Industry": "Technology", "AnnualRevenue": Decimal("1000.50"),
        "External_Id__c": "EXT-1", "OwnerId": U1, "Billing_Status__c": "Active",
        "CreatedDate": stamp(1), "SystemModstamp": stamp(10), "IsDeleted": False,
    })  # fmt: skip
    source.put("Account", {
        "Id": A2, "Name": "Globex", "Industry": "Finance", "AnnualRevenue": None,
        "External_Id__c": "EXT-2", "ParentId": A1, "CreatedDate": stamp(2),
        "SystemModstamp": stamp(12), "IsDeleted": False,
    })  # fmt: skip
    source.put("Account", {
        "Id": A3, "Name": "initech", "ParentId": A2, "NumberOfEmployees": 5,
        "CreatedDate": stamp(3), "SystemModstamp": stamp(14, millis=500), "IsDeleted": False,
    })  # fmt: skip
    opportunities = [
        (O1, "Big deal", A1, Decimal("100.50"), "Closed Won", "2024-01-15", True),
        (O2, "Small", A1, Decimal("10"), "Prospecting", "2024-01-14", False),
        (O3, "Mid", A2, Decimal("50.00"), "Negotiation/Review", "2024-02-01", False),
        (O4, "Orphan", None, None, "Prospecting", "2023-12-31", False),
    ]
    for n, (oid, name, account, amount, stage, close, won) in enumerate(opportunities):
        source.put("Opportunity", {
            "Id": oid, "Name": name, "AccountId": account, "Amount": amount,
            "StageName": stage, "CloseDate": close, "IsWon": won, "IsClosed": won,
            "CreatedDate": stamp(5 + n), "SystemModstamp": stamp(5 + n), "IsDeleted": False,
        })  # fmt: skip
    for lid, opp, quantity in ((L1, O1, "2"), (L2, O1, "1"), (L3, O3, "3")):
        source.put("OpportunityLineItem", {
            "Id": lid, "OpportunityId": opp, "Quantity": Decimal(quantity), "IsDeleted": False,
        })  # fmt: skip


@pytest.fixture
def schema() -> OrgSchema:
    return OrgSchema()


@pytest.fixture(params=[CountingSource, UnindexedSource], ids=["indexed", "unindexed"])
def source(request: pytest.FixtureRequest, schema: OrgSchema) -> CountingSource:
    made: CountingSource = request.param(schema)
    load(made)
    return made


@pytest.fixture
def indexed(schema: OrgSchema) -> CountingSource:
    made = CountingSource(schema)
    load(made)
    return made


def run(
    source: InMemorySource, schema: OrgSchema, text: str, *, include_deleted: bool = False
) -> QueryResult:
    return execute(
        parse(text), schema, source, now=NOW, api_version="59.0", include_deleted=include_deleted
    )


def ids(result: QueryResult) -> list[str]:
    return [r["Id"] for r in result.records]


def names(result: QueryResult) -> list[str]:
    return [r["Name"] for r in result.records]


# --- result shape -------------------------------------------------------------------------


def test_record_shape(source: CountingSource, schema: OrgSchema) -> None:
    result = run(
        source, schema, "select id, name, annualrevenue from account where id = " + f"'{A1}'"
    )
    assert result.total_size == 1
    assert result.to_dict()["done"] is True
    assert result.records == [
        {
            "attributes": {"type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{A1}"},
            "Id": A1,
            "Name": "Acme",
            "AnnualRevenue": Decimal("1000.50"),
        }
    ]


def test_parent_fields_nest_under_the_relationship(
    source: CountingSource, schema: OrgSchema
) -> None:
    result = run(
        source,
        schema,
        "SELECT Name, Account.Name, Account.Owner.Name FROM Opportunity ORDER BY Name",
    )
    by_name = {r["Name"]: r for r in result.records}
    assert by_name["Big deal"]["Account"] == {
        "attributes": {"type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{A1}"},
        "Name": "Acme",
        "Owner": {
            "attributes": {"type": "User", "url": f"/services/data/v59.0/sobjects/User/{U1}"},
            "Name": "Ursula Owner",
        },
    }
    assert by_name["Mid"]["Account"]["Owner"] is None
    assert by_name["Orphan"]["Account"] is None


def test_five_level_relationship_path(source: CountingSource, schema: OrgSchema) -> None:
    result = run(
        source, schema,
        "SELECT Opportunity.Account.Parent.Owner.Name FROM OpportunityLineItem "
        f"WHERE Id = '{L3}'",
    )  # fmt: skip
    record = result.records[0]
    assert record["Opportunity"]["Account"]["Parent"]["Owner"]["Name"] == "Ursula Owner"
    deep = run(
        source, schema, "SELECT Id FROM Account WHERE Parent.Parent.Owner.Name = 'ursula owner'"
    )
    assert ids(deep) == [A3]


def test_child_subquery(source: CountingSource, schema: OrgSchema) -> None:
    result = run(
        source,
        schema,
        "SELECT Name, (SELECT Id, Quantity FROM OpportunityLineItems ORDER BY Quantity DESC) "
        "FROM Opportunity WHERE Name IN ('Big deal', 'Small') ORDER BY Name",
    )
    big, small = result.records
    assert big["OpportunityLineItems"]["totalSize"] == 2
    assert big["OpportunityLineItems"]["done"] is True
    assert [r["Id"] for r in big["OpportunityLineItems"]["records"]] == [L1, L2]
    assert big["OpportunityLineItems"]["records"][0]["attributes"]["type"] == "OpportunityLineItem"
    assert small["OpportunityLineItems"] is None


def test_child_subquery_filters_and_limits(source: CountingSource, schema: OrgSchema) -> None:
    result = run(
        source,
        schema,
        "SELECT Name, (SELECT Name FROM Opportunities WHERE Amount > 20 ORDER BY Amount LIMIT 1),"
        " (SELECT Name FROM ChildAccounts) FROM Account ORDER BY Name",
    )
    acme, globex, initech = result.records
    assert [r["Name"] for r in acme["Opportunities"]["records"]] == ["Big deal"]
    assert [r["Name"] for r in acme["ChildAccounts"]["records"]] == ["Globex"]
    assert globex["Opportunities"]["records"][0]["Name"] == "Mid"
    assert initech["Opportunities"] is None and initech["ChildAccounts"] is None


def test_child_subquery_uses_the_lookup_index(indexed: CountingSource, schema: OrgSchema) -> None:
    run(indexed, schema, "SELECT Id, (SELECT Id FROM OpportunityLineItems) FROM Opportunity")
    assert indexed.calls["find_equal:OpportunityLineItem.OpportunityId"] == 4
    assert indexed.scans == 1  # the Opportunity scan only


def test_child_subquery_without_index_scans_children_once(schema: OrgSchema) -> None:
    source = UnindexedSource(schema)
    load(source)
    result = run(
        source, schema, "SELECT Id, (SELECT Id FROM OpportunityLineItems) FROM Opportunity"
    )
    assert source.scans == 2  # Opportunity, then OpportunityLineItem once for all parents
    assert sum(1 for r in result.records if r["OpportunityLineItems"]) == 2


# --- WHERE --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("Name = 'ACME'", ["Acme"]),
        ("Name != 'acme'", ["Globex", "initech"]),
        ("Name <> 'acme'", ["Globex", "initech"]),
        ("Name < 'h'", ["Acme", "Globex"]),
        ("Name > 'GLOBEX'", ["initech"]),
        ("Name >= 'globex'", ["Globex", "initech"]),
        ("Name <= 'globex'", ["Acme", "Globex"]),
        ("Name LIKE 'a%'", ["Acme"]),
        ("Name LIKE '%E%'", ["Acme", "Globex", "initech"]),
        ("Name LIKE 'glob_x'", ["Globex"]),
        ("Name LIKE 'glob_'", []),
        ("Name IN ('acme', 'INITECH', 'nobody')", ["Acme", "initech"]),
        ("Name NOT IN ('acme')", ["Globex", "initech"]),
        ("Industry = null", ["initech"]),
        ("Industry != null", ["Acme", "Globex"]),
        # SOQL, unlike SQL, keeps nulls for != and NOT IN.
        ("Industry != 'Finance'", ["Acme", "initech"]),
        ("Industry NOT IN ('Finance')", ["Acme", "initech"]),
        ("AnnualRevenue = 1000.5", ["Acme"]),
        ("AnnualRevenue > 1000.49", ["Acme"]),
        ("AnnualRevenue < 1000.50", []),
        ("NumberOfEmployees <= 5", ["initech"]),
        ("IsDeleted = false", ["Acme", "Globex", "initech"]),
        ("IsDeleted = true", []),
        ("Name = 'acme' OR Industry = 'Finance'", ["Acme", "Globex"]),
        ("Name LIKE '%e%' AND NOT Industry = null", ["Acme", "Globex"]),
        ("NOT (Name = 'acme' OR Name = 'globex')", ["initech"]),
        ("(Industry = null OR Industry = 'Technology') AND Name LIKE 'a%'", ["Acme"]),
        ("Owner.Name = 'Ursula Owner'", ["Acme"]),
        ("Parent.Name = 'acme'", ["Globex"]),
        (f"Id IN ('{A1[:15]}', '{A3}')", ["Acme", "initech"]),
        (f"ParentId = '{A1[:15]}'", ["Globex"]),
        ("External_Id__c = 'ext-2'", ["Globex"]),
        ("External_Id__c IN ('EXT-1', 'EXT-2')", ["Acme", "Globex"]),
        ("Billing_Status__c = 'active'", ["Acme"]),
    ],
)
def test_filters(
    source: CountingSource, schema: OrgSchema, condition: str, expected: list[str]
) -> None:
    result = run(source, schema, f"SELECT Name FROM Account WHERE {condition} ORDER BY Name")
    assert names(result) == expected


def test_ids_are_case_sensitive(source: CountingSource, schema: OrgSchema) -> None:
    assert run(source, schema, f"SELECT Id FROM Account WHERE Id = '{A1.lower()}'").total_size == 0


def test_like_escapes_match_literally(schema: OrgSchema) -> None:
    source = InMemorySource(schema)
    for n, name in enumerate(["100% sure", "100 percent", "a_b", "axb"]):
        source.put("Account", {"Id": sfid("001", n), "Name": name})
    assert names(run(source, schema, r"SELECT Name FROM Account WHERE Name LIKE '100\%%'")) == [
        "100% sure"
    ]
    assert names(run(source, schema, r"SELECT Name FROM Account WHERE Name LIKE 'a\_b'")) == ["a_b"]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("CloseDate = TODAY", ["Big deal"]),
        ("CloseDate = YESTERDAY", ["Small"]),
        ("CloseDate = TOMORROW", []),
        ("CloseDate > TODAY", ["Mid"]),
        ("CloseDate < YESTERDAY", ["Orphan"]),
        ("CloseDate <= YESTERDAY", ["Orphan", "Small"]),
        ("CloseDate >= TODAY", ["Big deal", "Mid"]),
        # LAST_N_DAYS:n spans today and the n days before it; NEXT_N_DAYS:n starts tomorrow.
        ("CloseDate = LAST_N_DAYS:1", ["Big deal", "Small"]),
        ("CloseDate = LAST_N_DAYS:15", ["Big deal", "Orphan", "Small"]),
        ("CloseDate = LAST_N_DAYS:14", ["Big deal", "Small"]),
        ("CloseDate = NEXT_N_DAYS:17", ["Mid"]),
        ("CloseDate = NEXT_N_DAYS:16", []),
        ("CloseDate = THIS_MONTH", ["Big deal", "Small"]),
        ("CloseDate = LAST_MONTH", ["Orphan"]),
        ("CloseDate = THIS_YEAR", ["Big deal", "Mid", "Small"]),
        ("CloseDate != THIS_YEAR", ["Orphan"]),
        ("CloseDate IN (LAST_MONTH, TODAY)", ["Big deal", "Orphan"]),
        ("CloseDate = 2024-02-01", ["Mid"]),
        ("CloseDate > 2024-01-14", ["Big deal", "Mid"]),
        ("CreatedDate = LAST_N_DAYS:10", ["Big deal", "Mid", "Orphan", "Small"]),
        ("CreatedDate = LAST_N_DAYS:9", ["Mid", "Orphan", "Small"]),
        ("CreatedDate = THIS_MONTH", ["Big deal", "Mid", "Orphan", "Small"]),
        ("CreatedDate < LAST_MONTH", []),
        ("CreatedDate > 2024-01-06T10:00:00Z", ["Mid", "Orphan"]),
        ("CreatedDate >= 2024-01-06T10:00:00Z", ["Mid", "Orphan", "Small"]),
        # The same instant written with an offset.
        ("CreatedDate = 2024-01-06T12:00:00+02:00", ["Small"]),
        ("CreatedDate = 2024-01-06T10:00:00.000Z", ["Small"]),
        ("IsWon = true", ["Big deal"]),
        ("StageName = 'closed won'", ["Big deal"]),
    ],
)
def test_date_and_typed_filters(
    source: CountingSource, schema: OrgSchema, condition: str, expected: list[str]
) -> None:
    result = run(source, schema, f"SELECT Name FROM Opportunity WHERE {condition} ORDER BY Name")
    assert names(result) == expected


def test_date_literals_follow_the_timezone_of_now(schema: OrgSchema) -> None:
    source = InMemorySource(schema)
    source.put("Account", {"Id": A1, "Name": "late", "CreatedDate": "2024-01-15T23:30:00.000+0000"})
    query = parse("SELECT Name FROM Account WHERE CreatedDate = TODAY")
    in_utc = execute(query, schema, source, now=NOW, api_version="59.0")
    in_tokyo = execute(
        query, schema, source, now=NOW.astimezone(_tokyo()), api_version="59.0"
    )  # 2024-01-15T21:00+09:00: the record is tomorrow there
    assert (in_utc.total_size, in_tokyo.total_size) == (1, 0)


def _tokyo() -> Any:
    from datetime import timedelta, timezone

    return timezone(timedelta(hours=9))


# --- ORDER BY / LIMIT / OFFSET ------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("Amount", ["Orphan", "Small", "Mid", "Big deal"]),
        ("Amount ASC NULLS FIRST", ["Orphan", "Small", "Mid", "Big deal"]),
        ("Amount NULLS LAST", ["Small", "Mid", "Big deal", "Orphan"]),
        ("Amount DESC", ["Orphan", "Big deal", "Mid", "Small"]),
        ("Amount DESC NULLS LAST", ["Big deal", "Mid", "Small", "Orphan"]),
        # Picklists sort in the order of their values, not alphabetically.
        ("StageName, Name DESC", ["Small", "Orphan", "Mid", "Big deal"]),
        ("StageName DESC, CloseDate", ["Big deal", "Mid", "Orphan", "Small"]),
        ("Account.Name DESC NULLS LAST, Amount", ["Mid", "Small", "Big deal", "Orphan"]),
        ("name", ["Big deal", "Mid", "Orphan", "Small"]),
    ],
)
def test_order_by(
    source: CountingSource, schema: OrgSchema, order: str, expected: list[str]
) -> None:
    assert names(run(source, schema, f"SELECT Name FROM Opportunity ORDER BY {order}")) == expected


def test_text_sorts_case_insensitively(source: CountingSource, schema: OrgSchema) -> None:
    result = run(source, schema, "SELECT Name FROM Account ORDER BY Name DESC")
    assert names(result) == ["initech", "Globex", "Acme"]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("LIMIT 2", ["Big deal", "Mid"]),
        ("LIMIT 2 OFFSET 1", ["Mid", "Orphan"]),
        ("OFFSET 3", ["Small"]),
        ("LIMIT 0", []),
        ("OFFSET 10", []),
    ],
)
def test_limit_and_offset(
    source: CountingSource, schema: OrgSchema, window: str, expected: list[str]
) -> None:
    result = run(source, schema, f"SELECT Name FROM Opportunity ORDER BY Name {window}")
    assert names(result) == expected
    assert result.total_size == len(expected)


# --- aggregates ---------------------------------------------------------------------------


def test_count_star(source: CountingSource, schema: OrgSchema) -> None:
    result = run(source, schema, "SELECT COUNT() FROM Opportunity WHERE Amount > 20")
    assert (result.total_size, result.records) == (2, [])
    assert run(source, schema, "SELECT COUNT() FROM Opportunity LIMIT 3").total_size == 3


def test_group_by_with_aggregates(source: CountingSource, schema: OrgSchema) -> None:
    result = run(
        source,
        schema,
        "SELECT StageName, COUNT(Id), SUM(Amount) total, MIN(CloseDate), MAX(Amount), "
        "AVG(Amount), COUNT(AccountId) FROM Opportunity GROUP BY StageName ORDER BY StageName",
    )
    assert result.total_size == 3
    prospecting, negotiation, won = result.records
    assert prospecting == {
        "attributes": {"type": "AggregateResult"},
        "StageName": "Prospecting",
        "expr0": 2,
        "total": Decimal("10"),
        "expr1": "2023-12-31",
        "expr2": Decimal("10"),
        "expr3": Decimal("10"),
        "expr4": 1,
    }
    assert negotiation["StageName"] == "Negotiation/Review"
    assert won["total"] == Decimal("100.50")
    assert isinstance(won["expr3"], Decimal)


def test_aggregate_without_group_by_returns_one_row(
    source: CountingSource, schema: OrgSchema
) -> None:
    result = run(source, schema, "SELECT SUM(Amount), COUNT(Id) n FROM Opportunity")
    assert result.records == [
        {"attributes": {"type": "AggregateResult"}, "expr0": Decimal("160.50"), "n": 4}
    ]
    empty = run(source, schema, "SELECT SUM(Amount), COUNT(Id) FROM Opportunity WHERE Amount > 1e6")
    assert empty.records == [{"attributes": {"type": "AggregateResult"}, "expr0": None, "expr1": 0}]


def test_order_and_limit_groups_by_aggregate(source: CountingSource, schema: OrgSchema) -> None:
    result = run(
        source,
        schema,
        "SELECT Account.Name, SUM(Amount) FROM Opportunity GROUP BY Account.Name "
        "ORDER BY SUM(Amount) DESC NULLS LAST LIMIT 2",
    )
    assert [(r["Name"], r["expr0"]) for r in result.records] == [
        ("Acme", Decimal("110.50")),
        ("Globex", Decimal("50.00")),
    ]


def test_count_distinct_and_avg(source: CountingSource, schema: OrgSchema) -> None:
    result = run(source, schema, "SELECT COUNT_DISTINCT(StageName), AVG(Amount) FROM Opportunity")
    row = result.records[0]
    assert row["expr0"] == 3
    assert row["expr1"] == Decimal("160.50") / 3


# --- deleted records ----------------------------------------------------------------------


def test_deleted_records_only_with_query_all(source: CountingSource, schema: OrgSchema) -> None:
    source.delete("Account", A2)
    assert names(run(source, schema, "SELECT Name FROM Account ORDER BY Name")) == [
        "Acme",
        "initech",
    ]
    assert run(source, schema, f"SELECT Id FROM Account WHERE Id = '{A2}'").total_size == 0
    assert (
        run(source, schema, "SELECT Id FROM Account WHERE External_Id__c = 'EXT-2'").records == []
    )
    every = run(
        source, schema, "SELECT Name, IsDeleted FROM Account ORDER BY Name", include_deleted=True
    )
    assert [(r["Name"], r["IsDeleted"]) for r in every.records] == [
        ("Acme", False),
        ("Globex", True),
        ("initech", False),
    ]


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "reason"),
    [
        (
            "SELECT Foo FROM Account",
            INVALID_FIELD,
            "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom "
            "field, be sure to append the '__c' after the custom field name.",
        ),
        (
            "SELECT Account.Foo FROM Opportunity",
            INVALID_FIELD,
            "No such column 'Foo' on entity 'Account'",
        ),
        (
            "SELECT Acount.Name FROM Opportunity",
            INVALID_FIELD,
            "Didn't understand relationship 'Acount' in field path.",
        ),
        ("SELECT Id FROM Account WHERE Nope = 1", INVALID_FIELD, "No such column 'Nope'"),
        ("SELECT Id FROM Account ORDER BY Nope", INVALID_FIELD, "No such column 'Nope'"),
        (
            "SELECT Id FROM Invoice",
            INVALID_TYPE,
            "sObject type 'Invoice' is not supported. If you are attempting to use a custom "
            "object, be sure to append the '__c' after the entity name.",
        ),
        (
            "SELECT Id, (SELECT Id FROM Opportunity) FROM Account",
            INVALID_TYPE,
            "Didn't understand relationship 'Opportunity' in FROM part of query call.",
        ),
        (
            "SELECT Name, COUNT(Id) FROM Account",
            MALFORMED_QUERY,
            "Field must be grouped or aggregated: Name",
        ),
        (
            "SELECT Industry, Name FROM Account GROUP BY Industry",
            MALFORMED_QUERY,
            "Field must be grouped or aggregated: Name",
        ),
        ("SELECT Id, COUNT() FROM Account", MALFORMED_QUERY, "COUNT()"),
        ("SELECT SUM(Name) FROM Account", INVALID_FIELD, "does not support aggregate operator SUM"),
        (
            "SELECT Id FROM Account WHERE Name = 5",
            INVALID_FIELD,
            "value of filter criterion for field 'Name' must be of type string and should be "
            "enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = '2024-01-01'",
            INVALID_FIELD,
            "must be of type date and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CreatedDate = 2024-01-01",
            INVALID_FIELD,
            "must be of type dateTime",
        ),
        ("SELECT Id FROM Opportunity WHERE Amount = 'x'", INVALID_FIELD, "must be of type double"),
        ("SELECT Id FROM Opportunity WHERE IsWon = 'true'", INVALID_FIELD, "of type boolean"),
        ("SELECT Id FROM Opportunity WHERE Name = TODAY", INVALID_FIELD, "of type string"),
        ("SELECT Id FROM Account LIMIT 1 OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE", "2000"),
    ],
)
def test_semantic_errors(
    source: CountingSource, schema: OrgSchema, text: str, code: str, reason: str
) -> None:
    with pytest.raises(SoqlError) as caught:
        run(source, schema, text)
    assert caught.value.error_code == code
    assert reason in caught.value.message


def test_semantic_errors_point_into_the_query(source: CountingSource, schema: OrgSchema) -> None:
    with pytest.raises(SoqlError) as caught:
        run(source, schema, "SELECT Id, Nope FROM Account")
    assert caught.value.message.startswith(
        "\nSELECT Id, Nope FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column"
    )


def test_names_are_case_insensitive_and_output_is_canonical(
    source: CountingSource, schema: OrgSchema
) -> None:
    result = run(source, schema, "select NAME, account.NAME from OPPORTUNITY where name = 'mid'")
    assert result.records[0]["attributes"]["type"] == "Opportunity"
    assert result.records[0]["Name"] == "Mid"
    assert result.records[0]["Account"]["Name"] == "Globex"


def test_custom_fields_are_queryable(schema: OrgSchema) -> None:
    from simulators.crm.schema import FieldType

    schema.add_custom_field("Account", "Tier__c", FieldType.STRING, length=10)
    source = InMemorySource(schema)
    source.put("Account", {"Id": A1, "Name": "Acme", "Tier__c": "Gold"})
    assert (
        run(source, schema, "SELECT Tier__c FROM Account WHERE tier__c = 'GOLD'").records[0][
            "Tier__c"
        ]
        == "Gold"
    )


# --- index use ----------------------------------------------------------------------------


def test_id_lookup_does_not_scan(indexed: CountingSource, schema: OrgSchema) -> None:
    result = run(indexed, schema, f"SELECT Name FROM Account WHERE Id = '{A2}' AND Name != null")
    assert names(result) == ["Globex"]
    assert indexed.scans == 0
    assert indexed.calls["get:Account"] == 1


def test_id_in_list_does_not_scan(indexed: CountingSource, schema: OrgSchema) -> None:
    result = run(
        indexed, schema, f"SELECT Name FROM Account WHERE Id IN ('{A1[:15]}', '{A3}', '{A1}')"
    )
    assert sorted(names(result)) == ["Acme", "initech"]
    assert indexed.scans == 0


def test_external_id_lookup_does_not_scan(indexed: CountingSource, schema: OrgSchema) -> None:
    result = run(indexed, schema, "SELECT Id FROM Account WHERE External_Id__c = 'EXT-1'")
    assert ids(result) == [A1]
    assert indexed.scans == 0
    assert indexed.calls["find_equal:Account.External_Id__c"] == 1


def test_lookup_field_filter_uses_its_index(indexed: CountingSource, schema: OrgSchema) -> None:
    result = run(
        indexed, schema, f"SELECT Name FROM Opportunity WHERE AccountId = '{A1}' ORDER BY Name"
    )
    assert names(result) == ["Big deal", "Small"]
    assert indexed.scans == 0


def test_id_beats_other_probes(indexed: CountingSource, schema: OrgSchema) -> None:
    run(indexed, schema, f"SELECT Id FROM Account WHERE External_Id__c = 'EXT-1' AND Id = '{A1}'")
    assert indexed.calls["get:Account"] == 1
    assert indexed.calls["find_equal:Account.External_Id__c"] == 0


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("SystemModstamp > 2024-01-10T10:00:00Z", [A2, A3]),
        ("SystemModstamp >= 2024-01-10T10:00:00Z", [A1, A2, A3]),
        ("SystemModstamp < 2024-01-12T10:00:00Z", [A1]),
        ("SystemModstamp <= 2024-01-12T10:00:00Z", [A1, A2]),
        (
            "SystemModstamp > 2024-01-10T10:00:00Z AND SystemModstamp < 2024-01-14T10:00:00.500Z",
            [A2],
        ),
        ("SystemModstamp >= 2024-01-14T10:00:00.500Z", [A3]),
        ("SystemModstamp > 2024-01-14T10:00:00.4995Z", [A3]),
        ("SystemModstamp = 2024-01-12T12:00:00+02:00", [A2]),
        ("SystemModstamp = LAST_N_DAYS:3", [A2, A3]),
        ("SystemModstamp > 2024-01-10T10:00:00Z AND Name LIKE 'i%'", [A3]),
    ],
)
def test_datetime_range_uses_the_sorted_index(
    indexed: CountingSource, schema: OrgSchema, condition: str, expected: list[str]
) -> None:
    result = run(indexed, schema, f"SELECT Id FROM Account WHERE {condition} ORDER BY Id")
    assert ids(result) == expected
    assert indexed.scans == 0
    assert indexed.calls["find_range:Account.SystemModstamp"] == 1


def test_or_conditions_cannot_use_an_index(indexed: CountingSource, schema: OrgSchema) -> None:
    result = run(
        indexed, schema, f"SELECT Id FROM Account WHERE Id = '{A1}' OR Name = 'globex' ORDER BY Id"
    )
    assert ids(result) == [A1, A2]
    assert indexed.scans == 1


def test_unindexed_source_falls_back_to_a_scan(schema: OrgSchema) -> None:
    source = UnindexedSource(schema)
    load(source)
    result = run(source, schema, "SELECT Id FROM Account WHERE External_Id__c = 'EXT-2'")
    assert ids(result) == [A2]
    assert source.scans == 1


def test_in_memory_indexes_follow_updates(indexed: CountingSource, schema: OrgSchema) -> None:
    run(indexed, schema, "SELECT Id FROM Account WHERE External_Id__c = 'EXT-1'")  # builds index
    run(indexed, schema, "SELECT Id FROM Account WHERE SystemModstamp > 2024-01-01T00:00:00Z")
    record = dict(indexed.get("Account", A1) or {})
    indexed.put("Account", {**record, "External_Id__c": "EXT-9", "SystemModstamp": stamp(20)})
    assert (
        run(indexed, schema, "SELECT Id FROM Account WHERE External_Id__c = 'EXT-1'").records == []
    )
    assert ids(run(indexed, schema, "SELECT Id FROM Account WHERE External_Id__c = 'ext-9'")) == [
        A1
    ]
    later = run(
        indexed, schema, "SELECT Id FROM Account WHERE SystemModstamp > 2024-01-15T00:00:00Z"
    )
    assert ids(later) == [A1]
    assert indexed.scans == 0
