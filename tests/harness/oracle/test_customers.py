"""customer_names: the billing and ERP customers carry the CRM account's name."""

from __future__ import annotations

import dataclasses

from harness.oracle import codes, run
from harness.oracle.snapshot import Snapshot
from tests.harness.oracle.states import deal


def named(billing: str | None, erp: str | None, account: str = "Acme GmbH") -> Snapshot:
    snap = deal()
    crm = dataclasses.replace(snap.crm, accounts=[{**snap.crm.accounts[0], "Name": account}])
    billing_state = dataclasses.replace(snap.billing, customers=[
        {**snap.billing.customers[0], "name": billing}])
    erp_state = dataclasses.replace(snap.erp, customers=[
        {**snap.erp.customers[0], "companyname": erp}])
    return dataclasses.replace(snap, crm=crm, billing=billing_state, erp=erp_state)


def test_customers_named_as_the_account_pass() -> None:
    assert run(named("Acme GmbH", "Acme GmbH"), checks=["customer_names"]).ok


def test_a_customer_named_by_its_crm_id_is_a_violation_naming_the_system() -> None:
    report = run(named("Acme GmbH", "001A"), checks=["customer_names"])
    (found,) = report.violations
    assert found.code == codes.CUSTOMER_NAME_MISMATCH
    assert found.refs.erp == ("7",) and found.refs.crm == ("001A",)
    assert found.details["expected"] == "Acme GmbH" and found.details["actual"] == "001A"
    both = run(named(None, "001A"), checks=["customer_names"])
    assert {v.refs.billing for v in both.violations} == {("cus_1",), ()}
