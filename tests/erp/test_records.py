"""The record service over HTTP: every record type, create/get/patch/upsert/delete,
sublists, collections with paging and q filters, and request validation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.erp.support import (
    AR,
    BASE,
    CONSULTING,
    GBP,
    HARDWARE,
    NET_30,
    OPEX,
    RECORDS,
    SERVICES,
    UK_SUB,
    US_BANK,
    US_SUB,
    USD,
    Erp,
    assert_error,
)

# One valid creation body per record type, and a field to read back.
CREATE_CASES: list[tuple[str, dict[str, Any], str, Any]] = [
    ("currency", {"symbol": "chf", "name": "Swiss Franc", "exchangeRate": "1.13"}, "symbol", "CHF"),
    (
        "subsidiary",
        {"name": "Fintwin SARL", "currency": {"id": "3"}, "parent": {"id": "1"}, "country": "FR"},
        "name",
        "Fintwin SARL",
    ),
    (
        "account",
        {"acctNumber": "6200", "acctName": "Travel", "acctType": "Expense"},
        "acctType",
        "Expense",
    ),
    (
        "accountingPeriod",
        {
            "periodName": "Adj 1999",
            "startDate": "1999-01-01",
            "endDate": "1999-01-31",
            "isAdjust": True,
        },
        "periodName",
        "Adj 1999",
    ),
    ("term", {"name": "Net 45", "daysUntilNetDue": 45}, "daysUntilNetDue", 45),
    (
        "serviceSaleItem",
        {"itemId": "Training", "incomeAccount": {"id": SERVICES}, "basePrice": 500},
        "itemId",
        "Training",
    ),
    (
        "nonInventorySaleItem",
        {"itemId": "Cables", "incomeAccount": {"id": "12"}},
        "itemId",
        "Cables",
    ),
    (
        "customer",
        {"companyName": "Globex", "subsidiary": {"id": UK_SUB}, "email": "ap@globex.test"},
        "email",
        "ap@globex.test",
    ),
]


@pytest.mark.parametrize(
    ("type_name", "body", "field", "expected"), CREATE_CASES, ids=[c[0] for c in CREATE_CASES]
)
def test_create_204_location_then_get(
    erp: Erp, type_name: str, body: dict[str, Any], field: str, expected: Any
) -> None:
    new_id = erp.create(type_name, body)
    rec = erp.record(type_name, new_id)
    assert rec["id"] == new_id
    assert rec[field] == expected
    assert rec["links"] == [{"rel": "self", "href": f"{BASE}{RECORDS}/{type_name}/{new_id}"}]


def test_transaction_records_round_trip(erp: Erp) -> None:
    customer = erp.customer(terms={"id": NET_30})
    invoice = erp.invoice(customer)
    memo = erp.create(
        "creditMemo",
        {
            "entity": {"id": customer},
            "item": {"items": [{"item": {"id": CONSULTING}, "amount": 50}]},
        },
    )
    payment = erp.create("customerPayment", {"customer": {"id": customer}, "payment": 100})
    journal = erp.create(
        "journalEntry",
        {
            "subsidiary": {"id": US_SUB},
            "line": {
                "items": [
                    {"account": {"id": OPEX}, "debit": 10},
                    {"account": {"id": US_BANK}, "credit": 10},
                ]
            },
        },
    )
    assert erp.record("invoice", invoice)["total"] == Decimal("200.00")
    assert erp.record("creditMemo", memo)["total"] == Decimal("50.00")
    assert erp.record("customerPayment", payment)["unapplied"] == Decimal("100.00")
    assert erp.record("journalEntry", journal)["subsidiary"]["id"] == US_SUB
    # Transactions share one internal id space, as NetSuite's do.
    assert len({invoice, memo, payment, journal}) == 4


def test_invoice_defaults_terms_due_date_and_refs(erp: Erp) -> None:
    customer = erp.customer(terms={"id": NET_30})
    invoice = erp.invoice(customer, tranDate=_this_year(erp, "03-10"))
    rec = erp.record("invoice", invoice)
    assert rec["terms"]["id"] == NET_30 and rec["terms"]["refName"] == "Net 30"
    assert rec["dueDate"] == _this_year(erp, "04-09")
    assert rec["subsidiary"]["id"] == US_SUB and rec["currency"]["id"] == USD
    assert rec["account"] == {
        "links": [{"rel": "self", "href": f"{BASE}{RECORDS}/account/{AR}"}],
        "id": AR,
        "refName": "1100 Accounts Receivable",
    }
    assert rec["status"] == {"id": "open", "refName": "Open"}
    assert rec["postingPeriod"]["refName"] == f"Mar {_this_year(erp, '')[:4]}"
    assert rec["tranId"].startswith("INV")


def _this_year(erp: Erp, month_day: str) -> str:
    import time

    year = time.gmtime(erp.tenant.clock.now()).tm_year
    return f"{year}-{month_day}" if month_day else str(year)


def test_sublists_collapsed_unless_expanded(erp: Erp) -> None:
    invoice = erp.invoice(
        erp.customer(),
        lines=[
            {"item": {"id": CONSULTING}, "quantity": 1.5, "rate": "100.10", "taxRate1": 10},
            {"item": {"id": HARDWARE}, "amount": "99.99"},
        ],
    )
    plain = erp.record("invoice", invoice)
    assert plain["item"] == {
        "links": [{"rel": "self", "href": f"{BASE}{RECORDS}/invoice/{invoice}/item"}]
    }
    expanded = erp.record("invoice", invoice, expandSubResources="true")
    lines = expanded["item"]["items"]
    assert [line["amount"] for line in lines] == [Decimal("150.15"), Decimal("99.99")]
    assert lines[0]["tax1Amt"] == Decimal("15.02") and lines[0]["line"] == 1
    assert expanded["item"]["totalResults"] == 2
    assert expanded["total"] == Decimal("265.16")
    sublist = erp.get(f"{RECORDS}/invoice/{invoice}/item").json()
    assert [line["line"] for line in sublist["items"]] == [1, 2]


def test_fields_parameter_limits_properties(erp: Erp) -> None:
    customer = erp.customer(email="a@b.test")
    rec = erp.record("customer", customer, fields="email,companyName")
    assert set(rec) == {"links", "id", "email", "companyName"}


def test_patch_204_merges_fields_and_sublist_lines(erp: Erp) -> None:
    invoice = erp.invoice(erp.customer())
    response = erp.request(
        "PATCH",
        f"{RECORDS}/invoice/{invoice}",
        json={
            "memo": "updated",
            "item": {
                "items": [{"line": 1, "quantity": 3}, {"item": {"id": HARDWARE}, "amount": 10}]
            },
        },
    )
    assert response.status_code == 204 and response.content == b""
    rec = erp.record("invoice", invoice, expandSubResources="true")
    assert rec["memo"] == "updated"
    assert [line["amount"] for line in rec["item"]["items"]] == [
        Decimal("300.00"),
        Decimal("10.00"),
    ]
    assert rec["total"] == Decimal("310.00")


def test_patch_replace_replaces_the_sublist(erp: Erp) -> None:
    invoice = erp.invoice(erp.customer())
    response = erp.request(
        "PATCH",
        f"{RECORDS}/invoice/{invoice}",
        params={"replace": "item"},
        json={"item": {"items": [{"item": {"id": HARDWARE}, "amount": 5}]}},
    )
    assert response.status_code == 204
    rec = erp.record("invoice", invoice, expandSubResources="true")
    assert [line["item"]["id"] for line in rec["item"]["items"]] == [HARDWARE]
    assert rec["total"] == Decimal("5.00")
    # The ledger follows: the old lines are gone from SuiteQL too.
    rows = erp.rows(
        f"SELECT SUM(credit) AS c FROM transactionAccountingLine WHERE transaction = {invoice}"
    )
    assert rows == [{"c": "5"}]


def test_patch_replace_with_unknown_sublist_is_invalid(erp: Erp) -> None:
    invoice = erp.invoice(erp.customer())
    response = erp.request(
        "PATCH", f"{RECORDS}/invoice/{invoice}", params={"replace": "nope"}, json={"memo": "x"}
    )
    assert_error(response, 400, "INVALID_PARAMETER")


def test_eid_upsert_creates_then_updates_the_same_record(erp: Erp) -> None:
    path = f"{RECORDS}/customer/eid:CRM-001"
    body = {"companyName": "Initech", "subsidiary": {"id": US_SUB}}
    first = erp.request("PUT", path, json=body)
    assert first.status_code == 204
    second = erp.request("PUT", path, json={**body, "email": "it@initech.test"})
    assert second.status_code == 204
    assert first.headers["location"] == second.headers["location"]
    new_id = first.headers["location"].rsplit("/", 1)[1]
    rec = erp.record("customer", "eid:CRM-001")
    assert rec["id"] == new_id and rec["externalId"] == "CRM-001"
    assert rec["email"] == "it@initech.test"
    listing = erp.get(f"{RECORDS}/customer").json()
    assert listing["totalResults"] == 1


def test_eid_upsert_of_a_transaction_and_reference_by_external_id(erp: Erp) -> None:
    erp.request(
        "PUT",
        f"{RECORDS}/customer/eid:C-9",
        json={"companyName": "Hooli", "subsidiary": {"id": US_SUB}},
    )
    response = erp.request(
        "PUT",
        f"{RECORDS}/invoice/eid:INV-9",
        json={
            "entity": {"externalId": "C-9"},
            "item": {"items": [{"item": {"id": CONSULTING}, "amount": 42}]},
        },
    )
    assert response.status_code == 204, response.text
    again = erp.request(
        "PUT",
        f"{RECORDS}/invoice/eid:INV-9",
        json={
            "entity": {"externalId": "C-9"},
            "item": {"items": [{"item": {"id": CONSULTING}, "amount": 42}]},
        },
        params={"replace": "item"},
    )
    assert again.headers["location"] == response.headers["location"]
    assert erp.get(f"{RECORDS}/invoice").json()["totalResults"] == 1
    assert erp.record("invoice", "eid:INV-9")["total"] == Decimal("42.00")


def test_put_without_eid_is_refused(erp: Erp) -> None:
    customer = erp.customer()
    response = erp.request("PUT", f"{RECORDS}/customer/{customer}", json={"memo": "x"})
    assert_error(response, 400, "INVALID_PARAMETER")


def test_delete_204_then_404(erp: Erp) -> None:
    customer = erp.customer()
    response = erp.request("DELETE", f"{RECORDS}/customer/{customer}")
    assert response.status_code == 204
    body = assert_error(erp.get(f"{RECORDS}/customer/{customer}"), 404, "NONEXISTENT_ID")
    assert body["type"].endswith("section-15.5.5")
    assert erp.rows(f"SELECT COUNT(*) AS n FROM customer WHERE id = {customer}") == [{"n": "0"}]


def test_delete_customer_with_transactions_is_refused(erp: Erp) -> None:
    customer = erp.customer()
    erp.invoice(customer)
    response = erp.request("DELETE", f"{RECORDS}/customer/{customer}")
    assert_error(response, 400, "USER_ERROR")
    assert erp.get(f"{RECORDS}/customer/{customer}").status_code == 200


def test_collection_paging_envelope(erp: Erp) -> None:
    for n in range(5):
        erp.customer(companyName=f"Customer {n}")
    page = erp.get(f"{RECORDS}/customer", params={"limit": 2, "offset": 2}).json()
    assert page["count"] == 2 and page["offset"] == 2 and page["totalResults"] == 5
    assert page["hasMore"] is True
    rels = {link["rel"]: link["href"] for link in page["links"]}
    assert rels["next"].endswith("limit=2&offset=4")
    assert rels["last"].endswith("limit=2&offset=4")
    assert rels["self"].endswith("limit=2&offset=2")
    assert [item["id"] for item in page["items"]] == ["3", "4"]
    assert page["items"][0]["links"][0]["href"] == f"{BASE}{RECORDS}/customer/3"
    last = erp.get(f"{RECORDS}/customer", params={"limit": 2, "offset": 4}).json()
    assert last["hasMore"] is False and last["count"] == 1


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_collection_paging_parameters_are_checked(
    erp: Erp, params: dict[str, Any], name: str
) -> None:
    body = assert_error(erp.get(f"{RECORDS}/customer", params=params), 400, "INVALID_PARAMETER")
    assert body["o:errorDetails"][0]["o:errorQueryParam"] == name


def test_collection_q_filters(erp: Erp) -> None:
    erp.customer(companyName="Acme Anvils", email="x@acme.test")
    erp.customer(companyName="Acme Rockets", subsidiary=UK_SUB)
    erp.customer(companyName="Globex")

    def ids(q: str) -> list[str]:
        response = erp.get(f"{RECORDS}/customer", params={"q": q})
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids('companyName START_WITH "acme"') == ["1", "2"]
    assert ids("companyName START_WITH acme AND subsidiary ANY_OF 2") == ["2"]
    assert ids("companyName IS Globex OR email CONTAIN acme") == ["1", "3"]
    assert ids("email EMPTY") == ["2", "3"]
    assert ids("isInactive IS false") == ["1", "2", "3"]
    assert ids("id GREATER 1") == ["2", "3"]
    assert ids(f"createdDate ON_OR_AFTER 1/1/{_this_year(erp, '')}") == ["1", "2", "3"]


@pytest.mark.parametrize(
    "q",
    [
        "nosuchfield IS x",
        "companyName FROBNICATE x",
        "companyName IS",
        'companyName IS "unterminated',
        "companyName IS a XOR email EMPTY",
    ],
)
def test_bad_q_is_invalid_parameter(erp: Erp, q: str) -> None:
    body = assert_error(erp.get(f"{RECORDS}/customer", params={"q": q}), 400, "INVALID_PARAMETER")
    assert body["o:errorDetails"][0]["o:errorQueryParam"] == "q"


def test_unknown_record_type_and_id(erp: Erp) -> None:
    assert_error(erp.get(f"{RECORDS}/salesWidget/1"), 404, "INVALID_RCRD_TYPE")
    assert_error(erp.get(f"{RECORDS}/customer/999"), 404, "NONEXISTENT_ID")
    assert_error(erp.get(f"{RECORDS}/customer/eid:nope"), 404, "NONEXISTENT_ID")
    # A service item is not a non-inventory item.
    assert_error(erp.get(f"{RECORDS}/nonInventorySaleItem/{CONSULTING}"), 404, "NONEXISTENT_ID")
    assert erp.record("serviceSaleItem", CONSULTING)["itemId"] == "Consulting"


def test_record_names_are_case_insensitive(erp: Erp) -> None:
    payment_id = erp.create("customerPayment", {"customer": {"id": erp.customer()}, "payment": 5})
    assert erp.record("customerpayment", payment_id)["id"] == payment_id


@pytest.mark.parametrize(
    ("body", "code", "path"),
    [
        (
            {"companyName": 5.5, "subsidiary": {"id": US_SUB}, "isInactive": "yes"},
            "INVALID_CONTENT",
            "isInactive",
        ),
        ({"companyName": "A", "subsidiary": "1"}, "INVALID_CONTENT", "subsidiary"),
        (
            {"companyName": "A", "subsidiary": {"id": US_SUB}, "favouriteColour": "red"},
            "INVALID_CONTENT",
            "favouriteColour",
        ),
        ({"subsidiary": {"id": US_SUB}}, "USER_ERROR", "companyName"),
    ],
)
def test_invalid_bodies(erp: Erp, body: dict[str, Any], code: str, path: str) -> None:
    assert_error(erp.post(f"{RECORDS}/customer", json=body), 400, code, path)
    assert erp.get(f"{RECORDS}/customer").json()["totalResults"] == 0


def test_unknown_properties_pass_with_property_validation_ignore(erp: Erp) -> None:
    new_id = erp.create(
        "customer",
        {"companyName": "A", "subsidiary": {"id": US_SUB}, "favouriteColour": "red"},
        headers={"X-NetSuite-PropertyNameValidation": "Ignore"},
    )
    assert "favouriteColour" not in erp.record("customer", new_id)


def test_not_json_body(erp: Erp) -> None:
    response = erp.post(
        f"{RECORDS}/customer", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "INVALID_CONTENT")


def test_customer_currency_defaults_to_subsidiary_and_currency_list(erp: Erp) -> None:
    customer = erp.customer(subsidiary=UK_SUB, currencyList={"items": [{"currency": {"id": USD}}]})
    rec = erp.record("customer", customer, expandSubResources="true")
    assert rec["currency"]["id"] == GBP
    assert [line["currency"]["id"] for line in rec["currencyList"]["items"]] == [USD]


def test_customer_subsidiary_cannot_change(erp: Erp) -> None:
    customer = erp.customer()
    response = erp.request(
        "PATCH", f"{RECORDS}/customer/{customer}", json={"subsidiary": {"id": UK_SUB}}
    )
    assert_error(response, 400, "USER_ERROR", "subsidiary")


def test_default_setup(erp: Erp) -> None:
    subs = erp.rows(
        "SELECT s.name, c.symbol, s.parent FROM subsidiary s "
        "JOIN currency c ON c.id = s.currency ORDER BY s.id"
    )
    assert [(s["name"], s["symbol"], s.get("parent")) for s in subs] == [
        ("Fintwin Inc.", "USD", None),
        ("Fintwin Ltd. (UK)", "GBP", "1"),
        ("Fintwin GmbH", "EUR", "1"),
    ]
    types = {r["accttype"] for r in erp.rows("SELECT DISTINCT accttype FROM account")}
    assert {
        "Bank",
        "AcctRec",
        "Income",
        "DeferRevenue",
        "OthCurrLiab",
        "Expense",
        "Equity",
    } <= types
    months = erp.rows(
        "SELECT COUNT(*) AS n FROM accountingPeriod WHERE isquarter = 'F' "
        "AND isyear = 'F' AND closed = 'F'"
    )
    assert months == [{"n": "24"}]  # the current and the next fiscal year
    items = erp.rows("SELECT itemid, itemtype FROM item ORDER BY id")
    assert [i["itemtype"] for i in items] == ["Service", "Service", "NonInvtPart"]
