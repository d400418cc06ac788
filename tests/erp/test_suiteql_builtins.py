"""SuiteQL's built-in functions over REST (Oracle, "SuiteQL Supported Built-in Functions",
article_161950565221; "BUILTIN.CONSOLIDATE", article_1029114527): BUILTIN.DF gives a
field's display value, BUILTIN.CONSOLIDATE and BUILTIN.CURRENCY_CONVERT convert amounts
between the subsidiaries' currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.erp.support import (
    CONSULTING,
    SUITEQL,
    UK_SUB,
    US_SUB,
    Erp,
    assert_error,
)


def test_df_shows_the_referenced_records_names(erp: Erp) -> None:
    customer = erp.customer(companyName="Acme Corp")
    invoice = erp.invoice(customer)
    row = erp.rows(
        "SELECT BUILTIN.DF(t.entity) AS customer, BUILTIN.DF(t.currency) AS currency, "
        "BUILTIN.DF(t.status) AS status, BUILTIN.DF(t.postingperiod) AS period, "
        "BUILTIN.DF(t.tranid) AS number, t.tranid "
        f"FROM transaction t WHERE t.id = {invoice}")[0]
    record = erp.record("customer", customer)
    assert row["customer"] == record["entityId"]
    assert row["currency"] == "US Dollar"
    assert row["status"] == "Invoice : Open"
    assert row["period"] == erp.record("invoice", invoice)["postingPeriod"]["refName"]
    assert row["number"] == row["tranid"]  # not a reference: the value itself


def test_df_on_lines_names_accounts_items_subsidiaries_and_the_transaction(erp: Erp) -> None:
    invoice = erp.invoice(erp.customer())
    rows = erp.rows(
        "SELECT BUILTIN.DF(tal.account) AS account, BUILTIN.DF(tl.subsidiary) AS subsidiary, "
        "BUILTIN.DF(tl.item) AS item, BUILTIN.DF(tal.transaction) AS tran, t.tranid "
        "FROM transactionAccountingLine tal "
        "JOIN transactionLine tl ON tl.transaction = tal.transaction "
        "AND tl.id = tal.transactionline "
        f"JOIN transaction t ON t.id = tal.transaction WHERE tal.transaction = {invoice} "
        "ORDER BY tl.id")
    accounts = {r["account"] for r in rows}
    assert "1100 Accounts Receivable" in accounts
    assert {r["subsidiary"] for r in rows} == {"Fintwin Inc."}
    item = erp.record("item", CONSULTING)["itemId"]
    assert item in {r.get("item") for r in rows}
    assert {r["tran"] for r in rows} == {f"Invoice #{rows[0]['tranid']}"}


def test_consolidate_converts_a_uk_invoice_into_the_parents_dollars(erp: Erp) -> None:
    uk = erp.customer(subsidiary=UK_SUB, companyName="Brit Ltd",
                      currency={"id": "2"})
    invoice = erp.invoice(uk, [{"item": {"id": CONSULTING}, "quantity": 1, "rate": "100"}],
                          currency={"id": "2"})
    sums = erp.rows(
        "SELECT SUM(tal.debit) AS local, "
        "SUM(BUILTIN.CONSOLIDATE(tal.debit, 'LEDGER', 'DEFAULT', 'DEFAULT', "
        f"{US_SUB}, t.postingperiod, 'DEFAULT')) AS usd "
        "FROM transactionAccountingLine tal JOIN transaction t ON t.id = tal.transaction "
        f"WHERE tal.transaction = {invoice}")[0]
    local = Decimal(str(sums["local"]))
    assert local == Decimal("100")
    # GBP 1.25 to the dollar in the default setup (simulators/erp/setup.py).
    assert Decimal(str(sums["usd"])) == Decimal("125")
    converted = erp.rows(
        "SELECT BUILTIN.CURRENCY_CONVERT(t.foreigntotal) AS usd, t.foreigntotal "
        f"FROM transaction t WHERE t.id = {invoice}")[0]
    assert Decimal(str(converted["usd"])) == Decimal(str(converted["foreigntotal"])) * Decimal(
        "1.25")


@pytest.mark.parametrize(
    ("q", "says"),
    [
        ("SELECT BUILTIN.CONSOLIDATE(t.foreigntotal, 'WRONG', 'DEFAULT', 'DEFAULT', 1, 1, "
         "'DEFAULT') FROM transaction t", "view type"),
        ("SELECT BUILTIN.CONSOLIDATE(t.foreigntotal) FROM transaction t", "7 parameters"),
        ("SELECT BUILTIN.HIERARCHY(t.entity, 'DISPLAY_JOINED') FROM transaction t",
         "not supported"),
        ("SELECT BUILTIN.NOPE(t.id) FROM transaction t", "Unknown built-in"),
        ("SELECT BUILTIN.CURRENCY_CONVERT(t.tranid) FROM transaction t", "amount field"),
    ],
)
def test_bad_built_in_calls_get_netsuites_search_error(erp: Erp, q: str, says: str) -> None:
    response = erp.post(SUITEQL, json={"q": q}, headers={"Prefer": "transient"})
    body = assert_error(response, 400, "INVALID_PARAMETER")
    assert says in body["o:errorDetails"][0]["detail"]
