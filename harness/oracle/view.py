"""The one read-only view of a snapshot that every check reads.

A :class:`View` freezes the snapshot (mappings become read-only, lists tuples), so no check
can change what another sees, and derives the indexes several checks share once, on first
use: accounts by id, billing and ERP customers by CRM account, subscriptions by
opportunity, and the attribution of ERP transactions to the billing objects they mirror.
Checks are functions of a view (:mod:`harness.oracle.registry`); none depends on another
having run.

Amounts are compared exactly: billing minor units converted with the currency's ISO 4217
exponent, ERP amounts as Decimal. Business dates are UTC calendar days of billing's unix
timestamps (docs/quote-to-cash.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields, replace
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypeVar

from harness.data import from_minor
from harness.oracle import codes as C
from harness.oracle.model import Refs, Violation
from harness.oracle.snapshot import BillingState, CrmState, ErpState, Evidence, Row, Snapshot

INVOICE, PAYMENT, CREDIT_MEMO, JOURNAL = "CustInvc", "CustPymt", "CustCred", "Journal"
FINALIZED = ("open", "paid", "uncollectible")
LIVE = ("active", "trialing", "past_due", "unpaid", "incomplete")
PAID_IN_FULL = "B"
PAYMENT_PREFIX, PRORATION_CREDIT_PREFIX = "pay:", "cr:"
_BILLING_ID = re.compile(r"\b(?:in|cn)_[A-Za-z0-9]+")
Source = tuple[frozenset[str], str, Decimal]  # ERP customer ids, currency, amount
Rows = tuple[Row, ...]
S = TypeVar("S", CrmState, BillingState, ErpState, Evidence)


def freeze(value: Any) -> Any:
    """``value`` with every mapping read-only and every list a tuple, all the way down."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def _frozen(state: S) -> S:
    return replace(state, **{f.name: freeze(getattr(state, f.name)) for f in fields(state)})


def dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def meta(obj: Row | None, key: str) -> str | None:
    value = ((obj or {}).get("metadata") or {}).get(key)
    return str(value) if value else None


def group(rows: Iterable[Row], key: Callable[[Row], Any]) -> dict[str, Rows]:
    """``rows`` grouped by ``key`` (rows whose key is empty are left out)."""
    out: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        value = key(row)
        if value:
            out[str(value)].append(row)
    return {k: tuple(v) for k, v in out.items()}


def ref_id(value: Any) -> str | None:
    """An id, whether a Stripe field holds it bare or expanded."""
    if isinstance(value, Mapping):
        return str(value["id"]) if value.get("id") else None
    return str(value) if value else None


def day_of(unix: Any) -> dt.date | None:
    """The UTC calendar day of a unix timestamp (billing's business dates)."""
    if unix in (None, ""):
        return None
    return dt.datetime.fromtimestamp(int(unix), dt.UTC).date()


def erp_date(value: Any) -> dt.date | None:
    """A SuiteQL date (``1/31/2026``) or an ISO one."""
    if not value:
        return None
    text = str(value).strip()
    for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text[:10] if fmt == "%Y-%m-%d" else text, fmt).date()
        except ValueError:
            pass
    return None


def erp_moment(value: Any) -> dt.datetime | None:
    """A SuiteQL datetime (``1/15/2026 12:00``) or an ISO one, to the minute (SuiteQL
    renders minutes only), naive UTC."""
    if not value:
        return None
    text = str(value).strip().rstrip("Z")
    for fmt in ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(second=0, microsecond=0)


def violation(code: str, message: str, *, crm: Iterable[str] = (),
              billing: Iterable[str] = (), erp: Iterable[Any] = (),
              **details: Any) -> Violation:
    """A violation of ``code`` with its severity (harness.oracle.codes) and the objects it
    is about in each system."""
    return Violation(code, C.SEVERITY[code], message,
                     Refs(tuple(crm), tuple(billing), tuple(str(e) for e in erp)), details)


