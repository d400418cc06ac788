"""Discount items on invoices and credit memos, over raw REST (Oracle, "Discount Items": a
discount item takes an amount or a percentage off the line above it; its account takes the
discount, a debit on an invoice)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.erp.support import CONSULTING, RECORDS, SERVICES, Erp, assert_error


def _discount_account(erp: Erp) -> str:
    return erp.create("account", {"acctNumber": "4900", "acctName": "Sales Discounts",
                                  "acctType": "Income"})


def _discount(erp: Erp, rate: str, account: str, name: str = "10OFF") -> str:
    return erp.create("discountItem", {"itemId": name, "rate": rate,
                                       "account": {"id": account}})


def _gl(erp: Erp, invoice: str) -> dict[int, tuple[Decimal, Decimal]]:
    rows = erp.rows("SELECT account, SUM(NVL(debit, 0)) AS dr, SUM(NVL(credit, 0)) AS cr "
                    "FROM transactionAccountingLine "
                    f"WHERE transaction = {invoice} GROUP BY account")
    return {int(r["account"]): (Decimal(str(r["dr"])), Decimal(str(r["cr"]))) for r in rows}


def test_a_percentage_discount_takes_its_share_off_the_line_above(erp: Erp) -> None:
    account = _discount_account(erp)
    item = _discount(erp, "-10%", account)
    assert erp.record("discountItem", item)["itemType"] == "Discount"
    invoice = erp.invoice(erp.customer(), [
        {"item": {"id": CONSULTING}, "quantity": 4, "rate": "250"},
        {"item": {"id": item}},
    ])
    rec = erp.record("invoice", invoice, expandSubResources="true")
    lines = rec["item"]["items"]
    assert Decimal(str(lines[1]["amount"])) == Decimal("-100")
    assert Decimal(str(rec["subtotal"])) == Decimal("900")
    assert Decimal(str(rec["total"])) == Decimal("900")
    assert Decimal(str(rec["amountRemaining"])) == Decimal("900")
    gl = _gl(erp, invoice)
    assert gl[int(SERVICES)] == (Decimal(0), Decimal("1000"))  # revenue at list price
    assert gl[int(account)] == (Decimal("100"), Decimal(0))  # the discount, a debit
    debits = sum(d for d, _ in gl.values())
    credits = sum(c for _, c in gl.values())
    assert debits == credits == Decimal("1000")  # A/R 900 + discount 100


def test_a_fixed_discount_and_the_line_rate_overriding_the_items(erp: Erp) -> None:
    account = _discount_account(erp)
    item = _discount(erp, "-10%", account)
    invoice = erp.invoice(erp.customer(), [
        {"item": {"id": CONSULTING}, "quantity": 1, "rate": "500"},
        {"item": {"id": item}, "rate": "75"},
    ])
    rec = erp.record("invoice", invoice)
    assert Decimal(str(rec["total"])) == Decimal("425")
    # Paying the discounted total settles the invoice.
    customer = rec["entity"]["id"]
    erp.create("customerPayment", {"customer": {"id": customer}, "payment": "425",
                                   "apply": {"items": [{"doc": {"id": invoice},
                                                        "amount": "425"}]}})
    assert erp.record("invoice", invoice)["status"]["refName"] == "Paid In Full"


def test_a_credit_memo_reverses_a_discounted_sale(erp: Erp) -> None:
    account = _discount_account(erp)
    item = _discount(erp, "-20%", account)
    customer = erp.customer()
    memo = erp.create("creditMemo", {"entity": {"id": customer}, "item": {"items": [
        {"item": {"id": CONSULTING}, "quantity": 1, "rate": "100"}, {"item": {"id": item}}]}})
    assert Decimal(str(erp.record("creditMemo", memo)["total"])) == Decimal("80")
    gl = _gl(erp, memo)
    assert gl[int(account)] == (Decimal(0), Decimal("20"))  # reversed: a credit


@pytest.mark.parametrize(
    ("lines", "path", "says"),
    [
        ([{"item": {"id": "D"}}], "item.items[0].item", "must follow"),
        ([{"item": {"id": CONSULTING}, "amount": "50"}, {"item": {"id": "D"}, "rate": "80"}],
         "item.items", "exceed"),
    ],
)
def test_a_discount_without_a_line_above_or_bigger_than_the_sale_is_refused(
        erp: Erp, lines: list[dict[str, Any]], path: str, says: str) -> None:
    item = _discount(erp, "-10%", _discount_account(erp))
    for line in lines:
        if line["item"]["id"] == "D":
            line["item"]["id"] = item
    response = erp.post(f"{RECORDS}/invoice", json={"entity": {"id": erp.customer()},
                                                    "item": {"items": lines}})
    body = assert_error(response, 400, body_code(says), path)
    assert says in body["o:errorDetails"][0]["detail"]


def body_code(says: str) -> str:
    return "USER_ERROR" if says == "must follow" else "INVALID_FLD_VALUE"


@pytest.mark.parametrize("rate", ["ten", "150%", ""])
def test_a_discount_item_needs_an_amount_or_a_percentage(erp: Erp, rate: str) -> None:
    response = erp.post(f"{RECORDS}/discountItem", json={
        "itemId": "BAD", "rate": rate, "account": {"id": _discount_account(erp)}})
    assert response.status_code == 400, response.text
    assert response.json()["o:errorDetails"][0].get("o:errorPath") == "rate"
