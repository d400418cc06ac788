"""Property: whatever sequence of transactions goes through the HTTP API (accepted or
refused), the trial balance of every subsidiary sums to zero and matches the store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.erp.support import (
    CONSULTING,
    DEFERRED,
    EQUITY,
    HARDWARE,
    OPEX,
    RECORDS,
    UK_BANK,
    UK_SUB,
    US_BANK,
    US_SUB,
    USD,
    Erp,
)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
line = st.fixed_dictionaries(
    {
        "item": st.sampled_from([CONSULTING, HARDWARE]),
        "quantity": st.integers(min_value=1, max_value=5),
        "rate": amounts,
        "taxRate1": st.sampled_from([None, "0", "7.5", "20"]),
    }
)
step = st.one_of(
    st.tuples(st.just("invoice"), st.integers(0, 2), st.lists(line, min_size=1, max_size=3)),
    st.tuples(st.just("payment"), st.integers(0, 2), amounts),
    st.tuples(st.just("credit"), st.integers(0, 2), amounts),
    st.tuples(
        st.just("journal"),
        st.sampled_from([US_SUB, UK_SUB]),
        st.lists(amounts, min_size=1, max_size=3),
        st.booleans(),
    ),
    st.tuples(st.just("delete"), st.integers(0, 50)),
)


def apply(erp: Erp, customers: list[str], action: tuple[Any, ...]) -> None:
    kind = action[0]
    if kind == "invoice":
        items = [
            {
                "item": {"id": ln["item"]},
                "quantity": ln["quantity"],
                "rate": str(ln["rate"]),
                **({"taxRate1": ln["taxRate1"]} if ln["taxRate1"] else {}),
            }
            for ln in action[2]
        ]
        extra = {"currency": {"id": USD}} if action[1] == 2 else {}
        erp.post(
            f"{RECORDS}/invoice",
            json={"entity": {"id": customers[action[1]]}, "item": {"items": items}, **extra},
        )
    elif kind in ("payment", "credit"):
        customer = customers[action[1]]
        open_invoices = erp.rows(
            f"SELECT id FROM transaction WHERE type = 'CustInvc' AND status = 'A' "
            f"AND entity = {customer} ORDER BY id"
        )
        apply_lines = [
            {"doc": {"id": r["id"]}, "amount": str(action[2])} for r in open_invoices[:1]
        ]
        if kind == "payment":
            body: dict[str, Any] = {
                "customer": {"id": customer},
                "payment": str(action[2]),
                "apply": {"items": apply_lines},
            }
            erp.post(f"{RECORDS}/customerPayment", json=body)
        else:
            body = {
                "entity": {"id": customer},
                "item": {"items": [{"item": {"id": CONSULTING}, "amount": str(action[2])}]},
                "apply": {"items": apply_lines},
            }
            erp.post(f"{RECORDS}/creditMemo", json=body)
    elif kind == "journal":
        sub, values, balanced = action[1], action[2], action[3]
        bank = US_BANK if sub == US_SUB else UK_BANK
        lines = [
            {"account": {"id": OPEX if i % 2 else DEFERRED}, "debit": str(v)}
            for i, v in enumerate(values)
        ]
        total = sum(values, Decimal(0)) + (0 if balanced else Decimal("0.01"))
        lines.append({"account": {"id": bank}, "credit": str(total)})
        lines.append({"account": {"id": EQUITY}, "debit": "1"})
        lines.append({"account": {"id": EQUITY}, "credit": "1"})
        erp.post(
            f"{RECORDS}/journalEntry", json={"subsidiary": {"id": sub}, "line": {"items": lines}}
        )
    else:
        txns = erp.rows("SELECT id, recordtype FROM transaction ORDER BY id")
        if txns:
            target = txns[action[1] % len(txns)]
            names = {
                "invoice": "invoice",
                "customerpayment": "customerPayment",
                "creditmemo": "creditMemo",
                "journalentry": "journalEntry",
            }
            erp.request("DELETE", f"{RECORDS}/{names[target['recordtype']]}/{target['id']}")


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(step, min_size=1, max_size=12))
def test_trial_balance_stays_zero(actions: list[tuple[Any, ...]]) -> None:
    erp = Erp()
    try:
        customers = [
            erp.customer(companyName="US"),
            erp.customer(companyName="UK", subsidiary=UK_SUB),
            erp.customer(
                companyName="UK-USD",
                subsidiary=UK_SUB,
                currencyList={"items": [{"currency": {"id": USD}}]},
            ),
        ]
        for action in actions:
            apply(erp, customers, action)
        by_sub = erp.rows(
            "SELECT tl.subsidiary AS sub, SUM(tal.debit) AS d, SUM(tal.credit) AS c "
            "FROM transactionAccountingLine tal JOIN transactionLine tl "
            "ON tl.transaction = tal.transaction AND tl.id = tal.transactionline "
            "GROUP BY tl.subsidiary"
        )
        for row in by_sub:
            assert Decimal(row.get("d", "0")) == Decimal(row.get("c", "0")), row
        # The mirror holds exactly the postings the store holds.
        stored = Decimal(0)
        for kind in ("invoice", "creditmemo", "customerpayment", "journalentry"):
            for rec in erp.tenant.store.all(kind):
                stored += sum((Decimal(g["debit"]) for g in rec["_gl"]["lines"]), Decimal(0))
        ledger = sum((Decimal(r.get("d", "0")) for r in by_sub), Decimal(0))
        assert ledger == stored
        # Invoices never owe less than zero nor more than their total.
        for inv in erp.tenant.store.all("invoice"):
            assert Decimal(0) <= Decimal(inv["amountRemaining"]) <= Decimal(inv["total"])
    finally:
        erp.close()
