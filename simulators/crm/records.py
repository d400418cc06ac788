"""Record writes: validation and coercion by field type, system and derived fields,
roll-ups, cascades, and the transaction every write runs in.

Facts used (Object Reference for the Salesforce Platform, per object; REST API Developer
Guide, "Status Codes and Error Responses"):

* Opportunity: IsClosed/IsWon follow StageName; Probability and ForecastCategoryName
  default from the stage; once an opportunity has products its Amount is the sum of the
  line items' TotalPrice and TotalOpportunityQuantity the sum of their Quantity.
* OpportunityLineItem / QuoteLineItem: give UnitPrice or TotalPrice, not both;
  TotalPrice = Quantity * UnitPrice less Discount; ListPrice comes from the price book
  entry, whose price book must be the parent's.
* Quote: Subtotal, TotalPrice, GrandTotal (TotalPrice + Tax + ShippingHandling) and
  LineItemCount roll up from the quote line items.
* Order: TotalAmount rolls up from the order products.
* PricebookEntry: a custom price needs a standard price for the product first.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from simulators.crm import errors as E
from simulators.crm.cdc import publish
from simulators.crm.ids import new_record_id, normalise
from simulators.crm.org import Org, org_of
from simulators.crm.schema import (
    ID_TYPES,
    NUMBER_TYPES,
    OPPORTUNITY_STAGES,
    TEXT_TYPES,
    FieldDef,
    FieldType,
    ObjectDef,
)
from simulators.crm.soql.source import equality_key
from simulators.crm.wire import parse_datetime, sf_datetime

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

Record = dict[str, Any]

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


@dataclass
class Change:
    """One committed record change, as a change event reports it."""

    sobject: str
    record_id: str
    change_type: str  # CREATE | UPDATE | DELETE | UNDELETE
    changed_fields: list[str]
    record: Record


@dataclass
class Txn:
    """The writes of one request (or one allOrNone batch): undone together on failure,
    published as change events with one transaction key on commit."""

    sim: Simulation
    tenant: Tenant
    org: Org
    user_id: str
    undo: list[tuple[str, str, Record | None]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def now(self) -> float:
        return self.tenant.clock.now()

    def write(
        self, sobject: str, new: Record, old: Record | None, change_type: str, changed: list[str]
    ) -> None:
        self.undo.append((sobject, new["Id"], old))
        self.tenant.store.put(sobject, new)
        self.org.source.put(sobject, new)
        self.changes.append(Change(sobject, new["Id"], change_type, changed, new))

    def savepoint(self) -> tuple[int, int]:
        return len(self.undo), len(self.changes)

    def rollback(self, to: tuple[int, int] = (0, 0)) -> None:
        undo_at, changes_at = to
        while len(self.undo) > undo_at:
            sobject, record_id, old = self.undo.pop()
            if old is None:
                self.tenant.store.delete(sobject, record_id)
                self.org.source.remove(sobject, record_id)
            else:
                self.tenant.store.put(sobject, old)
                self.org.source.put(sobject, old)
        del self.changes[changes_at:]

    def commit(self) -> None:
        if self.changes:
            publish(self.sim, self.tenant, self.changes)
        self.changes = []
        self.undo = []


def begin(sim: Simulation, tenant: Tenant) -> Txn:
    org = org_of(tenant)
    return Txn(sim, tenant, org, default_user_id(tenant))


def default_user_id(tenant: Tenant) -> str:
    user = tenant.meta.get("user_id")
    return str(user) if user else ""


# --- lookups ------------------------------------------------------------------------------


def find(org: Org, sobject: str, record_id: str) -> Record | None:
    """A live or deleted record by a 15- or 18-character id."""
    canonical = normalise(record_id)
    if canonical is None:
        return None
    return org.tenant.store.get(sobject, canonical)


def live(org: Org, sobject: str, record_id: str) -> Record | None:
    record = find(org, sobject, record_id)
    return None if record is None or record.get("IsDeleted") else record


def children(org: Org, sobject: str, lookup: str, parent_id: str) -> list[Record]:
    found = org.source.find_equal(sobject, lookup, parent_id)
    rows = (
        found
        if found is not None
        else [r for r in org.source.scan(sobject) if r.get(lookup) == parent_id]
    )
    return [dict(r) for r in rows if not r.get("IsDeleted")]


def get_record(org: Org, obj: ObjectDef, record_id: str) -> Record:
    """The record for a GET/PATCH/DELETE by id: MALFORMED_ID, NOT_FOUND or the record."""
    canonical = normalise(record_id)
    if canonical is None:
        raise E.not_found(
            f"Provided external ID field does not exist or is not accessible: {record_id}"
        )
    if canonical[:3] != obj.key_prefix:
        raise E.bad_request(
            E.MALFORMED_ID, f"{obj.label} ID: id value of incorrect type: {record_id}", ["Id"]
        )
    record = org.tenant.store.get(obj.name, canonical)
    if record is None:
        raise E.not_found()
    if record.get("IsDeleted"):
        raise E.not_found("entity is deleted")
    return record


# --- coercion -----------------------------------------------------------------------------


def _deserialize_error(f: FieldDef, value: Any) -> E.SfError:
    token = (
        "VALUE_STRING"
        if isinstance(value, str)
        else (
            "VALUE_TRUE"
            if value is True
            else "VALUE_FALSE"
            if value is False
            else "START_OBJECT"
            if isinstance(value, dict)
            else "START_ARRAY"
            if isinstance(value, list)
            else "VALUE_NUMBER"
        )
    )
    soap = {
        FieldType.DATE: "date",
        FieldType.DATETIME: "datetime",
        FieldType.BOOLEAN: "boolean",
        FieldType.INT: "int",
    }.get(f.type, "double" if f.type in NUMBER_TYPES else "string")
    return E.bad_request(
        E.JSON_PARSER_ERROR,
        f"Cannot deserialize instance of {soap} from {token} value {value} or "
        f"request may be missing a required field",
        [f.name],
    )


def coerce(org: Org, obj: ObjectDef, f: FieldDef, value: Any) -> Any:
    """An input value as the store keeps it, or the error Salesforce answers."""
    if value is None:
        if f.type is FieldType.BOOLEAN:
            return False
        if f.required:
            raise E.required_missing([f.name])
        return None
    kind = f.type
    if isinstance(value, dict | list):
        raise _deserialize_error(f, value)
    if kind in TEXT_TYPES:
        if isinstance(value, bool):
            raise _deserialize_error(f, value)
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        if kind is FieldType.PICKLIST:
            if f.picklist_values and text not in f.picklist_values:
                # Restricted picklists refuse unknown values (Salesforce Help, "Restricted
                # Picklists"); fintwin treats every picklist as restricted.
                raise E.bad_request(
                    E.INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
                    f"{f.label}: bad value for restricted picklist field: {text}",
                    [f.name],
                )
            return text
        if f.length and len(text) > f.length:
            raise E.bad_request(
                E.STRING_TOO_LONG,
                f"{f.label}: data value too large: {text[:80]} (max length={f.length})",
                [f.name],
            )
        return text
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise _deserialize_error(f, value)
        return value
    if kind in NUMBER_TYPES:
        if isinstance(value, bool):
            raise _deserialize_error(f, value)
        try:
            number = Decimal(value) if isinstance(value, int | str) else value
            if not isinstance(number, Decimal) or not number.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            raise _deserialize_error(f, value) from None
        if kind is FieldType.INT:
            if number != number.to_integral_value():
                raise _deserialize_error(f, value)
            if abs(number) >= 2**31:
                # int fields are 32-bit (SOAP API Developer Guide, "Primitive Data Types").
                raise E.bad_request(
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    f"{f.label}: value outside of valid range on numeric field: {value}",
                    [f.name],
                )
            return int(number)
        quantum = Decimal(1).scaleb(-f.scale) if f.scale else Decimal(1)
        digits = f.precision or 18
        if number.adjusted() >= digits - f.scale:
            raise E.bad_request(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{f.label}: value outside of valid range on numeric field: {value}",
                [f.name],
            )
        rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
        return rounded
    if kind is FieldType.DATE:
        if not isinstance(value, str):
            raise _deserialize_error(f, value)
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise _deserialize_error(f, value) from None
    if kind is FieldType.DATETIME:
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            raise _deserialize_error(f, value)
        return sf_datetime(moment.timestamp())
    if kind in ID_TYPES:
        return _reference(org, f, value)
    raise _deserialize_error(f, value)  # pragma: no cover - every type handled above


def _reference(org: Org, f: FieldDef, value: Any) -> str:
    if not isinstance(value, str):
        raise _deserialize_error(f, value)
    canonical = normalise(value)
    if canonical is None:
        raise E.bad_request(
            E.MALFORMED_ID, f"{f.label}: id value of incorrect type: {value}", [f.name]
        )
    targets = [org.schema.find_object(t) for t in f.reference_to]
    target = next((t for t in targets if t is not None and t.key_prefix == canonical[:3]), None)
    if target is None:
        raise E.bad_request(
            E.FIELD_INTEGRITY_EXCEPTION, f"{f.label}: id value of incorrect type: {value}", [f.name]
        )
    if live(org, target.name, canonical) is None:
        raise E.bad_request(
            E.INVALID_CROSS_REFERENCE_KEY, f"invalid cross reference id: {value}", [f.name]
        )
    return canonical


def parse_fields(
    org: Org, obj: ObjectDef, body: Any, *, creating: bool, allow: tuple[str, ...] = ()
) -> Record:
    """The body of a create/update as canonical field names and stored values."""
    if not isinstance(body, dict):
        raise E.bad_request(
            E.JSON_PARSER_ERROR,
            "Cannot deserialize instance of "
            f"{obj.name} from {type(body).__name__} value or request may be "
            "missing a required field",
        )
    out: Record = {}
    for name, value in body.items():
        if name == "attributes":
            continue
        f = obj.find_field(name)
        if f is None:
            raise E.bad_request(
                E.INVALID_FIELD, f"No such column '{name}' on sobject of type {obj.name}"
            )
        if f.name in allow:
            continue
        writable = f.createable if creating else f.updateable
        if not writable:
            raise E.bad_request(
                E.INVALID_FIELD_FOR_INSERT_UPDATE,
                (
                    f"Unable to create/update fields: {f.name}. Please check the security settings "
                    "of this field and verify that it is read/write for your profile or "
                    "permission set."
                ),
                [f.name],
            )
        out[f.name] = coerce(org, obj, f, value)
    return out


# --- create / update / delete --------------------------------------------------------------


def create(txn: Txn, obj: ObjectDef, body: Any) -> Record:
    values = parse_fields(txn.org, obj, body, creating=True)
    return insert(txn, obj, values)


def insert(txn: Txn, obj: ObjectDef, values: Record) -> Record:
    org = txn.org
    missing = [
        f.name
        for f in obj.fields
        if f.required
        and f.createable
        and values.get(f.name) is None
        and not _defaulted(obj.name, f.name)
    ]
    if missing:
        raise E.required_missing(missing)
    stamp = sf_datetime(txn.now)
    record_id = new_record_id(txn.tenant, obj.key_prefix)
    record: Record = {
        "id": record_id,
        "Id": record_id,
        "IsDeleted": False,
        "CreatedDate": stamp,
        "CreatedById": txn.user_id or None,
        "LastModifiedDate": stamp,
        "LastModifiedById": txn.user_id or None,
        "SystemModstamp": stamp,
    }
    if obj.find_field("OwnerId") is not None:
        record["OwnerId"] = txn.user_id or None
    for f in obj.fields:
        if f.type is FieldType.BOOLEAN and f.name not in record:
            record[f.name] = False
    if obj.find_field("CurrencyIsoCode") is not None:
        record["CurrencyIsoCode"] = DEFAULT_CURRENCY
    record.update({k: v for k, v in values.items()})
    _derive(txn, obj, record, None, set(values))
    _check_unique(org, obj, record, None)
    txn.write(obj.name, record, None, "CREATE", [])
    _rollup(txn, obj.name, record)
    return record


def update(txn: Txn, obj: ObjectDef, record: Record, body: Any) -> Record:
    values = parse_fields(txn.org, obj, body, creating=False, allow=("Id",))
    return apply_update(txn, obj, record, values)


def apply_update(
    txn: Txn, obj: ObjectDef, record: Record, values: Record, *, derived_only: bool = False
) -> Record:
    new = dict(record)
    new.update(values)
    _derive(txn, obj, new, record, set(values))
    changed = [k for k, v in new.items() if record.get(k) != v and k not in _AUDIT]
    if derived_only and not changed:
        return record
    stamp = sf_datetime(txn.now)
    new["LastModifiedDate"] = stamp
    new["SystemModstamp"] = stamp
    new["LastModifiedById"] = txn.user_id or None
    _check_unique(txn.org, obj, new, record)
    # A change event lists LastModifiedDate among the changed fields (Change Data Capture
    # Developer Guide, "ChangeEventHeader Fields": changedFields).
    txn.write(obj.name, new, record, "UPDATE", [*changed, "LastModifiedDate"])
    _rollup(txn, obj.name, new)
    return new


_AUDIT = {"LastModifiedDate", "SystemModstamp", "LastModifiedById"}


def delete(txn: Txn, obj: ObjectDef, record: Record) -> None:
    for child, lookup in CASCADES.get(obj.name, ()):
        child_obj = txn.org.schema.object(child)
        for row in children(txn.org, child, lookup, record["Id"]):
            current = txn.tenant.store.get(child, row["Id"])
            if current is not None and not current.get("IsDeleted"):
                delete(txn, child_obj, current)
    stamp = sf_datetime(txn.now)
    new = dict(record, IsDeleted=True, SystemModstamp=stamp, LastModifiedDate=stamp)
    txn.write(obj.name, new, record, "DELETE", [])
    _rollup(txn, obj.name, new)


def undelete(txn: Txn, obj: ObjectDef, record: Record) -> Record:
    if not record.get("IsDeleted"):
        raise E.bad_request("UNDELETE_FAILED", "Entity is not in the recycle bin", ["Id"])
    stamp = sf_datetime(txn.now)
    new = dict(record, IsDeleted=False, SystemModstamp=stamp, LastModifiedDate=stamp)
    _check_unique(txn.org, obj, new, record)
    txn.write(obj.name, new, record, "UNDELETE", [])
    _rollup(txn, obj.name, new)
    return new


def _check_unique(org: Org, obj: ObjectDef, record: Record, old: Record | None) -> None:
    for f in obj.fields:
        if not f.unique:
            continue
        value = record.get(f.name)
        if value is None or (
            old is not None and old.get(f.name) == value and not old.get("IsDeleted")
        ):
            continue
        found = org.source.find_equal(obj.name, f.name, value) or []
        key = equality_key(f, value)
        for other in found:
            if (
                other["Id"] != record["Id"]
                and not other.get("IsDeleted")
                and equality_key(f, other.get(f.name)) == key
            ):
                raise E.bad_request(
                    E.DUPLICATE_VALUE,
                    (
                        f"duplicate value found: {f.name} duplicates value on record with id: "
                        f"{other['Id']}"
                    ),
                    [f.name],
                )


def _defaulted(sobject: str, name: str) -> bool:
    # Required fields the platform fills in itself.
    return (sobject, name) in {("OpportunityLineItem", "Quantity"), ("QuoteLineItem", "UnitPrice")}


# --- derived fields -------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def _derive(txn: Txn, obj: ObjectDef, rec: Record, old: Record | None, given: set[str]) -> None:
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
    apply_update(txn, obj, current, {"Pricebook2Id": book})


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


def _rollup(txn: Txn, sobject: str, line: Record) -> None:
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
        apply_update(txn, obj, parent, values, derived_only=True)
    else:
        apply_update(txn, obj, parent, {}, derived_only=True)


# --- org seed ---------------------------------------------------------------------------


def seed_org(sim: Simulation, tenant: Tenant) -> None:
    """What every new org has: an admin user and the active standard price book."""
    txn = begin(sim, tenant)
    schema = txn.org.schema
    user = insert(
        txn,
        schema.object("User"),
        {
            "Username": f"admin@{tenant.id.lower()}.fintwin.example",
            "FirstName": "Integration",
            "LastName": "User",
            "Email": "admin@fintwin.example",
            "Alias": "integ",
            "IsActive": True,
            "TimeZoneSidKey": "GMT",
        },
    )
    tenant.meta["user_id"] = user["Id"]
    txn.user_id = user["Id"]
    # The first user created itself.
    user = dict(user, CreatedById=user["Id"], LastModifiedById=user["Id"], OwnerId=None)
    tenant.store.put("User", user)
    txn.org.source.put("User", user)
    book = insert(
        txn, schema.object("Pricebook2"), {"Name": "Standard Price Book", "IsActive": True}
    )
    book = dict(book, IsStandard=True)
    tenant.store.put("Pricebook2", book)
    txn.org.source.put("Pricebook2", book)
    tenant.meta["standard_pricebook_id"] = book["Id"]
    # The seed is not a change anyone subscribed to.
    txn.changes.clear()
    txn.undo.clear()
