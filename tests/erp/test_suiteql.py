"""Tests of the SuiteQL engine: translation, rejections, paging, exactness."""

from __future__ import annotations

from decimal import Decimal

import pytest

from simulators.erp.suiteql import SuiteQLEngine, SuiteQLError, SuiteQLPage, paging_envelope

PREFIX = "Invalid search query. Detailed unprocessed description follows. "


@pytest.fixture
def engine() -> SuiteQLEngine:
    e = SuiteQLEngine()
    e.upsert_many(
        "account",
        [
            {"id": 1, "acctnumber": "1000", "accttype": "Bank", "fullname": "Bank"},
            {"id": 2, "acctnumber": "1200", "accttype": "AcctRec", "fullname": "A/R"},
            {"id": 3, "acctnumber": "4000", "accttype": "Income", "fullname": "Sales"},
        ],
    )
    e.upsert_many(
        "customer",
        [
            {"id": 7, "entityid": "ACME", "companyname": "Acme", "isinactive": False},
            {"id": 8, "entityid": "GLOBEX", "companyname": "Globex", "isinactive": True},
        ],
    )
    e.upsert(
        "transaction",
        {
            "id": 100,
            "tranid": "INV-1",
            "type": "CustInvc",
            "trandate": "2024-01-15",
            "entity": 7,
            "foreigntotal": Decimal("100.10"),
            "subsidiary": 1,
        },
    )
    e.upsert_many(
        "transactionLine",
        [
            {"transaction": 100, "id": 0, "mainline": True, "subsidiary": 1},
            {"transaction": 100, "id": 1, "mainline": False, "subsidiary": 1},
        ],
    )
    e.upsert_many(
        "transactionAccountingLine",
        [
            {
                "transaction": 100,
                "transactionline": 0,
                "accountingbook": 1,
                "account": 2,
                "debit": Decimal("100.10"),
                "amount": Decimal("100.10"),
                "posting": True,
            },
            {
                "transaction": 100,
                "transactionline": 1,
                "accountingbook": 1,
                "account": 3,
                "credit": Decimal("100.10"),
                "amount": Decimal("-100.10"),
                "posting": True,
            },
        ],
    )
    return e


def test_values_are_strings_with_empty_links_and_nulls_left_out(engine: SuiteQLEngine) -> None:
    page = engine.query(
        "SELECT id, entityid, isinactive, email FROM customer ORDER BY id", limit=10
    )
    assert page.items == [
        {"links": [], "id": "7", "entityid": "ACME", "isinactive": "F"},
        {"links": [], "id": "8", "entityid": "GLOBEX", "isinactive": "T"},
    ]


def test_names_are_case_insensitive_and_keys_lower_case(engine: SuiteQLEngine) -> None:
    page = engine.query("SELECT C.EntityId AS Name FROM Customer c WHERE c.ID = 7", limit=10)
    assert page.items == [{"links": [], "name": "ACME"}]


def test_join_group_by_aggregates_order_by(engine: SuiteQLEngine) -> None:
    page = engine.query(
        "SELECT a.accttype, SUM(tal.debit) AS dr, SUM(tal.credit) AS cr, COUNT(*) AS n "
        "FROM transactionAccountingLine tal JOIN account a ON a.id = tal.account "
        "GROUP BY a.accttype ORDER BY a.accttype",
        limit=10,
    )
    assert page.items == [
        {"links": [], "accttype": "AcctRec", "dr": "100.1", "n": "1"},
        {"links": [], "accttype": "Income", "cr": "100.1", "n": "1"},
    ]


def test_unaliased_expressions_are_named_expr_n(engine: SuiteQLEngine) -> None:
    page = engine.query("SELECT SUM(amount), COUNT(*) FROM transactionAccountingLine", limit=10)
    assert page.items == [{"links": [], "expr1": "0", "expr2": "2"}]


def test_nvl_arithmetic_and_comparison_on_money_stay_exact(engine: SuiteQLEngine) -> None:
    page = engine.query(
        "SELECT tal.account, NVL(tal.debit, 0) - NVL(tal.credit, 0) AS net "
        "FROM transactionAccountingLine tal WHERE tal.amount > -100.11 ORDER BY net",
        limit=10,
    )
    assert [i["net"] for i in page.items] == ["-100.1", "100.1"]


def test_order_by_money_alias_sorts_numerically(engine: SuiteQLEngine) -> None:
    engine.upsert("transaction", {"id": 101, "type": "CustInvc", "foreigntotal": Decimal("9.99")})
    page = engine.query(
        "SELECT id, foreigntotal AS total FROM transaction ORDER BY total DESC", limit=10
    )
    assert [i["id"] for i in page.items] == ["100", "101"]


def test_dates_render_in_account_format_and_to_date_filters(engine: SuiteQLEngine) -> None:
    page = engine.query(
        "SELECT trandate, TO_CHAR(trandate, 'YYYY-MM') AS ym FROM transaction "
        "WHERE trandate >= TO_DATE('01/01/2024', 'MM/DD/YYYY')",
        limit=10,
    )
    assert page.items == [{"links": [], "trandate": "1/15/2024", "ym": "2024-01"}]


