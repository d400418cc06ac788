"""Accounting rules over HTTP: the GL lines each transaction writes, and one test per
rejection, each asserting NetSuite's error body and that nothing was written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.erp.support import (
    AR,
    CONSULTING,
    DEFERRED,
    EUR,
    GBP,
    HARDWARE,
    OPEX,
    PRODUCT,
    RECORDS,
    SERVICES,
    TAX,
    UK_BANK,
    UK_SUB,
    UNDEPOSITED,
    US_BANK,
    US_SUB,
    USD,
    Erp,
    assert_error,
)

LEDGER = (
    "SELECT tal.account AS account, tal.debit AS debit, tal.credit AS credit, "
    "tl.subsidiary AS subsidiary FROM transactionAccountingLine tal "
    "JOIN transactionLine tl ON tl.transaction = tal.transaction "
    "AND tl.id = tal.transactionline WHERE tal.transaction = {id} ORDER BY tl.id"
)


def gl(erp: Erp, txn: str) -> list[tuple[str, str, str, str]]:
    return [
        (r["account"], r.get("debit", ""), r.get("credit", ""), r["subsidiary"])
        for r in erp.rows(LEDGER.format(id=int(txn)))
    ]


def test_invoice_debits_ar_credits_income_and_tax(erp: Erp) -> None:
    invoice = erp.invoice(
        erp.customer(),
        lines=[
            {"item": {"id": CONSULTING}, "quantity": 3, "rate": "100", "taxRate1": "8.25"},
            {"item": {"id": HARDWARE}, "amount": "99.99"},
        ],
    )
    assert gl(erp, invoice) == [
        (AR, "424.74", "", US_SUB),
        (SERVICES, "", "300", US_SUB),
        (PRODUCT, "", "99.99", US_SUB),
        (TAX, "", "24.75", US_SUB),
    ]
    header = erp.rows(f"SELECT type, status, foreigntotal FROM transaction WHERE id = {invoice}")
    assert header == [{"type": "CustInvc", "status": "A", "foreigntotal": "424.74"}]


def test_payment_debits_bank_credits_ar_and_pays_the_invoice(erp: Erp) -> None:
    customer = erp.customer()
    invoice = erp.invoice(customer)  # 200.00
    payment = erp.create(
        "customerPayment",
        {
            "customer": {"id": customer},
            "payment": 200,
            "apply": {"items": [{"doc": {"id": invoice}, "amount": 200}]},
        },
    )
    assert gl(erp, payment) == [(US_BANK, "200", "", US_SUB), (AR, "", "200", US_SUB)]
    rec = erp.record("invoice", invoice)
    assert rec["status"] == {"id": "paidInFull", "refName": "Paid In Full"}
    assert rec["amountRemaining"] == Decimal("0.00") and rec["amountPaid"] == Decimal("200.00")
    assert erp.rows(f"SELECT status FROM transaction WHERE id = {invoice}") == [{"status": "B"}]
    pay = erp.record("customerPayment", payment, expandSubResources="true")
    assert pay["applied"] == Decimal("200.00") and pay["unapplied"] == Decimal("0.00")
    assert pay["apply"]["items"][0]["doc"]["id"] == invoice


def test_partial_payment_to_undeposited_funds_then_delete_reopens(erp: Erp) -> None:
    customer = erp.customer()
    invoice = erp.invoice(customer)
    payment = erp.create(
        "customerPayment",
        {
            "customer": {"id": customer},
            "payment": "150",
            "account": {"id": UNDEPOSITED},
            "apply": {"items": [{"doc": {"id": invoice}, "amount": "120.5"}]},
        },
    )
    assert gl(erp, payment) == [(UNDEPOSITED, "150", "", US_SUB), (AR, "", "150", US_SUB)]
    assert erp.record("invoice", invoice)["amountRemaining"] == Decimal("79.50")
    assert erp.record("customerPayment", payment)["unapplied"] == Decimal("29.50")
    assert erp.request("DELETE", f"{RECORDS}/customerPayment/{payment}").status_code == 204
    assert erp.record("invoice", invoice)["amountRemaining"] == Decimal("200.00")
    assert gl(erp, payment) == []


def test_credit_memo_reverses_and_applies(erp: Erp) -> None:
    customer = erp.customer()
    invoice = erp.invoice(customer)
    memo = erp.create(
        "creditMemo",
        {
            "entity": {"id": customer},
            "createdFrom": {"id": invoice},
            "item": {"items": [{"item": {"id": CONSULTING}, "amount": 200}]},
            "apply": {"items": [{"doc": {"id": invoice}, "amount": 200}]},
        },
    )
    assert gl(erp, memo) == [(AR, "", "200", US_SUB), (SERVICES, "200", "", US_SUB)]
    assert erp.record("invoice", invoice)["status"]["refName"] == "Paid In Full"
    assert erp.record("creditMemo", memo)["status"]["refName"] == "Fully Applied"


def test_journal_lines_as_given(erp: Erp) -> None:
    journal = erp.create(
        "journalEntry",
        {
            "subsidiary": {"id": US_SUB},
            "memo": "accrual",
            "line": {
                "items": [
                    {"account": {"id": OPEX}, "debit": "12.34"},
                    {"account": {"id": DEFERRED}, "debit": "0.66"},
                    {"account": {"id": US_BANK}, "credit": 13},
                ]
            },
        },
    )
    assert gl(erp, journal) == [
        (OPEX, "12.34", "", US_SUB),
        (DEFERRED, "0.66", "", US_SUB),
        (US_BANK, "", "13", US_SUB),
    ]


def test_foreign_currency_invoice_posts_in_base_currency(erp: Erp) -> None:
    customer = erp.customer(subsidiary=UK_SUB, currencyList={"items": [{"currency": {"id": USD}}]})
    invoice = erp.invoice(
        customer, currency={"id": USD}, lines=[{"item": {"id": CONSULTING}, "amount": "100"}]
    )
    rec = erp.record("invoice", invoice)
    assert rec["exchangeRate"] == Decimal("0.8")  # USD 1 / GBP 1.25
    assert gl(erp, invoice) == [(AR, "80", "", UK_SUB), (SERVICES, "", "80", UK_SUB)]
    assert rec["total"] == Decimal("100.00")


# -- rejections: NetSuite's error body, and nothing written -----------------------
def refused(
    erp: Erp,
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
    code: str,
    error_path: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    before = erp.state()
    response = erp.request(method, path, json=body, **kwargs)
    result = assert_error(response, status, code, error_path)
    assert erp.state() == before, "a refused request wrote something"
    return result


def journal(*lines: dict[str, Any], subsidiary: str = US_SUB, **extra: Any) -> dict[str, Any]:
    return {"subsidiary": {"id": subsidiary}, "line": {"items": list(lines)}, **extra}


def test_unbalanced_journal_is_refused(erp: Erp) -> None:
    body = refused(
        erp,
        "POST",
        f"{RECORDS}/journalEntry",
        journal(
            {"account": {"id": OPEX}, "debit": 10}, {"account": {"id": US_BANK}, "credit": "9.99"}
        ),
        400,
        "USER_ERROR",
        "line.items",
    )
    assert "must equal" in body["o:errorDetails"][0]["detail"]


def test_posting_into_a_closed_period_is_refused(erp: Erp) -> None:
    period = erp.current_period()
    assert erp.post(f"/_sim/erp/periods/{period}/close?tenant=1234567").status_code == 200
    refused(
        erp,
        "POST",
        f"{RECORDS}/journalEntry",
        journal({"account": {"id": OPEX}, "debit": 1}, {"account": {"id": US_BANK}, "credit": 1}),
        400,
        "USER_ERROR",
        "postingPeriod",
    )


def test_editing_or_deleting_in_a_closed_period_is_refused(erp: Erp) -> None:
    invoice = erp.invoice(erp.customer())
    period = erp.current_period()
    erp.post(f"/_sim/erp/periods/{period}/close?tenant=1234567")
    refused(
        erp,
        "PATCH",
        f"{RECORDS}/invoice/{invoice}",
        {"memo": "late"},
        400,
        "USER_ERROR",
        "postingPeriod",
    )
    before = erp.state()
    assert_error(erp.request("DELETE", f"{RECORDS}/invoice/{invoice}"), 400, "USER_ERROR")
    assert erp.state() == before
    erp.post(f"/_sim/erp/periods/{period}/reopen?tenant=1234567")
    assert (
        erp.request("PATCH", f"{RECORDS}/invoice/{invoice}", json={"memo": "ok"}).status_code == 204
    )


def test_posting_into_a_locked_period_is_refused(erp: Erp) -> None:
    period = erp.current_period()
    erp.post(f"/_sim/erp/periods/{period}/lock?tenant=1234567", json={"scope": "all"})
    refused(
        erp,
        "POST",
        f"{RECORDS}/journalEntry",
        journal({"account": {"id": OPEX}, "debit": 1}, {"account": {"id": US_BANK}, "credit": 1}),
        400,
        "USER_ERROR",
        "postingPeriod",
    )


def test_ar_lock_refuses_invoices_but_not_journals(erp: Erp) -> None:
    customer = erp.customer()
    period = erp.current_period()
    erp.post(f"/_sim/erp/periods/{period}/lock?tenant=1234567", json={"scope": "ar"})
    refused(
        erp,
        "POST",
        f"{RECORDS}/invoice",
        {
            "entity": {"id": customer},
            "item": {"items": [{"item": {"id": CONSULTING}, "amount": 1}]},
        },
        400,
        "USER_ERROR",
        "postingPeriod",
    )
    erp.create(
        "journalEntry",
        journal({"account": {"id": OPEX}, "debit": 1}, {"account": {"id": US_BANK}, "credit": 1}),
    )


def test_date_without_a_period_is_refused(erp: Erp) -> None:
    refused(
        erp,
        "POST",
        f"{RECORDS}/journalEntry",
        journal(
            {"account": {"id": OPEX}, "debit": 1},
            {"account": {"id": US_BANK}, "credit": 1},
            tranDate="1990-05-01",
        ),
        400,
        "USER_ERROR",
        "tranDate",
    )


def test_summary_period_is_refused(erp: Erp) -> None:
    year = erp.rows("SELECT id FROM accountingPeriod WHERE isyear = 'T'")[0]["id"]
    refused(
        erp,
        "POST",
        f"{RECORDS}/journalEntry",
        journal(
            {"account": {"id": OPEX}, "debit": 1},
            {"account": {"id": US_BANK}, "credit": 1},
            postingPeriod={"id": year},
        ),
        400,
        "INVALID_FLD_VALUE",
        "postingPeriod",
    )


def test_customer_subsidiary_mismatch_is_refused(erp: Erp) -> None:
    customer = erp.customer(subsidiary=US_SUB)
    refused(
        erp,
        "POST",
        f"{RECORDS}/invoice",
        {
            "entity": {"id": customer},
            "subsidiary": {"id": UK_SUB},
            "item": {"items": [{"item": {"id": CONSULTING}, "amount": 1}]},
        },
        400,
        "INVALID_FLD_VALUE",
        "subsidiary",
    )


def test_currency_the_customer_may_not_use_is_refused(erp: Erp) -> None:
    customer = erp.customer(subsidiary=UK_SUB)  # GBP only
    refused(
        erp,
        "POST",
        f"{RECORDS}/invoice",
        {
            "entity": {"id": customer},
            "currency": {"id": EUR},
            "item": {"items": [{"item": {"id": CONSULTING}, "amount": 1}]},
        },
        400,
        "INVALID_FLD_VALUE",
        "currency",
    )


def test_bank_account_of_another_subsidiary_is_refused(erp: Erp) -> None:
    customer = erp.customer(subsidiary=UK_SUB)
    refused(
        erp,
        "POST",
        f"{RECORDS}/customerPayment",
        {"customer": {"id": customer}, "payment": 5, "account": {"id": US_BANK}},
        400,
        "INVALID_FLD_VALUE",
        "account",
    )
    erp.create(
        "customerPayment", {"customer": {"id": customer}, "payment": 5, "account": {"id": UK_BANK}}
    )


@pytest.mark.parametrize(
    ("path", "body", "error_path"),
    [
        (
            "invoice",
            {
                "entity": {"id": "999"},
                "item": {"items": [{"item": {"id": CONSULTING}, "amount": 1}]},
            },
            "entity",
        ),
        (
            "invoice",
            {"entity": {"id": "1"}, "item": {"items": [{"item": {"id": "999"}, "amount": 1}]}},
            "item.items[0].item",
        ),
        (
            "journalEntry",
            journal(
                {"account": {"id": "999"}, "debit": 1}, {"account": {"id": US_BANK}, "credit": 1}
            ),
            "line.items[0].account",
        ),
        (
            "customerPayment",
            {
                "customer": {"id": "1"},
                "payment": 1,
                "apply": {"items": [{"doc": {"id": "999"}, "amount": 1}]},
            },
            "apply.items[0].doc",
        ),
        ("customer", {"companyName": "X", "subsidiary": {"externalId": "nope"}}, "subsidiary"),
    ],
)
def test_reference_to_a_missing_record_is_refused(
    erp: Erp, path: str, body: dict[str, Any], error_path: str
) -> None:
    """On the body INVALID_KEY_OR_REF; on a sublist line INVALID_CONTENT with the line's
    path (Oracle, "Error Handling in REST Web Services", its invoice example)."""
    erp.customer()  # id 1
    on_line = ".items[" in error_path
    code = "INVALID_CONTENT" if on_line else "INVALID_KEY_OR_REF"
    result = refused(erp, "POST", f"{RECORDS}/{path}", body, 400, code, error_path)
    detail = result["o:errorDetails"][0]["detail"]
    if on_line:
        field = error_path.rsplit(".", 1)[1]
        assert detail == ("Error while accessing a resource. You have entered an Invalid "
                          f"Field Value 999 for the following field: {field}")
    else:
        assert "reference key" in detail


def test_overapplied_payment_line_is_refused(erp: Erp) -> None:
    customer = erp.customer()
    invoice = erp.invoice(customer)  # 200
    refused(
        erp,
        "POST",
        f"{RECORDS}/customerPayment",
        {
            "customer": {"id": customer},
            "payment": 500,
            "apply": {"items": [{"doc": {"id": invoice}, "amount": "200.01"}]},
        },
        400,
        "USER_ERROR",
        "apply.items[0].amount",
    )


def test_payment_applying_more_than_received_is_refused(erp: Erp) -> None:
    customer = erp.customer()
    first, second = erp.invoice(customer), erp.invoice(customer)
    refused(
        erp,
        "POST",
        f"{RECORDS}/customerPayment",
        {
            "customer": {"id": customer},
            "payment": 300,
            "apply": {
                "items": [
                    {"doc": {"id": first}, "amount": 200},
                    {"doc": {"id": second}, "amount": 150},
                ]
            },
        },
        400,
        "USER_ERROR",
        "apply.items",
    )


def test_second_payment_cannot_overpay_a_paid_invoice(erp: Erp) -> None:
    customer = erp.customer()
    invoice = erp.invoice(customer)
    erp.create(
        "customerPayment",
        {
            "customer": {"id": customer},
            "payment": 200,
            "apply": {"items": [{"doc": {"id": invoice}}]},
        },
    )
    refused(
        erp,
        "POST",
        f"{RECORDS}/customerPayment",
        {
            "customer": {"id": customer},
            "payment": 1,
            "apply": {"items": [{"doc": {"id": invoice}, "amount": 1}]},
        },
        400,
        "USER_ERROR",
        "apply.items[0].amount",
    )


def test_applying_to_another_customers_invoice_is_refused(erp: Erp) -> None:
    invoice = erp.invoice(erp.customer())
    other = erp.customer(companyName="Other")
    refused(
        erp,
        "POST",
        f"{RECORDS}/customerPayment",
        {
            "customer": {"id": other},
            "payment": 10,
            "apply": {"items": [{"doc": {"id": invoice}, "amount": 10}]},
        },
        400,
        "INVALID_FLD_VALUE",
        "apply.items[0].doc",
    )


def test_duplicate_external_id_is_refused(erp: Erp) -> None:
    customer = erp.customer()
    erp.invoice(customer, externalId="ORDER-1")
    refused(
        erp,
        "POST",
        f"{RECORDS}/invoice",
        {
            "entity": {"id": customer},
            "externalId": "ORDER-1",
            "item": {"items": [{"item": {"id": CONSULTING}, "amount": 1}]},
        },
        400,
        "DUP_RCRD",
        "externalId",
    )


def test_invoice_cannot_drop_below_what_was_paid(erp: Erp) -> None:
    customer = erp.customer()
    invoice = erp.invoice(customer)
    erp.create(
        "customerPayment",
        {
            "customer": {"id": customer},
            "payment": 150,
            "apply": {"items": [{"doc": {"id": invoice}, "amount": 150}]},
        },
    )
    refused(
        erp,
        "PATCH",
        f"{RECORDS}/invoice/{invoice}",
        {"item": {"items": [{"item": {"id": CONSULTING}, "amount": 100}]}},
        400,
        "USER_ERROR",
        "item.items",
        params={"replace": "item"},
    )
    before = erp.state()
    assert_error(erp.request("DELETE", f"{RECORDS}/invoice/{invoice}"), 400, "USER_ERROR")
    assert erp.state() == before


def test_invoice_without_lines_is_refused(erp: Erp) -> None:
    refused(
        erp,
        "POST",
        f"{RECORDS}/invoice",
        {"entity": {"id": erp.customer()}, "item": {"items": []}},
        400,
        "USER_ERROR",
        "item.items",
    )


def test_foreign_subsidiary_uses_its_own_currency_and_base(erp: Erp) -> None:
    customer = erp.customer(subsidiary=UK_SUB)
    invoice = erp.invoice(customer)
    rec = erp.record("invoice", invoice)
    assert rec["currency"]["id"] == GBP and rec["exchangeRate"] == Decimal("1")