class View:
    """A frozen snapshot and the indexes derived from it (each built once, on first use)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.crm: CrmState = _frozen(snapshot.crm)
        self.billing: BillingState = _frozen(snapshot.billing)
        self.erp: ErpState = _frozen(snapshot.erp)
        self.evidence: Evidence = _frozen(snapshot.evidence)
        self.counts = snapshot.counts()

    # --- the CRM and billing --------------------------------------------------------------

    @cached_property
    def accounts(self) -> Mapping[str, Row]:
        return MappingProxyType({str(a["Id"]): a for a in self.crm.accounts})

    @cached_property
    def opportunities(self) -> Mapping[str, Row]:
        return MappingProxyType({str(o["Id"]): o for o in self.crm.opportunities})

    @cached_property
    def customers(self) -> Mapping[str, Row]:
        """Billing customers by id."""
        return MappingProxyType({str(c["id"]): c for c in self.billing.customers})

    @cached_property
    def invoices(self) -> Mapping[str, Row]:
        """Billing invoices by id."""
        return MappingProxyType({str(i["id"]): i for i in self.billing.invoices})

    @cached_property
    def credit_notes(self) -> Mapping[str, Row]:
        return MappingProxyType({str(n["id"]): n for n in self.billing.credit_notes})

    @cached_property
    def tax_rates(self) -> Mapping[str, Row]:
        return MappingProxyType({str(r["id"]): r for r in self.billing.tax_rates})

    @cached_property
    def billing_customers(self) -> Mapping[str, Rows]:
        """Billing customers by their CRM account (``metadata.crm_account_id``)."""
        return MappingProxyType(group(self.billing.customers,
                                      lambda c: meta(c, "crm_account_id")))

    @cached_property
    def subs_by_opportunity(self) -> Mapping[str, Rows]:
        return MappingProxyType(group(self.billing.subscriptions,
                                      lambda s: meta(s, "crm_opportunity_id")))

    @cached_property
    def subs_by_customer(self) -> Mapping[str, Rows]:
        return MappingProxyType(group(self.billing.subscriptions, lambda s: s.get("customer")))

    @cached_property
    def contracts_by_subscription(self) -> Mapping[str, Rows]:
        return MappingProxyType(group(self.crm.contracts, lambda c: c.get("External_Id__c")))

    @cached_property
    def invoices_by_subscription(self) -> Mapping[str, Rows]:
        return MappingProxyType(group(self.billing.invoices,
                                      lambda i: ref_id(i.get("subscription"))))

    def account_of_customer(self, customer_id: Any) -> Row | None:
        customer = self.customers.get(str(customer_id)) if customer_id else None
        account_id = meta(customer, "crm_account_id")
        return self.accounts.get(account_id) if account_id else None

    def crm_refs(self, customer_id: Any) -> list[str]:
        account = self.account_of_customer(customer_id)
        return [str(account["Id"])] if account else []

    # --- the ERP --------------------------------------------------------------------------

    @cached_property
    def subsidiary_by_country(self) -> Mapping[str, str]:
        out: dict[str, str] = {}
        for sub in sorted(self.erp.subsidiaries, key=lambda r: int(r["id"])):
            if sub.get("country"):
                out.setdefault(str(sub["country"]).upper(), str(sub["id"]))
        return MappingProxyType(out)

    @cached_property
    def country_of_subsidiary(self) -> Mapping[str, str]:
        return MappingProxyType({str(s["id"]): str(s.get("country") or "").upper()
                                 for s in self.erp.subsidiaries})

    def subsidiary_for(self, account: Row | None) -> str | None:
        """The ERP subsidiary of an account's legal entity, None when unmapped."""
        if account is None:
            return None
        return self.subsidiary_by_country.get(str(account.get("Legal_Entity__c") or "").upper())

    @cached_property
    def erp_customers(self) -> Mapping[str, Rows]:
        """ERP customers by their CRM account (``externalId``)."""
        return MappingProxyType(group(self.erp.customers, lambda c: c.get("externalid")))

    def erp_customer_ids(self, account_id: str | None) -> list[str]:
        return [str(c["id"]) for c in self.erp_customers.get(account_id or "", ())]

    def symbol(self, txn: Row) -> str:
        return self.erp.currencies.get(str(txn.get("currency")), "?")

    def tax_of(self, txn: Row) -> Decimal:
        """The tax a transaction posted (its tax lines), as a magnitude."""
        return abs(self.erp.tax_lines.get(str(txn["id"]), Decimal(0)))

    @cached_property
    def erp_by_type(self) -> Mapping[str, Rows]:
        return MappingProxyType(group(self.erp.transactions, lambda t: t.get("type")))

    @cached_property
    def periods(self) -> tuple[Row, ...]:
        """Posting (monthly) periods in date order."""
        return tuple(sorted(self.erp.periods, key=lambda p: erp_date(p.get("startdate"))
                            or dt.date.min))

    @cached_property
    def closed_at(self) -> Mapping[str, dt.datetime | None]:
        """Closed periods by id: when each was closed (its last modification)."""
        return MappingProxyType({str(p["id"]): erp_moment(p.get("lastModifiedDate"))
                                 for p in self.erp.closed_periods})

    def period_of(self, day: dt.date) -> Row | None:
        for period in self.periods:
            start, end = erp_date(period.get("startdate")), erp_date(period.get("enddate"))
            if start is not None and end is not None and start <= day <= end:
                return period
        return None

    # --- which billing object each ERP transaction mirrors -------------------------------

    @cached_property
    def _sources(self) -> tuple[dict[str, Source], dict[str, Source], dict[str, Source]]:
        """What each billing invoice, payment and credit note should look like in the ERP:
        (ERP customer ids of its account, currency, amount)."""
        invoices: dict[str, Source] = {}
        payments: dict[str, Source] = {}
        notes: dict[str, Source] = {}
        for inv in self.billing.invoices:
            currency = str(inv.get("currency") or "").upper()
            entities = frozenset(self.erp_customer_ids(next(iter(self.crm_refs(
                inv.get("customer"))), None)))
            invoices[str(inv["id"])] = (entities, currency,
                                        from_minor(int(inv.get("total") or 0), currency))
            payments[PAYMENT_PREFIX + str(inv["id"])] = (entities, currency, from_minor(
                int(inv.get("amount_paid") or 0), currency))
        for note in self.billing.credit_notes:
            currency = str(note.get("currency") or "").upper()
            entities = frozenset(self.erp_customer_ids(next(iter(self.crm_refs(
                note.get("customer"))), None)))
            notes[str(note["id"])] = (entities, currency,
                                      from_minor(int(note.get("total") or 0), currency))
        return invoices, payments, notes

    def _attribute(self, txns: Sequence[Row], sources: Mapping[str, Source]
                   ) -> Mapping[str, Rows]:
        """ERP transactions grouped by the billing object they mirror.

        By externalId first (``pay:{invoice}:{payment}``, one of several payments of an
        invoice, under ``pay:{invoice}``). A transaction with no or an unknown externalId
        (a SUT that posts without the key, or with another one) is attributed by a billing
        id in its memo, else by customer + currency + amount when exactly one billing object
        that is already mirrored matches: that is how a duplicate posted without the key
        shows up.
        Whatever stays unattributed is grouped under its externalId ("" when none)."""
        groups: dict[str, list[Row]] = defaultdict(list)
        loose: list[Row] = []
        for txn in txns:
            ext = str(txn.get("externalid") or "")
            # ``pay:{invoice}:{payment}``: one of several payments of an invoice.
            head = ":".join(ext.split(":")[:2])
            if ext in sources or head in sources:
                groups[ext if ext in sources else head].append(txn)
            else:
                loose.append(txn)
        index: dict[tuple[str, str, Decimal], list[str]] = defaultdict(list)
        for source_id, (entities, currency, amount) in sources.items():
            for entity in entities:
                index[(entity, currency, amount)].append(source_id)
        for txn in loose:
            found = [tok for tok in _BILLING_ID.findall(str(txn.get("memo") or ""))
                     if tok in sources or PAYMENT_PREFIX + tok in sources]
            source = None
            if found:
                source = found[0] if found[0] in sources else PAYMENT_PREFIX + found[0]
            else:
                key = (str(txn.get("entity")), self.symbol(txn), dec(txn.get("foreigntotal")))
                candidates = [c for c in index.get(key, []) if groups.get(c)]
                if len(candidates) == 1:
                    source = candidates[0]
            groups[source or str(txn.get("externalid") or "")].append(txn)
        return MappingProxyType({k: tuple(v) for k, v in groups.items()})

    @cached_property
    def erp_invoices(self) -> Mapping[str, Rows]:
        """ERP invoices by the billing invoice id they mirror."""
        return self._attribute(self.erp_by_type.get(INVOICE, ()), self._sources[0])

    @cached_property
    def erp_payments(self) -> Mapping[str, Rows]:
        """ERP customer payments by ``pay:{billing invoice id}``."""
        return self._attribute(self.erp_by_type.get(PAYMENT, ()), self._sources[1])

    @cached_property
    def erp_memos(self) -> Mapping[str, Rows]:
        """ERP credit memos by billing credit note id (``cr:{invoice id}`` for the
        proration credits of an invoice)."""
        return self._attribute(self.erp_by_type.get(CREDIT_MEMO, ()), self._sources[2])

    def proration_credits(self, invoice_id: str) -> Rows:
        return self.erp_memos.get(PRORATION_CREDIT_PREFIX + invoice_id, ())


__all__ = ["View", "day_of", "dec", "erp_date", "erp_moment", "freeze", "group", "meta",
           "ref_id", "violation"]