def test_star_expands_to_exposed_columns_only(engine: SuiteQLEngine) -> None:
    (item,) = engine.query("SELECT * FROM transaction", limit=10).items
    assert item["tranid"] == "INV-1"
    assert "subsidiary" not in item


def test_rownum_top_and_fetch_first_limit_rows(engine: SuiteQLEngine) -> None:
    for q in (
        "SELECT id FROM customer WHERE ROWNUM <= 1",
        "SELECT TOP 1 id FROM customer ORDER BY id",
        "SELECT id FROM customer ORDER BY id FETCH FIRST 1 ROWS ONLY",
    ):
        assert engine.query(q, limit=10).total_results == 1, q


def test_subquery_and_correlated_subquery(engine: SuiteQLEngine) -> None:
    page = engine.query(
        "SELECT c.id FROM customer c WHERE EXISTS "
        "(SELECT 1 FROM transaction t WHERE t.entity = c.id)",
        limit=10,
    )
    assert page.items == [{"links": [], "id": "7"}]


def _error(engine: SuiteQLEngine, q: str) -> str:
    with pytest.raises(SuiteQLError) as caught:
        engine.query(q, limit=10)
    return caught.value.message


@pytest.mark.parametrize(
    "q",
    [
        "DELETE FROM customer",
        "UPDATE customer SET entityid = 'x'",
        "INSERT INTO customer (id) VALUES (1)",
        "DROP TABLE customer",
        "PRAGMA table_info(customer)",
        "ATTACH DATABASE 'x.db' AS x",
        "SELECT id FROM customer; SELECT id FROM account",
        "SELECT id FROM customer; DELETE FROM customer",
        "WITH c AS (SELECT id FROM customer) SELECT id FROM c",
        "SELECT FROM customer",
        "SELEC id FROM customer",
        "",
    ],
)
def test_rejects_everything_but_one_select(engine: SuiteQLEngine, q: str) -> None:
    assert _error(engine, q) == PREFIX + "Search error occurred: Invalid or unsupported search."
    assert engine.query("SELECT COUNT(*) AS n FROM customer", limit=1).items[0]["n"] == "2"


def test_with_is_accepted_when_allowed() -> None:
    e = SuiteQLEngine(allow_with=True)
    e.upsert("customer", {"id": 1})
    page = e.query("WITH c AS (SELECT id FROM customer) SELECT id FROM c", limit=10)
    assert page.items == [{"links": [], "id": "1"}]


def test_unknown_table(engine: SuiteQLEngine) -> None:
    assert _error(engine, "SELECT id FROM invoices") == PREFIX + "Invalid search type: invoices."


def test_unknown_unqualified_column_lists_identifiers(engine: SuiteQLEngine) -> None:
    assert _error(engine, "SELECT foo FROM customer") == (
        PREFIX + "Search error occurred: Unknown identifier 'foo'. "
        "Available identifiers are: {customer=customer}."
    )


def test_unknown_qualified_column_names_the_record(engine: SuiteQLEngine) -> None:
    assert _error(engine, "SELECT c.foo FROM customer c") == (
        PREFIX + "Search error occurred: Field 'foo' for record 'customer' was not found."
    )


def test_transaction_subsidiary_is_not_exposed(engine: SuiteQLEngine) -> None:
    assert _error(engine, "SELECT t.subsidiary FROM transaction t") == (
        PREFIX + "Search error occurred: Field 'subsidiary' for record 'transaction' "
        "was not found. Reason: NOT_EXPOSED"
    )


def test_unknown_column_in_where_and_join(engine: SuiteQLEngine) -> None:
    assert "Unknown identifier 'nope'" in _error(engine, "SELECT id FROM customer WHERE nope = 1")
    assert "Field 'x' for record 'account'" in _error(
        engine, "SELECT t.id FROM transaction t JOIN account a ON a.x = t.id"
    )


def test_rownum_with_group_by_is_refused(engine: SuiteQLEngine) -> None:
    assert "Invalid or unsupported search" in _error(
        engine, "SELECT entity, COUNT(*) FROM transaction WHERE ROWNUM <= 5 GROUP BY entity"
    )


def test_error_body_has_netsuite_shape() -> None:
    error = SuiteQLError(PREFIX + "Invalid search type: x.")
    assert error.to_body() == {
        "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
        "title": "Bad Request",
        "status": 400,
        "o:errorDetails": [
            {
                "detail": PREFIX + "Invalid search type: x.",
                "o:errorQueryParam": "q",
                "o:errorCode": "INVALID_PARAMETER",
            }
        ],
    }


@pytest.mark.parametrize("limit", [0, 1001])
def test_limit_out_of_range_is_refused(engine: SuiteQLEngine, limit: int) -> None:
    with pytest.raises(SuiteQLError) as caught:
        engine.query("SELECT id FROM customer", limit=limit)
    assert caught.value.query_param == "limit"


