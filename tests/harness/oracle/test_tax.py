"""Tax on hand-made states: per invoice and credit note, per jurisdiction, and billing's
rates per legal entity."""

from __future__ import annotations

from decimal import Decimal

from harness.oracle import Severity, check, codes
from harness.oracle.snapshot import Snapshot
from tests.harness.oracle.states import T0, Row, deal, invoice, txn

GB_VAT = {"id": "txr_gb", "country": "GB", "percentage": 20.0, "inclusive": True,
          "active": True, "created": T0 - 100}
US_TAX = {"id": "txr_us", "country": "US", "percentage": 8.875, "inclusive": False,
          "active": True, "created": T0 - 100}


def vat_invoice(total: int = 12000, tax: int = 2000) -> Row:
    """120.00 GBP gross, 20.00 of it VAT (inclusive)."""
    return invoice(total=total, currency="gbp", tax=[
        {"amount": tax, "inclusive": True, "tax_rate": "txr_gb", "taxable_amount": total - tax}])


def gb(*, erp_tax: str = "20.00", erp_total: str = "120.00", subsidiary: str = "2",
       rates: list[Row] | None = None, inv: Row | None = None) -> Snapshot:
    """The GB deal, its ERP invoice booking ``erp_tax`` of tax lines."""
    return deal(entity="GB", invoices=[inv or vat_invoice()], tax_rates=rates or [GB_VAT],
                transactions=[
                    txn("10", "CustInvc", "in_1", erp_total, subsidiary=subsidiary,
                        currency="2"),
                    txn("11", "CustPymt", "pay:in_1", erp_total, subsidiary=subsidiary,
                        currency="2")],
                tax_lines={"10": -Decimal(erp_tax)})


def test_inclusive_vat_booked_as_billed_is_clean_and_reconciles_per_jurisdiction() -> None:
    report = check(gb())
    assert report.ok, report.summary()
    vat = report.tax["GB/GBP"]
    assert vat.billing_tax == vat.erp_tax == Decimal("20.00") and vat.reconciled


def test_tax_booked_short_on_an_invoice() -> None:
    """The total is right (tax booked as revenue) but the tax lines come to 18.00."""
    report = check(gb(erp_tax="18.00"))
    assert report.codes() == [codes.ERP_TAX_JURISDICTION_MISMATCH, codes.ERP_TAX_MISMATCH]
    per_invoice = report.by_code(codes.ERP_TAX_MISMATCH)[0]
    assert per_invoice.refs.billing == ("in_1",) and per_invoice.refs.erp == ("10",)
    assert per_invoice.details["expected"] == Decimal("20.00")
    assert per_invoice.severity is Severity.COMPLIANCE
    assert report.tax["GB/GBP"].gap == Decimal("2.00")


def test_tax_ignored_by_the_erp_posting() -> None:
    report = check(gb(erp_tax="0", erp_total="100.00"))
    assert set(report.codes()) >= {codes.ERP_TAX_MISMATCH, codes.ERP_INVOICE_AMOUNT_MISMATCH,
                                   codes.ERP_TAX_JURISDICTION_MISMATCH}


def test_tax_booked_in_another_jurisdiction() -> None:
    """The GB invoice posted (with its VAT) in the US subsidiary: per jurisdiction, GB is
    short and the US over."""
    report = check(gb(subsidiary="1"))
    assert codes.ERP_INVOICE_WRONG_SUBSIDIARY in report.codes()
    gaps = {v.details["jurisdiction"]: v.details["erp_tax"]
            for v in report.by_code(codes.ERP_TAX_JURISDICTION_MISMATCH)}
    assert gaps == {"GB": Decimal(0), "US": Decimal("20.00")}


def test_a_credit_notes_tax_booked_wrong() -> None:
    note = {"id": "cn_1", "invoice": "in_1", "customer": "cus_1", "currency": "gbp",
            "status": "issued", "total": 6000, "total_excluding_tax": 5000, "created": T0}
    snap = gb()
    snap = deal(entity="GB", invoices=[dict(i) for i in snap.billing.invoices],
                tax_rates=[GB_VAT], notes=[note], transactions=[
                    *(dict(t) for t in snap.erp.transactions),
                    txn("12", "CustCred", "cn_1", "60.00", subsidiary="2", currency="2")],
                tax_lines={"10": Decimal("-20.00"), "12": Decimal("12.00")})
    report = check(snap)
    assert report.codes() == [codes.ERP_TAX_JURISDICTION_MISMATCH, codes.ERP_TAX_MISMATCH]
    assert report.by_code(codes.ERP_TAX_MISMATCH)[0].refs.billing == ("cn_1",)
    assert report.tax["GB/GBP"].billing_tax == Decimal("10.00")


def test_billing_taxes_a_legal_entity_at_its_rates() -> None:
    """An invoice of the GB entity without the GB rate (the SUT did not apply it), or with
    the US rate, is taxed wrong in billing, whatever the ERP books."""
    untaxed = invoice(total=10000, currency="gbp")
    report = check(gb(inv=untaxed, erp_tax="0", erp_total="100.00"))
    [wrong] = report.violations
    assert wrong.code == codes.INVOICE_TAX_RATE_MISMATCH and wrong.refs.crm == ("001A",)
    assert wrong.details == {"expected": ["txr_gb"], "actual": []}
    us_rate = invoice(total=10888, currency="gbp", tax=[
        {"amount": 888, "inclusive": False, "tax_rate": "txr_us", "taxable_amount": 10000}])
    report = check(gb(inv=us_rate, erp_tax="8.88", erp_total="108.88",
                      rates=[GB_VAT, US_TAX]))
    assert report.by_code(codes.INVOICE_TAX_RATE_MISMATCH)[0].details["actual"] == ["txr_us"]


def test_a_rate_created_after_an_invoice_does_not_apply_to_it() -> None:
    later = {**GB_VAT, "created": T0 + 3600}
    untaxed = invoice(total=10000, currency="gbp")
    report = check(gb(inv=untaxed, erp_tax="0", erp_total="100.00", rates=[later]))
    assert report.ok, report.summary()


def test_a_downgrades_credit_gives_back_its_tax() -> None:
    """A taxed downgrade: billing credits 12.00 of VAT with the 72.00; the credit memo's
    tax lines must give back exactly that."""
    down = invoice("in_2", total=-7200, status="paid", paid=0, currency="gbp",
                   reason="subscription_update", tax=[
                       {"amount": -1200, "inclusive": True, "tax_rate": "txr_gb",
                        "taxable_amount": -6000}])
    def posted(memo_tax: str) -> Snapshot:
        return deal(entity="GB", invoices=[vat_invoice(), down], tax_rates=[GB_VAT],
                    transactions=[
                        txn("10", "CustInvc", "in_1", "120.00", subsidiary="2", currency="2"),
                        txn("11", "CustPymt", "pay:in_1", "120.00", subsidiary="2",
                            currency="2"),
                        txn("12", "CustCred", "cr:in_2", "72.00", subsidiary="2",
                            currency="2")],
                    tax_lines={"10": Decimal("-20.00"), "12": Decimal(memo_tax)})
    assert check(posted("12.00")).ok, check(posted("12.00")).summary()
    wrong = check(posted("0"))
    assert wrong.codes() == [codes.ERP_TAX_JURISDICTION_MISMATCH, codes.ERP_TAX_MISMATCH]
    assert wrong.by_code(codes.ERP_TAX_MISMATCH)[0].refs.erp == ("12",)
