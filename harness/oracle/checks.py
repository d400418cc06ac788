"""The invariants of docs/quote-to-cash.md, checked on a :class:`Snapshot`.

Pure functions of the snapshot: no I/O, so a check is as cheap as the reads behind it.
Amounts are compared exactly: billing minor units converted with the currency's ISO 4217
exponent, ERP amounts as Decimal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from harness.data import from_minor
from harness.oracle import codes as C
from harness.oracle.model import CurrencyTotals, Refs, Report, Severity, Violation
from harness.oracle.snapshot import Row, Snapshot

INVOICE, PAYMENT, CREDIT_MEMO, JOURNAL = "CustInvc", "CustPymt", "CustCred", "Journal"
FINALIZED = ("open", "paid", "uncollectible")
LIVE = ("active", "trialing", "past_due", "unpaid", "incomplete")
PAID_IN_FULL = "B"
_BILLING_ID = re.compile(r"\b(?:in|cn)_[A-Za-z0-9]+")
Source = tuple[frozenset[str], str, Decimal]  # ERP customer ids, currency, amount


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _meta(obj: Row, key: str) -> str | None:
    value = (obj.get("metadata") or {}).get(key)
    return str(value) if value else None


def _group(rows: Iterable[Row], key: Any) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        value = key(row)
        if value:
            out[str(value)].append(row)
    return out


class Checker:
    """Runs every check over one snapshot and collects a :class:`Report`."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.report = Report(counts=snap.counts())
        crm, billing, erp = snap.crm, snap.billing, snap.erp
        self.accounts = {str(a["Id"]): a for a in crm.accounts}
        self.opps = {str(o["Id"]): o for o in crm.opportunities}
        self.sub_by_country: dict[str, str] = {}
        for sub in sorted(erp.subsidiaries, key=lambda r: int(r["id"])):
            if sub.get("country"):
                self.sub_by_country.setdefault(str(sub["country"]).upper(), str(sub["id"]))
        self.currency_symbol = erp.currencies
        self.customers = {str(c["id"]): c for c in billing.customers}
        self.billing_customers = _group(billing.customers, lambda c: _meta(c, "crm_account_id"))
        self.erp_customers = _group(erp.customers, lambda c: c.get("externalid"))
        self.subs_by_opp = _group(billing.subscriptions,
                                  lambda s: _meta(s, "crm_opportunity_id"))
        self.subs_by_customer = _group(billing.subscriptions, lambda s: s.get("customer"))
        self.contracts_by_ext = _group(crm.contracts, lambda c: c.get("External_Id__c"))
        by_type = _group(erp.transactions, lambda t: t.get("type"))
        self.erp_by_type = by_type
        invoices, payments, notes = self._sources()
        self.erp_invoices = self._attribute(by_type.get(INVOICE, []), invoices)
        self.erp_payments = self._attribute(by_type.get(PAYMENT, []), payments)
        self.erp_memos = self._attribute(by_type.get(CREDIT_MEMO, []), notes)

    # --- attributing ERP transactions to billing objects ------------------------------------

    def _sources(self) -> tuple[dict[str, Source], dict[str, Source], dict[str, Source]]:
        """What each billing invoice, payment and credit note should look like in the ERP:
        (ERP customer ids of its account, currency, amount)."""
        invoices: dict[str, Source] = {}
        payments: dict[str, Source] = {}
        notes: dict[str, Source] = {}
        for inv in self.snap.billing.invoices:
            currency = str(inv.get("currency") or "").upper()
            account = self.account_of_customer(inv.get("customer"))
            entities = frozenset(str(c["id"]) for c in self.erp_customers.get(
                str(account["Id"]) if account else "", []))
            invoices[str(inv["id"])] = (entities, currency,
                                        from_minor(int(inv.get("total") or 0), currency))
            payments[f"pay:{inv['id']}"] = (entities, currency, from_minor(
                int(inv.get("amount_paid") or 0), currency))
        for note in self.snap.billing.credit_notes:
            currency = str(note.get("currency") or "").upper()
            account = self.account_of_customer(note.get("customer"))
            entities = frozenset(str(c["id"]) for c in self.erp_customers.get(
                str(account["Id"]) if account else "", []))
            notes[str(note["id"])] = (entities, currency,
                                      from_minor(int(note.get("total") or 0), currency))
        return invoices, payments, notes

    def _attribute(self, txns: list[Row], sources: dict[str, Source]) -> dict[str, list[Row]]:
        """ERP transactions grouped by the billing object they mirror.

        By externalId first. A transaction with no or an unknown externalId (a SUT that
        posts without the key, or with another one) is attributed by a billing id in its
        memo, else by customer + currency + amount when exactly one billing object that is
        already mirrored matches: that is how a duplicate posted without the key shows up.
        Whatever stays unattributed is grouped under its externalId ("" when none)."""
        groups: dict[str, list[Row]] = defaultdict(list)
        loose: list[Row] = []
        for txn in txns:
            ext = str(txn.get("externalid") or "")
            (groups[ext] if ext in sources else loose).append(txn)
        index: dict[tuple[str, str, Decimal], list[str]] = defaultdict(list)
        for source_id, (entities, currency, amount) in sources.items():
            for entity in entities:
                index[(entity, currency, amount)].append(source_id)
        for txn in loose:
            found = [tok for tok in _BILLING_ID.findall(str(txn.get("memo") or ""))
                     if tok in sources or f"pay:{tok}" in sources]
            source = None
            if found:
                source = found[0] if found[0] in sources else f"pay:{found[0]}"
            else:
                key = (str(txn.get("entity")), self.symbol(txn), _dec(txn.get("foreigntotal")))
                candidates = [c for c in index.get(key, []) if groups.get(c)]
                if len(candidates) == 1:
                    source = candidates[0]
            groups[source or str(txn.get("externalid") or "")].append(txn)
        return groups

    # --- helpers -------------------------------------------------------------------------

    def add(self, code: str, message: str, *, crm: Iterable[str] = (),
            billing: Iterable[str] = (), erp: Iterable[str] = (), **details: Any) -> None:
        self.report.violations.append(Violation(
            code, C.SEVERITY[code], message,
            Refs(tuple(crm), tuple(billing), tuple(str(e) for e in erp)), details))

    def totals(self, currency: str) -> CurrencyTotals:
        cur = currency.upper()
        found = self.report.totals.get(cur)
        if found is None:
            found = self.report.totals[cur] = CurrencyTotals(cur)
        return found

    def subsidiary_for(self, account: Row | None) -> str | None:
        """The ERP subsidiary of an account's legal entity, None when unmapped."""
        if account is None:
            return None
        country = str(account.get("Legal_Entity__c") or "").upper()
        return self.sub_by_country.get(country)

    def account_of_customer(self, customer_id: str | None) -> Row | None:
        customer = self.customers.get(str(customer_id)) if customer_id else None
        account_id = _meta(customer, "crm_account_id") if customer else None
        return self.accounts.get(account_id) if account_id else None

    def symbol(self, txn: Row) -> str:
        return self.currency_symbol.get(str(txn.get("currency")), "?")

    # --- the checks ----------------------------------------------------------------------

    def run(self) -> Report:
        self.check_customers()
        self.check_subscriptions()
        self.check_invoices()
        self.check_credit_notes()
        self.check_orphans()
        self.check_ledger()
        self.check_billing_status()
        return self.report

    def check_customers(self) -> None:
        for account_id, account in self.accounts.items():
            mine = self.billing_customers.get(account_id, [])
            ids = [str(c["id"]) for c in mine]
            if not mine:
                self.add(C.CUSTOMER_BILLING_MISSING,
                         f"CRM account {account_id} has no billing customer", crm=[account_id])
            elif len(mine) > 1:
                self.add(C.CUSTOMER_BILLING_DUPLICATE,
                         f"CRM account {account_id} has {len(mine)} billing customers",
                         crm=[account_id], billing=ids)
            self._writeback(account_id, "Account.Billing_Customer_Id__c",
                            account.get("Billing_Customer_Id__c"), ids)
            erp = self.erp_customers.get(account_id, [])
            erp_ids = [str(c["id"]) for c in erp]
            expected_sub = self.subsidiary_for(account)
            if expected_sub is None:
                if erp:
                    self.add(C.ERP_POSTED_UNMAPPED_ENTITY,
                             f"ERP customer for account {account_id}, whose legal entity "
                             f"{account.get('Legal_Entity__c')!r} has no subsidiary",
                             crm=[account_id], erp=erp_ids)
                continue
            if not erp:
                self.add(C.CUSTOMER_ERP_MISSING,
                         f"CRM account {account_id} has no ERP customer", crm=[account_id],
                         billing=ids)
                continue
            if len(erp) > 1:
                self.add(C.CUSTOMER_ERP_DUPLICATE,
                         f"CRM account {account_id} has {len(erp)} ERP customers",
                         crm=[account_id], billing=ids, erp=erp_ids)
            for cust in erp:
                if str(cust.get("subsidiary")) != expected_sub:
                    self.add(C.CUSTOMER_ERP_WRONG_SUBSIDIARY,
                             f"ERP customer {cust['id']} of account {account_id} is in "
                             f"subsidiary {cust.get('subsidiary')}, legal entity "
                             f"{account.get('Legal_Entity__c')} is subsidiary {expected_sub}",
                             crm=[account_id], erp=[cust["id"]],
                             expected=expected_sub, actual=cust.get("subsidiary"))
            self._writeback(account_id, "Account.ERP_Customer_Id__c",
                            account.get("ERP_Customer_Id__c"), erp_ids)

    def _writeback(self, record_id: str, field: str, value: Any, expected: list[str],
                   *, billing: Iterable[str] = (), erp: Iterable[str] = ()) -> None:
        if not expected:
            return
        refs: dict[str, Iterable[str]] = {"crm": [record_id], "billing": billing, "erp": erp}
        if field in ("Account.Billing_Customer_Id__c", "Opportunity.Billing_Subscription_Id__c",
                     "Contract.Billing_Subscription_Id__c"):
            refs["billing"] = list(billing) or expected
        elif field == "Account.ERP_Customer_Id__c":
            refs["erp"] = list(erp) or expected
        if not value:
            self.add(C.WRITEBACK_MISSING, f"{field} of {record_id} is empty; expected "
                     f"{' or '.join(expected)}", field=field, expected=expected, **refs)
        elif str(value) not in expected:
            self.add(C.WRITEBACK_MISMATCH, f"{field} of {record_id} is {value}; expected "
                     f"{' or '.join(expected)}", field=field, expected=expected,
                     actual=value, **refs)

    def check_subscriptions(self) -> None:
        lines = _group(self.snap.crm.opportunity_lines, lambda r: r.get("OpportunityId"))
        orders = _group(self.snap.crm.orders, lambda r: r.get("ContractId"))
        order_items = _group(self.snap.crm.order_items, lambda r: r.get("OrderId"))
        for opp_id, opp in self.opps.items():
            if not opp.get("IsWon"):
                continue
            account_id = str(opp.get("AccountId") or "")
            subs = self.subs_by_opp.get(opp_id, [])
            sub_ids = [str(s["id"]) for s in subs]
            if not subs:
                self.add(C.SUBSCRIPTION_MISSING,
                         f"closed-won opportunity {opp_id} has no billing subscription",
                         crm=[opp_id, account_id])
                continue
            if len(subs) > 1:
                self.add(C.SUBSCRIPTION_DUPLICATE,
                         f"closed-won opportunity {opp_id} has {len(subs)} subscriptions",
                         crm=[opp_id, account_id], billing=sub_ids)
            self._writeback(opp_id, "Opportunity.Billing_Subscription_Id__c",
                            opp.get("Billing_Subscription_Id__c"), sub_ids)
            for sub in subs:
                self._check_subscription(opp, sub, lines.get(opp_id, []), orders, order_items)

    def _check_subscription(self, opp: Row, sub: Row, opp_lines: list[Row],
                            orders: dict[str, list[Row]],
                            order_items: dict[str, list[Row]]) -> None:
        opp_id, sub_id = str(opp["Id"]), str(sub["id"])
        account_id = str(opp.get("AccountId") or "")
        owner = self.account_of_customer(sub.get("customer"))
        if owner is None or str(owner["Id"]) != account_id:
            self.add(C.SUBSCRIPTION_WRONG_CUSTOMER,
                     f"subscription {sub_id} of opportunity {opp_id} belongs to customer "
                     f"{sub.get('customer')}, not to account {account_id}'s customer",
                     crm=[opp_id, account_id], billing=[sub_id, str(sub.get("customer"))])
        currency = str(opp.get("CurrencyIsoCode") or "").upper()
        if currency and str(sub.get("currency") or "").upper() != currency:
            self.add(C.SUBSCRIPTION_CURRENCY_MISMATCH,
                     f"subscription {sub_id} is in {sub.get('currency')}, opportunity "
                     f"{opp_id} in {currency}", crm=[opp_id], billing=[sub_id])
        contracts = self.contracts_by_ext.get(sub_id, [])
        contract_ids = [str(c["Id"]) for c in contracts]
        if not contracts:
            self.add(C.CONTRACT_MISSING, f"no CRM contract with External_Id__c {sub_id}",
                     crm=[opp_id, account_id], billing=[sub_id])
        elif len(contracts) > 1:
            self.add(C.CONTRACT_DUPLICATE,
                     f"{len(contracts)} CRM contracts with External_Id__c {sub_id}",
                     crm=contract_ids, billing=[sub_id])
        for contract in contracts:
            cid = str(contract["Id"])
            if contract.get("Status") != "Activated":
                self.add(C.CONTRACT_NOT_ACTIVATED,
                         f"contract {cid} of subscription {sub_id} is {contract.get('Status')}",
                         crm=[cid, opp_id], billing=[sub_id])
            self._writeback(cid, "Contract.Billing_Subscription_Id__c",
                            contract.get("Billing_Subscription_Id__c"), [sub_id])
            if contract.get("Cancel_At_Period_End__c") and not (
                    sub.get("cancel_at_period_end") or sub.get("status") == "canceled"):
                self.add(C.SUBSCRIPTION_CANCELLATION_MISSING,
                         f"contract {cid} asks to cancel at period end; subscription {sub_id} "
                         "is not set to", crm=[cid, opp_id], billing=[sub_id])
        if sub.get("status") in ("canceled", "incomplete_expired"):
            return
        expected: dict[str, int] = defaultdict(int)
        for line in opp_lines:
            expected[str(line.get("ProductCode"))] += int(_dec(line.get("Quantity")))
        amendments = [o for c in contracts for o in orders.get(str(c["Id"]), [])]
        amendments.sort(key=lambda o: (str(o.get("ActivatedDate") or ""),
                                       str(o.get("CreatedDate") or ""), str(o["Id"])))
        for order in amendments:
            for item in order_items.get(str(order["Id"]), []):
                code = str((item.get("Product2") or {}).get("ProductCode"))
                expected[code] = int(_dec(item.get("Quantity")))
        want = {k: v for k, v in expected.items() if v > 0}
        have: dict[str, int] = defaultdict(int)
        for item in (sub.get("items") or {}).get("data", []):
            key = str((item.get("price") or {}).get("lookup_key") or "")
            code, _, cur = key.rpartition(":")
            if cur.upper() != currency:
                code = key  # a price of another currency never matches the deal's product
            have[code] += int(item.get("quantity") or 0)
        if dict(have) != want:
            self.add(C.SUBSCRIPTION_ITEMS_MISMATCH,
                     f"subscription {sub_id} items {dict(sorted(have.items()))} differ from "
                     f"the deal {dict(sorted(want.items()))}",
                     crm=[opp_id, *[str(o["Id"]) for o in amendments]], billing=[sub_id],
                     expected=want, actual=dict(have))

    def check_invoices(self) -> None:
        for inv in self.snap.billing.invoices:
            if inv.get("status") not in FINALIZED:
                continue
            inv_id = str(inv["id"])
            currency = str(inv.get("currency") or "").upper()
            total = from_minor(int(inv.get("total") or 0), currency)
            account = self.account_of_customer(inv.get("customer"))
            account_refs = [str(account["Id"])] if account else []
            subsidiary = self.subsidiary_for(account)
            posted = self.erp_invoices.get(inv_id, [])
            erp_ids = [str(t["id"]) for t in posted]
            totals = self.totals(currency)
            if subsidiary is None:
                totals.held += total
                if posted:
                    self.add(C.ERP_POSTED_UNMAPPED_ENTITY,
                             f"invoice {inv_id} posted to the ERP although its account's legal "
                             "entity has no subsidiary", crm=account_refs, billing=[inv_id],
                             erp=erp_ids)
                if inv.get("billing_reason") == "subscription_cycle":
                    self.add(C.INVOICE_NOT_HELD,
                             f"renewal invoice {inv_id} of an account without an ERP "
                             f"subsidiary was finalized ({inv.get('status')}), not held",
                             crm=account_refs, billing=[inv_id])
                continue
            if total <= 0:
                continue
            # A proration invoice may post as an ERP invoice of its charges and a credit
            # memo ``cr:<invoice id>`` of its credits (docs/quote-to-cash.md): net them.
            credits = sum((_dec(t.get("foreigntotal"))
                           for t in self.erp_memos.get(f"cr:{inv_id}", [])), Decimal(0))
            totals.billing_invoiced += total
            totals.erp_invoiced += sum((_dec(t.get("foreigntotal")) for t in posted),
                                       Decimal(0)) - credits
            if not posted:
                self.add(C.ERP_INVOICE_MISSING, f"billing invoice {inv_id} ({total} {currency}) "
                         "has no ERP invoice", crm=account_refs, billing=[inv_id])
                continue
            if len(posted) > 1:
                self.add(C.ERP_INVOICE_DUPLICATE,
                         f"billing invoice {inv_id} has {len(posted)} ERP invoices",
                         crm=account_refs, billing=[inv_id], erp=erp_ids)
            erp_customers = [str(c["id"]) for c in self.erp_customers.get(
                account_refs[0] if account_refs else "", [])]
            for txn in posted:
                self._compare_txn(C.ERP_INVOICE_AMOUNT_MISMATCH, C.ERP_INVOICE_CURRENCY_MISMATCH,
                                  "invoice", inv_id, txn, total + credits, currency,
                                  account_refs)
                if str(txn.get("subsidiary")) != subsidiary:
                    self.add(C.ERP_INVOICE_WRONG_SUBSIDIARY,
                             f"ERP invoice {txn['id']} of {inv_id} is in subsidiary "
                             f"{txn.get('subsidiary')}; the account's legal entity "
                             f"{account.get('Legal_Entity__c') if account else None} is "
                             f"subsidiary {subsidiary}", crm=account_refs, billing=[inv_id],
                             erp=[txn["id"]], expected=subsidiary, actual=txn.get("subsidiary"))
                if erp_customers and str(txn.get("entity")) not in erp_customers:
                    self.add(C.ERP_INVOICE_WRONG_CUSTOMER,
                             f"ERP invoice {txn['id']} of {inv_id} is for customer "
                             f"{txn.get('entity')}, not {' or '.join(erp_customers)}",
                             crm=account_refs, billing=[inv_id], erp=[txn["id"]])
            self._check_payment(inv, posted, account_refs)

    def _compare_txn(self, amount_code: str, currency_code: str, what: str, source_id: str,
                     txn: Row, amount: Decimal, currency: str, crm: list[str]) -> None:
        erp_amount = _dec(txn.get("foreigntotal"))
        if erp_amount != amount:
            self.add(amount_code, f"ERP {what} {txn['id']} of {source_id} is {erp_amount} "
                     f"{self.symbol(txn)}; billing says {amount} {currency} "
                     f"(difference {erp_amount - amount})", crm=crm, billing=[source_id],
                     erp=[txn["id"]], expected=amount, actual=erp_amount,
                     difference=erp_amount - amount)
        if self.symbol(txn) != currency:
            self.add(currency_code, f"ERP {what} {txn['id']} of {source_id} is in "
                     f"{self.symbol(txn)}, billing in {currency}", crm=crm,
                     billing=[source_id], erp=[txn["id"]])

    def _check_payment(self, inv: Row, posted: list[Row], crm: list[str]) -> None:
        inv_id = str(inv["id"])
        currency = str(inv.get("currency") or "").upper()
        paid = from_minor(int(inv.get("amount_paid") or 0), currency)
        payments = self.erp_payments.get(f"pay:{inv_id}", [])
        pay_ids = [str(p["id"]) for p in payments]
        totals = self.totals(currency)
        totals.erp_payments += sum((_dec(p.get("foreigntotal")) for p in payments), Decimal(0))
        if inv.get("status") != "paid" or paid <= 0:
            if payments:
                self.add(C.ERP_PAYMENT_ORPHANED, f"ERP payment for {inv_id}, which billing "
                         f"has not collected (status {inv.get('status')})", crm=crm,
                         billing=[inv_id], erp=pay_ids)
            return
        totals.billing_paid += paid
        if not payments:
            self.add(C.ERP_PAYMENT_MISSING, f"paid invoice {inv_id} ({paid} {currency}) has no "
                     "ERP payment", crm=crm, billing=[inv_id], erp=[t["id"] for t in posted])
            return
        if len(payments) > 1:
            self.add(C.ERP_PAYMENT_DUPLICATE,
                     f"paid invoice {inv_id} has {len(payments)} ERP payments", crm=crm,
                     billing=[inv_id], erp=pay_ids)
        for payment in payments:
            self._compare_txn(C.ERP_PAYMENT_AMOUNT_MISMATCH, C.ERP_PAYMENT_AMOUNT_MISMATCH,
                              "payment", inv_id, payment, paid, currency, crm)
        if len(posted) == 1 and posted[0].get("status") != PAID_IN_FULL:
            self.add(C.ERP_PAYMENT_NOT_APPLIED,
                     f"ERP invoice {posted[0]['id']} of paid invoice {inv_id} is still open",
                     crm=crm, billing=[inv_id], erp=[posted[0]["id"], *pay_ids])

    def check_credit_notes(self) -> None:
        invoices = {str(i["id"]): i for i in self.snap.billing.invoices}
        for note in self.snap.billing.credit_notes:
            if note.get("status") == "void":
                continue
            note_id = str(note["id"])
            currency = str(note.get("currency") or "").upper()
            amount = from_minor(int(note.get("total") or note.get("amount") or 0), currency)
            inv = invoices.get(str(note.get("invoice")))
            account = self.account_of_customer(note.get("customer") or
                                               (inv or {}).get("customer"))
            crm = [str(account["Id"])] if account else []
            memos = self.erp_memos.get(note_id, [])
            memo_ids = [str(m["id"]) for m in memos]
            if self.subsidiary_for(account) is None:
                if memos:
                    self.add(C.ERP_POSTED_UNMAPPED_ENTITY,
                             f"credit note {note_id} posted although its account's legal "
                             "entity has no subsidiary", crm=crm, billing=[note_id],
                             erp=memo_ids)
                continue
            totals = self.totals(currency)
            totals.billing_credited += amount
            totals.erp_credited += sum((_dec(m.get("foreigntotal")) for m in memos), Decimal(0))
            if not memos:
                self.add(C.ERP_CREDIT_MEMO_MISSING,
                         f"credit note {note_id} ({amount} {currency}) has no ERP credit memo",
                         crm=crm, billing=[note_id, str(note.get("invoice"))])
                continue
            if len(memos) > 1:
                self.add(C.ERP_CREDIT_MEMO_DUPLICATE,
                         f"credit note {note_id} has {len(memos)} ERP credit memos", crm=crm,
                         billing=[note_id], erp=memo_ids)
            for memo in memos:
                self._compare_txn(C.ERP_CREDIT_MEMO_AMOUNT_MISMATCH,
                                  C.ERP_CREDIT_MEMO_AMOUNT_MISMATCH, "credit memo", note_id,
                                  memo, amount, currency, crm)

    def check_orphans(self) -> None:
        invoices = {str(i["id"]): i for i in self.snap.billing.invoices}
        notes = {str(n["id"]) for n in self.snap.billing.credit_notes}
        for ext, txns in self.erp_invoices.items():
            inv = invoices.get(ext)
            if inv is None or inv.get("status") not in FINALIZED:
                self.add(C.ERP_INVOICE_ORPHANED,
                         f"ERP invoice(s) {', '.join(str(t['id']) for t in txns)} with "
                         f"externalId {ext or '(none)'} mirror no finalized billing invoice "
                         f"({'unknown' if inv is None else inv.get('status')})",
                         billing=[ext] if ext else [], erp=[t["id"] for t in txns])
        for ext, txns in self.erp_payments.items():
            if not ext.startswith("pay:") or ext[4:] not in invoices:
                self.add(C.ERP_PAYMENT_ORPHANED,
                         f"ERP payment {ext} mirrors no billing invoice",
                         erp=[t["id"] for t in txns])
        for ext, txns in self.erp_memos.items():
            if ext.startswith("cr:") and ext[3:] in invoices:
                continue  # the proration credit of an invoice
            if ext not in notes or not ext:
                self.add(C.ERP_CREDIT_MEMO_ORPHANED,
                         f"ERP credit memo {ext} mirrors no billing credit note",
                         erp=[t["id"] for t in txns])
        for sub in self.snap.billing.subscriptions:
            opp_id = _meta(sub, "crm_opportunity_id")
            opp = self.opps.get(opp_id) if opp_id else None
            if opp is None or not opp.get("IsWon"):
                self.add(C.SUBSCRIPTION_ORPHANED,
                         f"subscription {sub['id']} has no closed-won opportunity "
                         f"(crm_opportunity_id {opp_id})", crm=[opp_id] if opp_id else [],
                         billing=[sub["id"]])
        for cust in self.snap.billing.customers:
            account_id = _meta(cust, "crm_account_id")
            if account_id not in self.accounts:
                self.add(C.CUSTOMER_BILLING_ORPHANED,
                         f"billing customer {cust['id']} has no CRM account "
                         f"(crm_account_id {account_id})", billing=[cust["id"]])
        for cust in self.snap.erp.customers:
            if str(cust.get("externalid") or "") not in self.accounts:
                self.add(C.CUSTOMER_ERP_ORPHANED,
                         f"ERP customer {cust['id']} has no CRM account "
                         f"(externalId {cust.get('externalid')})", erp=[cust["id"]])

    def check_ledger(self) -> None:
        for row in self.snap.erp.balances:
            debit, credit = _dec(row.get("debit")), _dec(row.get("credit"))
            if debit != credit:
                self.add(C.JOURNAL_UNBALANCED, f"ERP transaction {row['transaction']} debits "
                         f"{debit} and credits {credit}", erp=[row["transaction"]],
                         debit=debit, credit=credit)
        for sub, balance in sorted(self.snap.erp.trial_balance.items()):
            if balance != 0:
                self.add(C.TRIAL_BALANCE_NONZERO,
                         f"trial balance of subsidiary {sub} is {balance}, not zero",
                         erp=[f"subsidiary:{sub}"], balance=balance)
        closed = {str(p["id"]): p for p in self.snap.erp.closed_periods}
        for txn in self.snap.erp.transactions:
            period = closed.get(str(txn.get("postingperiod")))
            if period is None:
                continue
            created = _when(txn.get("createddate"))
            closed_at = _when(period.get("lastModifiedDate"))
            if created is not None and closed_at is not None and created > closed_at:
                self.add(C.POSTED_IN_CLOSED_PERIOD,
                         f"ERP {txn.get('type')} {txn['id']} was posted into "
                         f"{period.get('periodname')} after it closed",
                         billing=[str(txn.get("externalid") or "")], erp=[txn["id"]])

    def check_billing_status(self) -> None:
        for account_id, account in self.accounts.items():
            customers = self.billing_customers.get(account_id, [])
            if not customers:
                continue
            subs = [s for c in customers for s in self.subs_by_customer.get(str(c["id"]), [])]
            live = [s for s in subs if s.get("status") in LIVE]
            delinquent = any(c.get("delinquent") for c in customers)
            status = account.get("Billing_Status__c")
            accepted: set[str | None]
            if subs and not live:
                expected, accepted = "Churned", {"Churned"}
            elif delinquent:
                expected, accepted = "Delinquent", {"Delinquent"}
            elif live:
                expected, accepted = "Active", {"Active", None}
            else:
                continue
            if status not in accepted:
                self.add(C.BILLING_STATUS_MISMATCH,
                         f"account {account_id} Billing_Status__c is {status!r}; billing says "
                         f"{expected} (delinquent={delinquent}, live subscriptions="
                         f"{len(live)}/{len(subs)})", crm=[account_id],
                         billing=[str(c["id"]) for c in customers] + [s["id"] for s in subs],
                         expected=expected, actual=status)


def _when(value: Any) -> dt.datetime | None:
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


def check(snap: Snapshot) -> Report:
    """Every invariant over one snapshot."""
    return Checker(snap).run()


__all__ = ["Checker", "Severity", "check"]
