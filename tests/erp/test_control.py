"""The ERP control plane: subsidiaries, periods, seed, clients, trial balance, restore."""

from __future__ import annotations

from pathlib import Path

from tests.erp.support import ACCOUNT, CLIENT_ID, RECORDS, Erp, assert_error


def test_add_and_remove_a_subsidiary(erp: Erp) -> None:
    response = erp.run(
        erp.client.post(
            f"/_sim/erp/subsidiaries?tenant={ACCOUNT}",
            json={"name": "Fintwin KK", "currency": "JPY", "parent": "1", "country": "JP"},
        )
    )
    assert response.status_code == 201, response.text
    sub = response.json()["id"]
    customer = erp.customer(subsidiary=sub)
    invoice = erp.invoice(customer, lines=[{"item": {"id": "1"}, "amount": "1000.4"}])
    assert erp.record("invoice", invoice)["total"] == 1000  # JPY has no minor unit
    refused = erp.run(erp.client.delete(f"/_sim/erp/subsidiaries/{sub}?tenant={ACCOUNT}"))
    assert_error(refused, 400, "USER_ERROR")
    empty = erp.run(
        erp.client.post(
            f"/_sim/erp/subsidiaries?tenant={ACCOUNT}",
            json={"name": "Dormant", "currency": "EUR", "parent": "1", "country": "AT"},
        )
    ).json()["id"]
    gone = erp.run(erp.client.delete(f"/_sim/erp/subsidiaries/{empty}?tenant={ACCOUNT}"))
    assert gone.status_code == 200
    assert erp.rows(f"SELECT COUNT(*) AS n FROM subsidiary WHERE id = {empty}") == [{"n": "0"}]


def test_period_actions_show_in_record_and_suiteql(erp: Erp) -> None:
    period = erp.current_period()
    for action, expected in (("close", "T"), ("reopen", "F")):
        response = erp.run(erp.client.post(f"/_sim/erp/periods/{period}/{action}?tenant={ACCOUNT}"))
        assert response.status_code == 200
        assert erp.rows(f"SELECT closed FROM accountingPeriod WHERE id = {period}") == [
            {"closed": expected}
        ]
    erp.run(
        erp.client.post(f"/_sim/erp/periods/{period}/lock?tenant={ACCOUNT}", json={"scope": "ar"})
    )
    assert erp.record("accountingPeriod", period)["arLocked"] is True
    bad = erp.run(erp.client.post(f"/_sim/erp/periods/{period}/explode?tenant={ACCOUNT}"))
    assert bad.status_code == 404


def test_add_next_year(erp: Erp) -> None:
    response = erp.run(
        erp.client.post(f"/_sim/erp/periods/year?tenant={ACCOUNT}", json={"year": 2099})
    )
    assert response.status_code == 201
    erp.create(
        "journalEntry",
        {
            "subsidiary": {"id": "1"},
            "tranDate": "2099-02-03",
            "line": {
                "items": [
                    {"account": {"id": "13"}, "debit": 1},
                    {"account": {"id": "1"}, "credit": 1},
                ]
            },
        },
    )
    again = erp.run(
        erp.client.post(f"/_sim/erp/periods/year?tenant={ACCOUNT}", json={"year": 2099})
    )
    assert again.status_code == 409


def test_seed_goes_through_the_record_layer(erp: Erp) -> None:
    response = erp.run(
        erp.client.post(
            f"/_sim/erp/seed?tenant={ACCOUNT}",
            json={
                "customers": 3,
                "records": [{"type": "term", "body": {"name": "Net 90", "daysUntilNetDue": 90}}],
            },
        )
    )
    assert response.status_code == 201
    assert len(response.json()["created"]) == 4
    assert erp.get(f"{RECORDS}/customer").json()["totalResults"] == 3
    bad = erp.run(
        erp.client.post(
            f"/_sim/erp/seed?tenant={ACCOUNT}",
            json={"records": [{"type": "journalEntry", "body": {"subsidiary": {"id": "1"}}}]},
        )
    )
    assert bad.status_code == 400
    assert bad.json()["o:errorDetails"][0]["o:errorCode"] == "USER_ERROR"


