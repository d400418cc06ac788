"""The record types the fake serves, by REST name (case-insensitive) and store kind."""

from __future__ import annotations

from simulators.erp.records.account import AccountType
from simulators.erp.records.base import RecordType, WritePlan, register, type_for_kind
from simulators.erp.records.currency import CurrencyType
from simulators.erp.records.customer import CustomerType
from simulators.erp.records.item import (
    ITEM_TYPES,
    DiscountItemType,
    ItemType,
    NonInventorySaleItemType,
    ServiceSaleItemType,
)
from simulators.erp.records.journal import JournalEntryType
from simulators.erp.records.payment import CustomerPaymentType
from simulators.erp.records.period import PeriodType
from simulators.erp.records.sales import CreditMemoType, InvoiceType
from simulators.erp.records.subsidiary import SubsidiaryType
from simulators.erp.records.term import TermType

TYPES: tuple[RecordType, ...] = (
    SubsidiaryType(),
    CurrencyType(),
    AccountType(),
    PeriodType(),
    TermType(),
    ItemType(),
    ServiceSaleItemType(),
    NonInventorySaleItemType(),
    DiscountItemType(),
    CustomerType(),
    InvoiceType(),
    CreditMemoType(),
    CustomerPaymentType(),
    JournalEntryType(),
)
_BY_NAME = {t.name.lower(): t for t in TYPES}
for _type in TYPES:
    register(_type)  # the canonical type of each store kind (items: the generic one)


def type_for(name: str) -> RecordType | None:
    """A record type by its REST name; NetSuite's record names are case-insensitive."""
    return _BY_NAME.get(name.lower())


def type_of_record(kind: str, rec: dict[str, object]) -> RecordType:
    """The REST type to render a stored record as (items by their itemType)."""
    if kind == "item":
        name = ITEM_TYPES.get(str(rec.get("itemType")))
        if name is not None:
            found = type_for(name)
            if found is not None:
                return found
    return type_for_kind(kind)


__all__ = ["TYPES", "RecordType", "WritePlan", "type_for", "type_for_kind", "type_of_record"]
