"""Per-object rules: derived fields and roll-ups, as the platform computes them on a write.

Facts used (Object Reference for the Salesforce Platform, per object):

* Opportunity: IsClosed/IsWon follow StageName; Probability and ForecastCategoryName
  default from the stage; once an opportunity has products its Amount is the sum of the
  line items' TotalPrice and TotalOpportunityQuantity the sum of their Quantity.
* OpportunityLineItem / QuoteLineItem: give UnitPrice or TotalPrice, not both;
  TotalPrice = Quantity * UnitPrice less Discount; ListPrice comes from the price book
  entry, whose price book must be the parent's.
* Quote: Subtotal, TotalPrice, GrandTotal (TotalPrice + Tax + ShippingHandling) and
  LineItemCount roll up from the quote line items.
* Order: TotalAmount rolls up from the order products.
* Contract: EndDate = StartDate + ContractTerm months - 1 day.
* PricebookEntry: a custom price needs a standard price for the product first.

A rule that changes another record (a parent's roll-up, the price book a first line item
sets) writes it through the transaction's write path (``txn.apply_update``), like any write.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from simulators.crm import errors as E
from simulators.crm.records.lookups import Record, children, live
from simulators.crm.schema import OPPORTUNITY_STAGES, ObjectDef
from simulators.crm.wire import sf_datetime

if TYPE_CHECKING:
    from simulators.crm.records.write import Txn



# Default stage settings of a new org (Setup, "Opportunity Stages"): probability and
# forecast category per stage.
STAGE_DEFAULTS: dict[str, tuple[int, str]] = {
    "Prospecting": (10, "Pipeline"),
    "Qualification": (10, "Pipeline"),
    "Needs Analysis": (20, "Pipeline"),
    "Value Proposition": (50, "Pipeline"),
    "Id. Decision Makers": (60, "Pipeline"),
    "Perception Analysis": (70, "Pipeline"),
    "Proposal/Price Quote": (75, "Pipeline"),
    "Negotiation/Review": (90, "Pipeline"),
    "Closed Won": (100, "Closed"),
    "Closed Lost": (0, "Omitted"),
}
assert set(STAGE_DEFAULTS) == set(OPPORTUNITY_STAGES)

CONTRACT_STATUS_CODES = {
    "Draft": "Draft",
    "In Approval Process": "InApproval",
    "Activated": "Activated",
}
DEFAULT_CURRENCY = "USD"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Children deleted with their parent (master-detail style relationships).
CASCADES: dict[str, tuple[tuple[str, str], ...]] = {
    "Opportunity": (("OpportunityLineItem", "OpportunityId"), ("Quote", "OpportunityId")),
    "Quote": (("QuoteLineItem", "QuoteId"),),
    "Order": (("OrderItem", "OrderId"),),
    "Account": (("Contact", "AccountId"), ("Opportunity", "AccountId")),
}
# Line items whose writes change their parent's roll-ups.
ROLLUPS = {
    "OpportunityLineItem": ("Opportunity", "OpportunityId"),
    "QuoteLineItem": ("Quote", "QuoteId"),
    "OrderItem": ("Order", "OrderId"),
}


def defaulted(sobject: str, name: str) -> bool:
    """Required fields the platform fills in itself."""
    return (sobject, name) in {("OpportunityLineItem", "Quantity"), ("QuoteLineItem", "UnitPrice")}


def _money(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def derive(txn: Txn, obj: ObjectDef, rec: Record, old: Record | None, given: set[str]) -> None:
    deriver = _DERIVERS.get(obj.name)
    if deriver is not None:
        deriver(txn, rec, old, given)


def _derive_contact(txn: Txn, rec: Record, old: Record | None, given: set[str]) -> None:
    rec["Name"] = " ".join(p for p in (rec.get("FirstName"), rec.get("LastName")) if p)


def _derive_opportunity(txn: Txn, rec: Record, old: Record | None, given: set[str]) -> None:
    stage = rec.get("StageName")
    stage_changed = old is None or old.get("StageName") != stage
    if stage in STAGE_DEFAULTS and stage_changed:
        probability, category = STAGE_DEFAULTS[stage]
        if "Probability" not in given:
            rec["Probability"] = Decimal(probability)
        if "ForecastCategoryName" not in given:
            rec["ForecastCategoryName"] = category
    rec["IsClosed"] = stage in ("Closed Won", "Closed Lost")
    rec["IsWon"] = stage == "Closed Won"
    if old is not None and old.get("HasOpportunityLineItem"):
        lines = children(txn.org, "OpportunityLineItem", "OpportunityId", rec["Id"])
        _opportunity_totals(rec, lines)
    close = rec.get("CloseDate")
    if close:
        day = date.fromisoformat(close)
        rec["FiscalYear"] = day.year
        rec["FiscalQuarter"] = (day.month - 1) // 3 + 1
    amount, chance = rec.get("Amount"), rec.get("Probability")
    rec["ExpectedRevenue"] = (
        None
        if amount is None or chance is None
        else ((_money(amount) * _money(chance) / HUNDRED).quantize(CENT, ROUND_HALF_UP))
    )


def _opportunity_totals(rec: Record, lines: list[Record]) -> None:
    rec["HasOpportunityLineItem"] = bool(lines)
    if lines:
        rec["Amount"] = sum((_money(li.get("TotalPrice")) for li in lines), Decimal("0.00"))
        rec["TotalOpportunityQuantity"] = sum(
            (_money(li.get("Quantity")) for li in lines), Decimal("0.00")
        )


def _pricebook_entry(txn: Txn, rec: Record) -> Record:
    entry = live(txn.org, "PricebookEntry", str(rec.get("PricebookEntryId") or ""))
    if entry is None:
        raise E.required_missing(["PricebookEntryId"])
    return entry


def _line_prices(
    txn: Txn, rec: Record, old: Record | None, given: set[str], parent_obj: str, parent_field: str
) -> Record:
    """Shared by the three line item objects: prices from the entry, totals, checks."""
    entry = _pricebook_entry(txn, rec)
    parent = live(txn.org, parent_obj, str(rec.get(parent_field) or ""))
    if parent is None:
        raise E.required_missing([parent_field])
    if old is None:
        if not entry.get("IsActive"):
            raise E.bad_request(
                E.FIELD_INTEGRITY_EXCEPTION,
                "field integrity exception: PricebookEntryId (pricebook entry is inactive)",
                ["PricebookEntryId"],
            )
        book = parent.get("Pricebook2Id")
        if book and book != entry["Pricebook2Id"]:
            raise E.bad_request(
                E.FIELD_INTEGRITY_EXCEPTION,
                (
                    "field integrity exception: PricebookEntryId (pricebook entry is in a "
                    f"different pricebook than the one assigned to the {parent_obj.lower()}, or "
                    f"{parent_obj.lower()} has no pricebook)"
                ),
                ["PricebookEntryId"],
            )
        currency = parent.get("CurrencyIsoCode")
        if currency and entry.get("CurrencyIsoCode") and currency != entry["CurrencyIsoCode"]:
            raise E.bad_request(
                E.FIELD_INTEGRITY_EXCEPTION,
                (
                    "field integrity exception: PricebookEntryId (pricebook entry currency code "
                    f"does not match {parent_obj.lower()} currency code)"
                ),
                ["PricebookEntryId"],
            )
        rec["Product2Id"] = entry.get("Product2Id")
        rec["ListPrice"] = entry.get("UnitPrice")
        rec["CurrencyIsoCode"] = currency or entry.get("CurrencyIsoCode") or DEFAULT_CURRENCY
        if not book:
            _set_parent_pricebook(txn, parent_obj, parent, entry["Pricebook2Id"])
    quantity = _money(rec.get("Quantity") if rec.get("Quantity") is not None else 1)
    rec["Quantity"] = quantity.quantize(CENT, ROUND_HALF_UP)
    discount = _money(rec.get("Discount"))
    if (
        "TotalPrice" in given
        and "UnitPrice" in given
        and rec.get("TotalPrice") is not None
        and rec.get("UnitPrice") is not None
    ):
        raise E.bad_request(
            E.FIELD_INTEGRITY_EXCEPTION,
            "field integrity exception: TotalPrice "
            "(only one of unit price or total price may be specified)",
            ["TotalPrice"],
        )
    if "TotalPrice" in given and rec.get("TotalPrice") is not None:
        if quantity == 0:
            raise E.bad_request(
                E.FIELD_INTEGRITY_EXCEPTION,
                "field integrity exception: Quantity (quantity must be nonzero)",
                ["Quantity"],
            )
        gross = (
            _money(rec["TotalPrice"]) / (1 - discount / HUNDRED) if discount < 100 else Decimal(0)
        )
        rec["UnitPrice"] = (gross / quantity).quantize(CENT, ROUND_HALF_UP)
    if rec.get("UnitPrice") is None:
        if old is None and parent_obj != "Opportunity":
            rec["UnitPrice"] = entry.get("UnitPrice")
        else:
            raise E.bad_request(
                E.FIELD_INTEGRITY_EXCEPTION,
                "field integrity exception: unknown (must specify either UnitPrice or TotalPrice)",
                ["UnitPrice"],
            )
    subtotal = (quantity * _money(rec["UnitPrice"])).quantize(CENT, ROUND_HALF_UP)
    if "Subtotal" in {f.name for f in txn.org.schema.object(_child_of(parent_obj)).fields}:
        rec["Subtotal"] = subtotal
    total = subtotal * (1 - discount / HUNDRED)
    if "TotalPrice" in given and rec.get("TotalPrice") is not None:
        total = _money(rec["TotalPrice"])
    rec["TotalPrice"] = total.quantize(CENT, ROUND_HALF_UP)
    return parent


def _child_of(parent_obj: str) -> str:
    return {"Opportunity": "OpportunityLineItem", "Quote": "QuoteLineItem", "Order": "OrderItem"}[
        parent_obj
    ]


def _set_parent_pricebook(txn: Txn, parent_obj: str, parent: Record, book: str) -> None:
    obj = txn.org.schema.object(parent_obj)
    current = txn.tenant.store.get(parent_obj, parent["Id"]) or parent
    txn.apply_update(obj, current, {"Pricebook2Id": book})


def _derive_opportunity_line(txn: Txn, rec: Record, old: Record | None, given: set[str]) -> None:
    parent = _line_prices(txn, rec, old, given, "Opportunity", "OpportunityId")
    if old is None:
        product = live(txn.org, "Product2", str(rec.get("Product2Id") or "")) or {}
        rec["Name"] = f"{parent.get('Name')} {product.get('Name', '')}".strip()
        rec["ProductCode"] = product.get("ProductCode")


def _derive_quote_line(txn: Txn, rec: Record, old: Record | None, given: set[str]) -> None:
    _line_prices(txn, rec, old, given, "Quote", "QuoteId")
    if old is None:
        n = txn.tenant.streams.next_ordinal("QuoteLineItem.LineNumber")
        rec["LineNumber"] = f"{n:05d}"


def _derive_order_item(txn: Txn, rec: Record, old: Record | None, given: set[str]) -> None:
    _line_prices(txn, rec, old, given, "Order", "OrderId")
    if old is None:
        n = txn.tenant.streams.next_ordinal("OrderItem.OrderItemNumber")
        rec["OrderItemNumber"] = f"{n:010d}"


def _derive_quote(txn: Txn, rec: Record, old: Record | None, given: set[str]) -> None:
    if old is None:
        opp = live(txn.org, "Opportunity", str(rec.get("OpportunityId") or "")) or {}
        rec["AccountId"] = opp.get("AccountId")
        rec.setdefault("Pricebook2Id", opp.get("Pricebook2Id"))
        if rec.get("Pricebook2Id") is None:
            rec["Pricebook2Id"] = opp.get("Pricebook2Id")
        if "CurrencyIsoCode" not in given and opp.get("CurrencyIsoCode"):
            rec["CurrencyIsoCode"] = opp["CurrencyIsoCode"]
        n = txn.tenant.streams.next_ordinal("Quote.QuoteNumber")
        rec["QuoteNumber"] = f"{n:08d}"
        rec.setdefault("Status", "Draft")
        if rec.get("Status") is None:
            rec["Status"] = "Draft"
        lines: list[Record] = []
    else:
        lines = children(txn.org, "QuoteLineItem", "QuoteId", rec["Id"])
    subtotal = sum((_money(li.get("Subtotal")) for li in lines), Decimal("0.00"))
    total = sum((_money(li.get("TotalPrice")) for li in lines), Decimal("0.00"))
    rec["Subtotal"] = subtotal
    rec["TotalPrice"] = total
    rec["Discount"] = (
        None
        if not subtotal
        else ((subtotal - total) / subtotal * HUNDRED).quantize(CENT, ROUND_HALF_UP)
    )
    rec["GrandTotal"] = (
        total + _money(rec.get("Tax")) + _money(rec.get("ShippingHandling"))
    ).quantize(CENT, ROUND_HALF_UP)
    rec["LineItemCount"] = len(lines)


def _derive_contract(txn: Txn, rec: Record, old: Record | None, given: set[str]) -> None:
    if old is None:
        n = txn.tenant.streams.next_ordinal("Contract.ContractNumber")
        rec["ContractNumber"] = f"{n:08d}"
    status = rec.get("Status")
    rec["StatusCode"] = CONTRACT_STATUS_CODES.get(str(status), "Draft")
    if (
        status == "Activated"
        and (old is None or old.get("Status") != "Activated")
        and "ActivatedDate" not in given
    ):
        rec["ActivatedDate"] = sf_datetime(txn.now)
    start, term = rec.get("StartDate"), rec.get("ContractTerm")
    if start and term:
        # EndDate = StartDate + ContractTerm months - 1 day (Object Reference, Contract).
        rec["EndDate"] = (
            _add_months(date.fromisoformat(start), int(term)) - timedelta(days=1)
        ).isoformat()
    else:
        rec["EndDate"] = None


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _derive_order(txn: Txn, rec: Record, old: Record | None, given: set[str]) -> None:
    if old is None:
        n = txn.tenant.streams.next_ordinal("Order.OrderNumber")
        rec["OrderNumber"] = f"{n:08d}"
        lines: list[Record] = []
    else:
        lines = children(txn.org, "OrderItem", "OrderId", rec["Id"])
    status = rec.get("Status")
    rec["StatusCode"] = "Activated" if status == "Activated" else "Draft"
    if (
        status == "Activated"
        and (old is None or old.get("Status") != "Activated")
        and "ActivatedDate" not in given
    ):
        rec["ActivatedDate"] = sf_datetime(txn.now)
    rec["TotalAmount"] = sum((_money(li.get("TotalPrice")) for li in lines), Decimal("0.00"))


def _derive_pricebook_entry(txn: Txn, rec: Record, old: Record | None, given: set[str]) -> None:
    product = live(txn.org, "Product2", str(rec.get("Product2Id") or "")) or {}
    rec["Name"] = product.get("Name")
    rec["ProductCode"] = product.get("ProductCode")
    if old is not None:
        return
    book = live(txn.org, "Pricebook2", str(rec.get("Pricebook2Id") or "")) or {}
    currency = rec.get("CurrencyIsoCode") or DEFAULT_CURRENCY
    entries = children(txn.org, "PricebookEntry", "Product2Id", str(rec.get("Product2Id")))
    same = [e for e in entries if e.get("CurrencyIsoCode") == currency]
    if any(e.get("Pricebook2Id") == rec.get("Pricebook2Id") for e in same):
        raise E.bad_request(
            E.DUPLICATE_VALUE, "This price definition already exists in this price book", []
        )
    standard = [
        e for e in same if e.get("Pricebook2Id") == txn.tenant.meta.get("standard_pricebook_id")
    ]
    if not book.get("IsStandard") and not standard:
        raise E.bad_request(
            E.FIELD_INTEGRITY_EXCEPTION,
            "field integrity exception: unknown "
            "(Before creating a custom price, create a standard price.)",
            [],
        )
    if rec.get("UseStandardPrice") and standard:
        rec["UnitPrice"] = standard[0].get("UnitPrice")


_DERIVERS = {
    "Contact": _derive_contact,
    "User": _derive_contact,
    "Opportunity": _derive_opportunity,
    "OpportunityLineItem": _derive_opportunity_line,
    "Quote": _derive_quote,
    "QuoteLineItem": _derive_quote_line,
    "Contract": _derive_contract,
    "Order": _derive_order,
    "OrderItem": _derive_order_item,
    "PricebookEntry": _derive_pricebook_entry,
}


def rollup(txn: Txn, sobject: str, line: Record) -> None:
    target = ROLLUPS.get(sobject)
    if target is None:
        return
    parent_obj, lookup = target
    parent = txn.tenant.store.get(parent_obj, str(line.get(lookup)))
    if parent is None or parent.get("IsDeleted"):
        return
    obj = txn.org.schema.object(parent_obj)
    if parent_obj == "Opportunity":
        lines = children(txn.org, "OpportunityLineItem", "OpportunityId", parent["Id"])
        new = dict(parent)
        _opportunity_totals(new, lines)
        if not lines:
            new["TotalOpportunityQuantity"] = None
        values = {
            k: new.get(k) for k in ("HasOpportunityLineItem", "Amount", "TotalOpportunityQuantity")
        }
        txn.apply_update(obj, parent, values, derived_only=True)
    else:
        txn.apply_update(obj, parent, {}, derived_only=True)