def test_paging_and_envelope() -> None:
    e = SuiteQLEngine()
    e.upsert_many("customer", [{"id": i} for i in range(1, 6)])
    q = "SELECT id FROM customer ORDER BY id"
    first = e.query(q, limit=2, offset=0)
    second = e.query(q, limit=2, offset=2)
    last = e.query(q, limit=2, offset=4)
    assert [i["id"] for i in first.items + second.items + last.items] == list("12345")
    assert (first.has_more, last.has_more, first.total_results) == (True, False, 5)

    url = "https://1234.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql"
    body = paging_envelope(url, second, limit=2, offset=2)
    assert body["count"] == 2 and body["offset"] == 2 and body["totalResults"] == 5
    assert body["hasMore"] is True and body["items"] == second.items
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["next"] == f"{url}?limit=2&offset=4"
    assert rels["self"] == f"{url}?limit=2&offset=2"
    assert rels["last"] == f"{url}?limit=2&offset=4"
    assert "next" not in {link["rel"] for link in paging_envelope(url, last, 2, 4)["links"]}


def test_empty_page_envelope() -> None:
    body = paging_envelope("u", SuiteQLPage(items=[], total_results=0, has_more=False), 1000, 0)
    assert body == {
        "links": [{"rel": "self", "href": "u?limit=1000&offset=0"}],
        "count": 0,
        "hasMore": False,
        "items": [],
        "offset": 0,
        "totalResults": 0,
    }


def test_transaction_rolls_back_every_write(engine: SuiteQLEngine) -> None:
    with pytest.raises(RuntimeError), engine.transaction():
        engine.upsert("transaction", {"id": 200, "tranid": "INV-2"})
        engine.upsert("transactionLine", {"transaction": 200, "id": 0, "mainline": True})
        engine.delete("customer", {"id": 7})
        raise RuntimeError("record layer failed half way")
    assert engine.query("SELECT id FROM transaction WHERE id = 200", limit=1).items == []
    assert (
        engine.query("SELECT id FROM transactionLine WHERE transaction = 200", limit=1).items == []
    )
    assert engine.query("SELECT id FROM customer WHERE id = 7", limit=1).total_results == 1


def test_upsert_many_is_all_or_nothing() -> None:
    e = SuiteQLEngine()
    with pytest.raises(ValueError):
        e.upsert_many("customer", [{"id": 1}, {"id": 2, "nosuchcolumn": 1}])
    assert e.query("SELECT COUNT(*) AS n FROM customer", limit=1).items[0]["n"] == "0"


def test_upsert_updates_only_given_columns(engine: SuiteQLEngine) -> None:
    engine.upsert("customer", {"id": 7, "companyname": "Acme Corp"})
    (item,) = engine.query("SELECT entityid, companyname FROM customer WHERE id = 7", limit=1).items
    assert item == {"links": [], "entityid": "ACME", "companyname": "Acme Corp"}


def test_money_refuses_floats_and_extra_decimals() -> None:
    e = SuiteQLEngine()
    with pytest.raises(ValueError):
        e.upsert("transaction", {"id": 1, "foreigntotal": 0.1})
    with pytest.raises(ValueError):
        e.upsert("transaction", {"id": 1, "foreigntotal": Decimal("0.001")})


def _many_lines(engine: SuiteQLEngine, count: int) -> None:
    engine.upsert_many(
        "account",
        [
            {"id": 1, "accttype": "AcctRec"},
            {"id": 2, "accttype": "Income"},
        ],
    )
    rows = []
    for i in range(count // 2):
        amount = Decimal("0.10") + Decimal(i % 7) / 100
        for line, (account, debit, credit) in enumerate(((1, amount, None), (2, None, amount))):
            rows.append(
                {
                    "transaction": i,
                    "transactionline": line,
                    "accountingbook": 1,
                    "account": account,
                    "debit": debit,
                    "credit": credit,
                    "amount": debit if debit is not None else -amount,
                    "posting": True,
                }
            )
    engine.upsert_many("transactionAccountingLine", rows)


def test_sums_over_100k_lines_are_exact() -> None:
    # How fast is benchmarks/erp_bench.py's to say (a SuiteQL trial balance over ledger
    # lines), not a timed assertion: this failed on a busy host at 1.03 s against 1.0 s.
    engine = SuiteQLEngine()
    _many_lines(engine, 100_000)
    page = engine.query(
        "SELECT a.accttype, SUM(tal.debit) AS dr, SUM(tal.credit) AS cr, SUM(tal.amount) AS net "
        "FROM transactionAccountingLine tal JOIN account a ON a.id = tal.account "
        "GROUP BY a.accttype ORDER BY a.accttype",
        limit=1000,
    )
    # 50,000 amounts cycling 0.10 .. 0.16; a float sum would drift off the cent.
    expected = sum(Decimal("0.10") + Decimal(i % 7) / 100 for i in range(50_000))
    assert page.items[0]["dr"] == str(expected)
    assert page.items[1]["cr"] == str(expected)
    assert page.items[0]["net"] == str(expected)
    assert page.items[1]["net"] == str(-expected)
