"""Subsidiaries as the reference integration layer uses them: a country per legal
entity (GET record and SuiteQL), and adding one on the control plane (a French
subsidiary with EUR) in which customers, invoices with tax, payments and credit
memos post and balance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from simulators.erp import setup
from simulators.erp.errors import UserError
from tests.erp.support import (
    ACCOUNT,
    CONSULTING,
    DE_SUB,
    EUR,
    RECORDS,
    UK_SUB,
    US_SUB,
    Erp,
    assert_error,
)


def add_subsidiary(erp: Erp, body: dict[str, Any]) -> Any:
    return erp.run(erp.client.post(f"/_sim/erp/subsidiaries?tenant={ACCOUNT}", json=body))


def test_default_subsidiaries_expose_their_country(erp: Erp) -> None:
    for sub, code, name in (
        (US_SUB, "US", "United States"),
        (UK_SUB, "GB", "United Kingdom"),
        (DE_SUB, "DE", "Germany"),
    ):
        assert erp.record("subsidiary", sub)["country"] == {"id": code, "refName": name}
        assert erp.record("subsidiary", sub, simpleEnumFormat="true")["country"] == code
    rows = erp.rows("SELECT id, country, currency FROM subsidiary ORDER BY id")
    assert rows == [
        {"id": US_SUB, "country": "US", "currency": "1"},
        {"id": UK_SUB, "country": "GB", "currency": "2"},
        {"id": DE_SUB, "country": "DE", "currency": "3"},
    ]


def test_map_a_country_code_to_a_subsidiary(erp: Erp) -> None:
    found = erp.rows("SELECT id FROM subsidiary WHERE country = 'GB'")
    assert found == [{"id": UK_SUB}]
    listed = erp.get(f"{RECORDS}/subsidiary", params={"q": 'country IS "GB"'})
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [UK_SUB]


def test_add_a_french_subsidiary_with_eur_and_post_in_it(erp: Erp) -> None:
    response = add_subsidiary(erp, {"name": "Fintwin SAS", "currency": "EUR", "country": "FR"})
    assert response.status_code == 201, response.text
    body = response.json()
    sub = body["id"]
    assert body["country"] == {"id": "FR", "refName": "France"}
    assert body["currency"]["id"] == EUR
    assert body["parent"]["id"] == US_SUB  # defaults to the parent subsidiary
    assert erp.rows(f"SELECT country, currency FROM subsidiary WHERE id = {sub}") == [
        {"country": "FR", "currency": EUR}
    ]
    # Its own operating bank account, in EUR, so payments have a deposit account.
    banks = erp.rows("SELECT id, currency FROM account WHERE accttype = 'Bank' AND id > 3")
    assert banks == [{"id": banks[0]["id"], "currency": EUR}]

    customer = erp.create(
        "customer",
        {"companyName": "Client SA", "subsidiary": {"id": sub}, "externalId": "001FR"},
    )
    assert erp.record("customer", "eid:001FR")["currency"]["id"] == EUR  # the base currency
    invoice = erp.create(
        "invoice",
        {
            "entity": {"externalId": "001FR"},
            "externalId": "in_fr_1",
            "item": {
                "items": [
                    {"item": {"id": CONSULTING}, "quantity": 2, "rate": "100", "taxRate1": "20"}
                ]
            },
        },
    )
    rec = erp.record("invoice", invoice)
    assert rec["subsidiary"]["id"] == sub
    assert (rec["subtotal"], rec["taxTotal"], rec["total"]) == (
        Decimal("200.00"),
        Decimal("40.00"),
        Decimal("240.00"),
    )
    payment = erp.create(
        "customerPayment",
        {
            "customer": {"id": customer},
            "payment": "100",
            "externalId": "pay:in_fr_1",
            "apply": {"items": [{"doc": {"id": invoice}, "amount": "100"}]},
        },
    )
    assert erp.record("customerPayment", payment)["account"]["id"] == banks[0]["id"]
    erp.create(
        "creditMemo",
        {
            "entity": {"id": customer},
            "externalId": "cn_fr_1",
            "item": {"items": [{"item": {"id": CONSULTING}, "amount": "140"}]},
            "apply": {"items": [{"doc": {"id": invoice}, "amount": "140"}]},
        },
    )
    assert erp.record("invoice", invoice)["status"]["refName"] == "Paid In Full"
    balance = erp.run(erp.client.get(f"/_sim/erp/trial-balance?tenant={ACCOUNT}")).json()
    assert balance["by_subsidiary"] == {sub: "0"}
    lines = erp.rows(
        "SELECT COUNT(*) AS n FROM transactionLine tl JOIN subsidiary s ON s.id = tl.subsidiary "
        "WHERE s.country = 'FR'"
    )
    assert int(lines[0]["n"]) > 0


def test_country_may_be_given_by_name_or_as_an_enum_object(erp: Erp) -> None:
    by_name = add_subsidiary(
        erp, {"name": "Fintwin BV", "currency": "EUR", "country": "Netherlands"}
    )
    assert by_name.json()["country"]["id"] == "NL"
    as_enum = erp.create(
        "subsidiary",
        {
            "name": "Fintwin SL",
            "currency": {"id": EUR},
            "parent": {"id": "1"},
            "country": {"id": "es"},
        },
    )
    assert erp.record("subsidiary", as_enum)["country"] == {"id": "ES", "refName": "Spain"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No country", "currency": "EUR"}, "country"),
        ({"name": "Bad country", "currency": "EUR", "country": "Frankreich"}, "country"),
        ({"name": "Bad country", "currency": "EUR", "country": 33}, "country"),
        ({"name": "No currency", "country": "FR"}, "currency"),
        ({"name": "Unknown currency", "currency": "CHF", "country": "CH"}, "currency"),
        ({"currency": "EUR", "country": "FR"}, "name"),
        ({"name": "Typo", "currency": "EUR", "country": "FR", "contry": "FR"}, "contry"),
        ({"name": "Bad parent", "currency": "EUR", "country": "FR", "parent": "999"}, "parent"),
    ],
)
def test_bad_subsidiary_bodies_name_the_field(erp: Erp, body: dict[str, Any], field: str) -> None:
    before = erp.state()
    response = add_subsidiary(erp, body)
    assert 400 <= response.status_code < 500, response.text
    payload = response.json()
    if "o:errorDetails" in payload:  # refused by the record layer: NetSuite's envelope
        assert payload["o:errorDetails"][0]["o:errorPath"] == field, payload
    else:  # refused by the control plane's own parsing
        assert payload["error"]["param"] == field, payload
    assert erp.state() == before


def test_record_service_refuses_a_subsidiary_without_a_valid_country(erp: Erp) -> None:
    missing = erp.post(f"{RECORDS}/subsidiary", json={"name": "X", "currency": {"id": EUR}})
    assert_error(missing, 400, "USER_ERROR", "country")
    bad = erp.post(
        f"{RECORDS}/subsidiary", json={"name": "X", "currency": {"id": EUR}, "country": "XX"}
    )
    assert_error(bad, 400, "INVALID_CONTENT", "country")
    patched = erp.request("PATCH", f"{RECORDS}/subsidiary/{UK_SUB}", json={"country": "Atlantis"})
    assert_error(patched, 400, "INVALID_CONTENT", "country")
    assert erp.record("subsidiary", UK_SUB)["country"]["id"] == "GB"


def test_bank_account_number_of_a_new_subsidiary_avoids_taken_numbers(erp: Erp) -> None:
    # The next subsidiary (id 4) would get bank account number 1030: take it first.
    erp.create("account", {"acctNumber": "1030", "acctName": "Petty cash", "acctType": "Bank"})
    response = add_subsidiary(erp, {"name": "Fintwin SAS", "currency": "EUR", "country": "FR"})
    assert response.status_code == 201, response.text
    sub = response.json()["id"]
    banks = erp.get(f"{RECORDS}/account", params={"q": f"subsidiary ANY_OF {sub}"}).json()
    assert [erp.record("account", b["id"])["acctNumber"] for b in banks["items"]] == ["1030-1"]


def test_subsidiary_is_not_left_behind_when_its_bank_account_fails(
    erp: Erp, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_create = setup.service.create

    def refuse_accounts(ctx: Any, rtype: Any, body: Any, **kwargs: Any) -> Any:
        if rtype.name == "account":
            raise UserError("refused for the test", "acctNumber")
        return real_create(ctx, rtype, body, **kwargs)

    before = erp.state()
    monkeypatch.setattr(setup.service, "create", refuse_accounts)
    response = add_subsidiary(erp, {"name": "Fintwin SAS", "currency": "EUR", "country": "FR"})
    monkeypatch.undo()
    assert_error(response, 400, "USER_ERROR", "acctNumber")
    assert erp.state() == before


def test_removing_an_unused_subsidiary_removes_its_bank_account(erp: Erp) -> None:
    accounts = erp.state()["ledger"]["account"]
    sub = add_subsidiary(erp, {"name": "Fintwin SAS", "currency": "EUR", "country": "FR"})
    assert erp.state()["ledger"]["account"] == str(int(accounts) + 1)
    sub_id = sub.json()["id"]
    gone = erp.run(erp.client.delete(f"/_sim/erp/subsidiaries/{sub_id}?tenant={ACCOUNT}"))
    assert gone.status_code == 200, gone.text
    assert erp.state()["ledger"]["account"] == accounts
    assert erp.rows("SELECT COUNT(*) AS n FROM subsidiary WHERE country = 'FR'") == [{"n": "0"}]
    missing = erp.run(erp.client.delete(f"/_sim/erp/subsidiaries/{sub_id}?tenant={ACCOUNT}"))
    assert_error(missing, 404, "NONEXISTENT_ID")


def test_subsidiary_whose_bank_account_has_postings_stays(erp: Erp) -> None:
    sub = add_subsidiary(erp, {"name": "Fintwin SAS", "currency": "EUR", "country": "FR"})
    sub_id = sub.json()["id"]
    bank = erp.rows("SELECT id FROM account WHERE accttype = 'Bank' AND id > 3")[0]["id"]
    erp.create(
        "journalEntry",
        {
            "subsidiary": {"id": sub_id},
            "line": {
                "items": [
                    {"account": {"id": bank}, "debit": 10},
                    {"account": {"id": "9"}, "credit": 10},
                ]
            },
        },
    )
    before = erp.state()
    refused = erp.run(erp.client.delete(f"/_sim/erp/subsidiaries/{sub_id}?tenant={ACCOUNT}"))
    assert_error(refused, 400, "USER_ERROR")
    assert erp.state() == before
