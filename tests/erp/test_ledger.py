"""Tests of the double-entry posting model and its rows in the SuiteQL engine."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators.erp.ledger import (
    LedgerError,
    Money,
    Posting,
    credit_memo,
    customer_payment,
    invoice,
    journal_entry,
    write_posting,
)
from simulators.erp.suiteql import SuiteQLEngine

BANK, AR, INCOME, TAX, EQUITY = 1, 2, 3, 4, 5


def test_money_precision_and_half_up_rounding() -> None:
    assert Money.of("1.005", "USD").amount == Decimal("1.01")
    assert Money.of("2.5", "JPY").amount == Decimal("3")
    assert Money.of("-2.5", "JPY").amount == Decimal("-3")
    assert Money.of("10", "usd") + Money.of("0.10", "USD") == Money.of("10.1", "USD")
    assert Money.of("1.23", "EUR").minor_units == 123
    with pytest.raises(ValueError):
        Money.of(1, "USD") + Money.of(1, "JPY")


def _lines(posting: Posting) -> list[tuple[int, Decimal, Decimal]]:
    return [(g.account_id, g.debit, g.credit) for g in posting.lines]


def test_invoice_debits_ar_credits_income_and_tax() -> None:
    posting = invoice(
        subsidiary_id=1,
        base_currency="USD",
        customer_id=7,
        ar_account_id=AR,
        lines=[
            {"account": {"id": "3"}, "quantity": 3, "rate": "33.335"},
            {"account": 3, "amount": 10},
        ],
        tax_account_id=TAX,
        tax_total="8.25",
    )
    assert _lines(posting) == [
        (AR, Decimal("118.26"), 0),
        (INCOME, 0, Decimal("100.01")),
        (INCOME, 0, Decimal("10.00")),
        (TAX, 0, Decimal("8.25")),
    ]
    assert posting.is_balanced() and posting.foreign_total == Decimal("118.26")


def test_foreign_currency_invoice_balances_in_base_currency() -> None:
    posting = invoice(
        subsidiary_id=1,
        base_currency="JPY",
        currency="USD",
        exchange_rate="151.237",
        customer_id=7,
        ar_account_id=AR,
        lines=[{"account": INCOME, "amount": "10.01"}, {"account": INCOME, "amount": "0.33"}],
    )
    assert _lines(posting)[1:] == [(INCOME, 0, Decimal("1514")), (INCOME, 0, Decimal("50"))]
    assert posting.is_balanced() and posting.lines[0].debit == Decimal("1564")


def test_credit_memo_reverses_invoice() -> None:
    args: dict[str, Any] = {
        "subsidiary_id": 1,
        "base_currency": "USD",
        "customer_id": 7,
        "ar_account_id": AR,
        "lines": [{"account": INCOME, "amount": "40"}],
        "tax_account_id": TAX,
        "tax_total": "4",
    }
    inv, cm = invoice(**args), credit_memo(**args)
    assert [(a, c, d) for a, d, c in _lines(inv)] == _lines(cm)
    assert cm.is_balanced()


def test_payment_debits_deposit_credits_ar() -> None:
    posting = customer_payment(
        subsidiary_id=1,
        base_currency="USD",
        customer_id=7,
        ar_account_id=AR,
        deposit_account_id=BANK,
        payment="50",
        applied=[{"doc": {"id": "100"}, "amount": "30"}],
    )
    assert _lines(posting) == [(BANK, Decimal("50.00"), 0), (AR, 0, Decimal("50.00"))]


def test_payment_applying_more_than_paid_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        customer_payment(
            subsidiary_id=1,
            base_currency="USD",
            customer_id=7,
            ar_account_id=AR,
            deposit_account_id=BANK,
            payment="10",
            applied=[{"doc": 1, "amount": "6"}, {"doc": 2, "amount": "5"}],
        )
    assert caught.value.path == "apply.items"


def test_balanced_journal_is_posted_as_given() -> None:
    posting = journal_entry(
        subsidiary_id=1,
        base_currency="USD",
        lines=[
            {"account": {"id": "1"}, "debit": "100", "memo": "capital"},
            {"account": EQUITY, "credit": "100"},
        ],
    )
    assert _lines(posting) == [(BANK, Decimal("100.00"), 0), (EQUITY, 0, Decimal("100.00"))]
    assert posting.lines[0].memo == "capital"


@pytest.mark.parametrize(
    ("lines", "path"),
    [
        ([{"account": 1, "debit": "100"}, {"account": 5, "credit": "99.99"}], "line.items"),
        ([{"account": 1, "debit": "100"}], "line.items"),
        (
            [{"account": 1, "debit": "1", "credit": "1"}, {"account": 5, "credit": "0"}],
            "line.items[0]",
        ),
        ([{"account": 1, "debit": "-5"}, {"account": 5, "credit": "-5"}], "line.items[0].debit"),
        ([{"account": "x", "debit": "5"}, {"account": 5, "credit": "5"}], "line.items[0].account"),
    ],
)
def test_bad_journals_are_refused(lines: list[dict[str, Any]], path: str) -> None:
    with pytest.raises(LedgerError) as caught:
        journal_entry(subsidiary_id=1, base_currency="USD", lines=lines)
    assert caught.value.path == path
    assert caught.value.to_error_detail()["o:errorPath"] == path


def test_write_posting_lands_atomically() -> None:
    engine = SuiteQLEngine()
    posting = invoice(
        subsidiary_id=1,
        base_currency="USD",
        customer_id=7,
        ar_account_id=AR,
        lines=[{"account": INCOME, "amount": "10"}],
    )
    write_posting(engine, {"id": 1, "type": "CustInvc", "tranid": "INV-1"}, posting)
    (item,) = engine.query(
        "SELECT t.foreigntotal, COUNT(*) AS n, SUM(tal.amount) AS net FROM transaction t "
        "JOIN transactionAccountingLine tal ON tal.transaction = t.id GROUP BY t.foreigntotal",
        limit=10,
    ).items
    assert item == {"links": [], "foreigntotal": "10", "n": "2", "net": "0"}

    class Boom(Exception):
        pass

    broken = Posting(lines=posting.lines, currency="USD", subsidiary_id=1)
    with pytest.raises(Boom), engine.transaction():
        write_posting(engine, {"id": 2, "type": "CustInvc"}, broken)
        raise Boom
    assert engine.query("SELECT id FROM transaction WHERE id = 2", limit=1).items == []
    assert (
        engine.query("SELECT transaction FROM transactionLine WHERE transaction = 2", limit=1).items
        == []
    )


SUBSIDIARIES = {1: "USD", 2: "JPY"}


def amounts(currency: str) -> st.SearchStrategy[Decimal]:
    places = 0 if currency == "JPY" else 2
    return st.decimals(min_value=Decimal(1), max_value=Decimal("99999"), places=places)


rates = st.decimals(min_value=Decimal("0.005"), max_value=Decimal("200"), places=4)


@st.composite
def postings(draw: st.DrawFn) -> Posting:
    subsidiary = draw(st.sampled_from(sorted(SUBSIDIARIES)))
    base = SUBSIDIARIES[subsidiary]
    kind = draw(st.sampled_from(["invoice", "payment", "credit_memo", "journal"]))
    foreign = draw(st.booleans())
    fx: dict[str, Any] = {"currency": "EUR", "exchange_rate": draw(rates)} if foreign else {}
    money = amounts("EUR" if foreign else base)
    common: dict[str, Any] = {"subsidiary_id": subsidiary, "base_currency": base}
    if kind in ("invoice", "credit_memo"):
        builder = invoice if kind == "invoice" else credit_memo
        lines = [
            {"account": INCOME, "amount": a} for a in draw(st.lists(money, min_size=1, max_size=4))
        ]
        return builder(
            **common,
            **fx,
            customer_id=7,
            ar_account_id=AR,
            lines=lines,
            tax_account_id=TAX,
            tax_total=draw(st.sampled_from([0, Decimal("0.07"), Decimal("12.34")])),
        )
    if kind == "payment":
        return customer_payment(
            **common,
            **fx,
            customer_id=7,
            ar_account_id=AR,
            deposit_account_id=BANK,
            payment=draw(money),
        )
    debits = draw(st.lists(amounts(base), min_size=1, max_size=3))
    total = sum(debits, Decimal(0))
    lines = [{"account": BANK, "debit": d} for d in debits] + [{"account": EQUITY, "credit": total}]
    return journal_entry(**common, lines=lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(postings(), min_size=1, max_size=8))
def test_trial_balance_per_subsidiary_stays_zero(sequence: list[Posting]) -> None:
    engine = SuiteQLEngine()
    for transaction_id, posting in enumerate(sequence, start=1):
        assert posting.is_balanced()
        write_posting(engine, {"id": transaction_id}, posting)
    page = engine.query(
        "SELECT tl.subsidiary, SUM(NVL(tal.debit, 0)) AS dr, SUM(NVL(tal.credit, 0)) AS cr, "
        "SUM(tal.amount) AS net FROM transactionAccountingLine tal "
        "JOIN transactionLine tl ON tl.transaction = tal.transaction "
        "AND tl.id = tal.transactionline "
        "WHERE tal.posting = 'T' GROUP BY tl.subsidiary ORDER BY tl.subsidiary",
        limit=1000,
    )
    assert page.items, "every posting writes accounting lines"
    for item in page.items:
        assert item["net"] == "0"
        assert item["dr"] == item["cr"]
    expected = {
        str(s): sum((p.total_debit() for p in sequence if p.subsidiary_id == s), Decimal(0))
        for s in SUBSIDIARIES
    }
    for item in page.items:
        assert Decimal(item["dr"]) == expected[item["subsidiary"]]
