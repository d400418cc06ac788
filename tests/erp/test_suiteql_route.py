"""SuiteQL through POST /services/rest/query/v1/suiteql: joins, aggregates, paging, errors."""

from __future__ import annotations

import pytest

from tests.erp.support import (
    AR,
    BASE,
    SUITEQL,
    SUITEQL_TABLES,
    UK_SUB,
    US_SUB,
    Erp,
    assert_error,
)


def test_join_and_aggregate_over_the_ledger(erp: Erp) -> None:
    us = erp.customer(companyName="Acme")
    uk = erp.customer(companyName="Britco", subsidiary=UK_SUB)
    erp.invoice(us)
    erp.invoice(us)
    erp.invoice(uk)
    rows = erp.rows(
        "SELECT c.companyname AS name, COUNT(DISTINCT t.id) AS invoices, "
        "SUM(tal.debit) AS ar FROM transaction t "
        "JOIN customer c ON c.id = t.entity "
        "JOIN transactionAccountingLine tal ON tal.transaction = t.id "
        f"WHERE t.type = 'CustInvc' AND tal.account = {AR} "
        "GROUP BY c.companyname ORDER BY c.companyname"
    )
    assert rows == [
        {"name": "Acme", "invoices": "2", "ar": "400"},
        {"name": "Britco", "invoices": "1", "ar": "200"},
    ]


def test_trial_balance_by_subsidiary_is_zero(erp: Erp) -> None:
    erp.invoice(erp.customer())
    erp.invoice(erp.customer(subsidiary=UK_SUB))
    rows = erp.rows(
        "SELECT tl.subsidiary AS sub, SUM(NVL(tal.debit, 0) - NVL(tal.credit, 0)) AS net "
        "FROM transactionAccountingLine tal JOIN transactionLine tl "
        "ON tl.transaction = tal.transaction AND tl.id = tal.transactionline "
        "GROUP BY tl.subsidiary ORDER BY tl.subsidiary"
    )
    assert rows == [{"sub": US_SUB, "net": "0"}, {"sub": UK_SUB, "net": "0"}]


def test_paging_envelope_and_links(erp: Erp) -> None:
    page = erp.suiteql("SELECT id FROM accountingPeriod ORDER BY id", limit=5, offset=5)
    assert page["count"] == 5 and page["totalResults"] == 34 and page["hasMore"] is True
    rels = {link["rel"]: link["href"] for link in page["links"]}
    assert rels["next"] == f"{BASE}{SUITEQL}?limit=5&offset=10"
    assert [item["id"] for item in page["items"]] == ["6", "7", "8", "9", "10"]


def test_bad_sql_is_400_invalid_parameter(erp: Erp) -> None:
    response = erp.post(SUITEQL, json={"q": "SELEC nonsense"}, headers={"Prefer": "transient"})
    body = assert_error(response, 400, "INVALID_PARAMETER")
    assert body["o:errorDetails"][0]["o:errorQueryParam"] == "q"


def test_transaction_subsidiary_is_not_exposed(erp: Erp) -> None:
    response = erp.post(
        SUITEQL,
        json={"q": "SELECT t.subsidiary FROM transaction t"},
        headers={"Prefer": "transient"},
    )
    body = assert_error(response, 400, "INVALID_PARAMETER")
    assert "NOT_EXPOSED" in body["o:errorDetails"][0]["detail"]


def test_writes_and_with_are_refused(erp: Erp) -> None:
    for q in ("DELETE FROM customer", "WITH x AS (SELECT 1 AS a FROM customer) SELECT * FROM x"):
        response = erp.post(SUITEQL, json={"q": q}, headers={"Prefer": "transient"})
        assert_error(response, 400, "INVALID_PARAMETER")


def test_missing_q_is_invalid_content(erp: Erp) -> None:
    assert_error(erp.post(SUITEQL, json={"query": "x"}), 400, "INVALID_CONTENT", "q")


@pytest.mark.parametrize("table", SUITEQL_TABLES)
def test_every_table_the_issue_names_is_queryable_and_paged(erp: Erp, table: str) -> None:
    for name in ("Acme", "Britco"):  # so that every table has at least two rows
        erp.invoice(erp.customer(companyName=name))
    total = int(erp.rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])
    assert total >= 2
    page = erp.suiteql(f"SELECT * FROM {table}", limit=1, offset=1)
    assert page["count"] == 1 and page["offset"] == 1
    assert page["totalResults"] == total and page["hasMore"] is (total > 2)
    assert {link["rel"] for link in page["links"]} >= {"self", "first", "previous", "last"}