def test_clients_and_tenant_refs(erp: Erp) -> None:
    listing = erp.run(erp.client.get("/_sim/erp/clients")).json()["data"]
    assert {"client_id": CLIENT_ID, "account": ACCOUNT, "kids": [], "has_secret": True} in listing
    # The control plane accepts a client id wherever it takes an account.
    clock = erp.run(erp.client.get(f"/_sim/clock?tenant={CLIENT_ID}"))
    assert clock.status_code == 200
    assert erp.run(erp.client.post("/_sim/erp/clients?tenant=1", json={})).status_code == 400


def test_trial_balance_endpoint(erp: Erp) -> None:
    erp.invoice(erp.customer())
    erp.invoice(erp.customer(subsidiary="2"))
    body = erp.run(erp.client.get(f"/_sim/erp/trial-balance?tenant={ACCOUNT}")).json()
    assert body["by_subsidiary"] == {"1": "0", "2": "0"}
    assert {"subsidiary": "1", "account": "4", "debit": "200", "balance": "200"} in body["lines"]


def test_snapshot_restore_rebuilds_ledger_and_tokens(erp: Erp) -> None:
    customer = erp.customer()
    invoice = erp.invoice(customer)
    snapshot = erp.run(erp.client.get(f"/_sim/state?tenant={ACCOUNT}")).json()
    erp.invoice(customer)
    restored = erp.run(erp.client.put(f"/_sim/state?tenant={ACCOUNT}", json=snapshot))
    assert restored.status_code == 200
    # Served without an admin token, the snapshot held no access tokens (issue 18): the
    # one issued before is gone, the client signs in again; the mirror matches the store.
    assert "_token" not in snapshot["store"] and snapshot["redacted"]["kinds"] == ["_token"]
    assert_error(erp.get(f"{RECORDS}/invoice"), 401, "INVALID_LOGIN")
    erp.headers = {"Authorization": f"Bearer {erp.fetch_token()}"}
    assert erp.get(f"{RECORDS}/invoice").json()["totalResults"] == 1
    assert erp.rows("SELECT COUNT(*) AS n FROM transaction") == [{"n": "1"}]
    assert erp.rows(f"SELECT foreigntotal FROM transaction WHERE id = {invoice}") == [
        {"foreigntotal": "200"}
    ]
    # Ids continue from the snapshot's counters.
    assert erp.invoice(customer) == str(int(invoice) + 1)


def test_reset_drops_the_account_and_its_tokens(erp: Erp) -> None:
    erp.customer()
    assert erp.run(erp.client.post(f"/_sim/reset?tenant={ACCOUNT}")).status_code == 200
    assert_error(erp.get(f"{RECORDS}/customer"), 401, "INVALID_LOGIN")
    erp.headers = {"Authorization": f"Bearer {erp.fetch_token()}"}
    assert erp.get(f"{RECORDS}/customer").json()["totalResults"] == 0


def test_restart_from_state_dir_keeps_clients_tokens_and_ledger(tmp_path: Path) -> None:
    from simulators.engine.settings import SimSettings
    from tests.erp.support import BASE

    settings = SimSettings(seed=5, base_url=BASE, state_dir=str(tmp_path))
    first = Erp(settings)
    invoice = first.invoice(first.customer())
    token = first.token
    first.sim.close()
    first.close()
    second = Erp(SimSettings(seed=5, base_url=BASE, state_dir=str(tmp_path)))
    try:
        second.headers = {"Authorization": f"Bearer {token}"}
        assert second.record("invoice", invoice)["total"] == 200
        assert second.rows(f"SELECT foreigntotal FROM transaction WHERE id = {invoice}") == [
            {"foreigntotal": "200"}
        ]
    finally:
        second.close()
