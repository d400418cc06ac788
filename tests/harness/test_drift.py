"""The drift report (harness/drift.py): what it flags, and the fake against the SDK."""

from __future__ import annotations

from harness import drift


def test_each_kind_of_difference_is_flagged() -> None:
    # A customer as the SDK would not have it: a field it does not declare, null where
    # it declares no Optional, no ``created``... and tax_exempt outside its Literal.
    obj = {"object": "customer", "id": "cus_1", "livemode": None, "colour": "red",
           "tax_exempt": "sometimes"}
    row = drift.compare(drift.SDK_VERSION, obj)
    assert "colour" in row.invented
    assert "livemode" in row.nullability
    assert "created" in row.missing
    assert "tax_exempt='sometimes'" in row.enum
    # Explained differences are kept apart, with their reasons.
    assert "cash_balance" not in row.missing
    assert any(e.startswith("missing cash_balance: includable") for e in row.explained)


def test_the_billing_fake_has_no_unexplained_drift() -> None:
    rows = drift.report()
    assert {r.version for r in rows} == {drift.PRE_BASIL, drift.BASIL, drift.CLOVER,
                                         drift.SDK_VERSION}
    assert len({r.obj for r in rows}) >= 20
    unexplained = [(r.version, r.obj, r.missing, r.invented, r.nullability, r.enum)
                   for r in rows if r.unexplained]
    assert not unexplained, drift.render_text(rows)
