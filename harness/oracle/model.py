"""What the oracle reports: violations with severities, and per-currency reconciliation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from harness.data import exponent


class Severity(StrEnum):
    """How bad a violation is.

    revenue: money is wrong (missing, duplicated, or off by any amount);
    compliance: the books or the legal-entity rules are wrong (unbalanced journals, wrong
    subsidiary, posting into a closed period, duplicate master data);
    cosmetic: a mirror or status field is missing or stale (write-backs, Billing_Status__c).
    """

    REVENUE = "revenue"
    COMPLIANCE = "compliance"
    COSMETIC = "cosmetic"


@dataclass(frozen=True)
class Refs:
    """The objects a violation is about, per system (ids as each system writes them)."""

    crm: tuple[str, ...] = ()
    billing: tuple[str, ...] = ()
    erp: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        return {"crm": list(self.crm), "billing": list(self.billing), "erp": list(self.erp)}


@dataclass(frozen=True)
class Violation:
    code: str  # stable, e.g. "ERP_INVOICE_DUPLICATE" (see harness.oracle.codes)
    severity: Severity
    message: str
    refs: Refs = field(default_factory=Refs)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity.value, "message": self.message,
                "objects": self.refs.to_dict(),
                "details": {k: _jsonable(v) for k, v in self.details.items()}}


@dataclass
class CurrencyTotals:
    """One currency's money across billing and ERP (major units, exact)."""

    currency: str
    billing_invoiced: Decimal = Decimal(0)  # finalized invoices of mapped accounts
    erp_invoiced: Decimal = Decimal(0)  # ERP invoices mirroring billing invoices
    billing_paid: Decimal = Decimal(0)
    erp_payments: Decimal = Decimal(0)
    billing_credited: Decimal = Decimal(0)  # credit notes
    erp_credited: Decimal = Decimal(0)  # credit memos
    held: Decimal = Decimal(0)  # finalized invoices of accounts without a subsidiary

    @property
    def invoiced_gap(self) -> Decimal:
        return self.billing_invoiced - self.erp_invoiced

    @property
    def paid_gap(self) -> Decimal:
        return self.billing_paid - self.erp_payments

    @property
    def credited_gap(self) -> Decimal:
        return self.billing_credited - self.erp_credited

    @property
    def reconciled(self) -> bool:
        return not (self.invoiced_gap or self.paid_gap or self.credited_gap)

    def to_dict(self) -> dict[str, Any]:
        """Amounts as text with the currency's exponent (``"12.30"``)."""
        quantum = Decimal(1).scaleb(-exponent(self.currency))

        def text(amount: Decimal) -> str:
            return str(amount.quantize(quantum))

        return {"currency": self.currency,
                "billing_invoiced": text(self.billing_invoiced),
                "erp_invoiced": text(self.erp_invoiced),
                "billing_paid": text(self.billing_paid), "erp_payments": text(self.erp_payments),
                "billing_credited": text(self.billing_credited),
                "erp_credited": text(self.erp_credited), "held": text(self.held),
                "invoiced_gap": text(self.invoiced_gap), "paid_gap": text(self.paid_gap),
                "credited_gap": text(self.credited_gap), "reconciled": self.reconciled}


@dataclass
class TaxTotals:
    """One tax jurisdiction's tax in one currency, billing against the ERP (major units).

    Billing's jurisdiction is its tax rate's ``country``; the ERP's is the country of the
    subsidiary the tax was posted in (a legal entity is a tax jurisdiction)."""

    jurisdiction: str
    currency: str
    billing_tax: Decimal = Decimal(0)  # invoices' tax less credit notes' tax
    erp_tax: Decimal = Decimal(0)  # tax lines of invoices less those of credit memos

    @property
    def key(self) -> str:
        return f"{self.jurisdiction}/{self.currency}"

    @property
    def gap(self) -> Decimal:
        return self.billing_tax - self.erp_tax

    @property
    def reconciled(self) -> bool:
        return not self.gap

    def to_dict(self) -> dict[str, Any]:
        quantum = Decimal(1).scaleb(-exponent(self.currency))
        return {"jurisdiction": self.jurisdiction, "currency": self.currency,
                "billing_tax": str(self.billing_tax.quantize(quantum)),
                "erp_tax": str(self.erp_tax.quantize(quantum)),
                "gap": str(self.gap.quantize(quantum)), "reconciled": self.reconciled}


@dataclass
class Report:
    """One oracle check: every violation found, the reconciliation, and object counts.

    ``checks`` names the checks that ran (a selection may leave some out)."""

    violations: list[Violation] = field(default_factory=list)
    totals: dict[str, CurrencyTotals] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    tax: dict[str, TaxTotals] = field(default_factory=dict)
    checks: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations

    def codes(self) -> list[str]:
        """Violation codes, sorted (with repeats)."""
        return sorted(v.code for v in self.violations)

    def by_code(self, code: str) -> list[Violation]:
        return [v for v in self.violations if v.code == code]

    def by_severity(self) -> dict[str, int]:
        counts = Counter(v.severity.value for v in self.violations)
        return {s.value: counts.get(s.value, 0) for s in Severity}

    def at_least(self, severity: Severity) -> list[Violation]:
        """Violations of ``severity`` or worse (revenue > compliance > cosmetic)."""
        order = list(Severity)
        return [v for v in self.violations if order.index(v.severity) <= order.index(severity)]

    def totals_for(self, currency: str) -> CurrencyTotals:
        return self.totals.get(currency.upper()) or CurrencyTotals(currency.upper())

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "by_severity": self.by_severity(),
                "violations": [v.to_dict() for v in self.violations],
                "totals": {c: t.to_dict() for c, t in sorted(self.totals.items())},
                "tax": {k: t.to_dict() for k, t in sorted(self.tax.items())},
                "counts": dict(sorted(self.counts.items())), "checks": list(self.checks)}

    def summary(self) -> str:
        """One line per violation, for assertion messages."""
        if self.ok:
            return "no violations"
        return "\n".join(f"[{v.severity.value}] {v.code}: {v.message}" for v in self.violations)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value
