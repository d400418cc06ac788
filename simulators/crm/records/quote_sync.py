"""Quote syncing (Object Reference, Opportunity ``SyncedQuoteId`` and Quote
``IsSyncing``; Sales Cloud help, "Sync Quotes and Opportunities"): setting an
opportunity's SyncedQuoteId to one of its quotes replaces the opportunity's products with
the quote's line items (quantity, sales price, discount, date, description), so the
quote's discounts reach the opportunity's Amount; while the quote syncs, a change to its
line items is carried to the opportunity too. Clearing SyncedQuoteId stops the sync and
leaves the products as they are. One quote syncs at a time per opportunity.

The fake syncs quote to opportunity only (a change to the opportunity's products while a
quote syncs is not written back to the quote).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulators.crm import errors as E
from simulators.crm.records.lookups import Record, children, live

if TYPE_CHECKING:
    from simulators.crm.records.write import Txn

# What write.py lends this module (it cannot import write.py: write.py calls it).
Insert = Callable[["Txn", Any, Record], Record]
Update = Callable[..., Record]
Delete = Callable[["Txn", Any, Record], None]
_BUSY = "quote_sync.busy"
COPIED = ("PricebookEntryId", "Quantity", "UnitPrice", "Discount", "ServiceDate",
          "Description", "SortOrder")


def after_write(txn: Txn, sobject: str, new: Record, old: Record | None, *, insert: Insert,
                update: Update, delete: Delete) -> None:
    """Keep a synced opportunity's products equal to its quote's lines."""
    busy: set[str] = txn.tenant.transient.setdefault(_BUSY, set())
    if busy:
        return  # the sync's own writes (it deletes, inserts and links lines)
    busy.add(sobject)
    try:
        _after_write(txn, sobject, new, old, insert, update, delete)
    finally:
        busy.clear()


def _after_write(txn: Txn, sobject: str, new: Record, old: Record | None, insert: Insert,
                 update: Update, delete: Delete) -> None:
    if sobject == "Opportunity" and old is not None:
        before, after = old.get("SyncedQuoteId"), new.get("SyncedQuoteId")
        if before == after:
            return
        if before:
            _set_syncing(txn, str(before), False, update)
        if after:
            quote = live(txn.org, "Quote", str(after))
            if quote is None or quote.get("OpportunityId") != new["Id"]:
                raise E.bad_request(E.FIELD_INTEGRITY_EXCEPTION, "field integrity exception: "
                                    "SyncedQuoteId (the quote must belong to this opportunity)",
                                    ["SyncedQuoteId"])
            _set_syncing(txn, str(after), True, update)
            _copy_lines(txn, new, quote, insert, update, delete)
    elif sobject == "QuoteLineItem":
        quote = live(txn.org, "Quote", str(new.get("QuoteId") or ""))
        if quote is None or not quote.get("IsSyncing"):
            return
        opp = live(txn.org, "Opportunity", str(quote.get("OpportunityId") or ""))
        if opp is not None and opp.get("SyncedQuoteId") == quote["Id"]:
            _copy_lines(txn, opp, quote, insert, update, delete)


def _set_syncing(txn: Txn, quote_id: str, syncing: bool, update: Update) -> None:
    quote = live(txn.org, "Quote", quote_id)
    if quote is not None and bool(quote.get("IsSyncing")) != syncing:
        update(txn, txn.org.schema.object("Quote"), quote, {"IsSyncing": syncing},
               derived_only=True)


def _copy_lines(txn: Txn, opp: Record, quote: Record, insert: Insert, update: Update,
                delete: Delete) -> None:
    schema = txn.org.schema
    opp_line, quote_line = schema.object("OpportunityLineItem"), schema.object("QuoteLineItem")
    for line in children(txn.org, "OpportunityLineItem", "OpportunityId", opp["Id"]):
        current = live(txn.org, "OpportunityLineItem", str(line["Id"]))
        if current is not None:
            delete(txn, opp_line, current)
    for line in children(txn.org, "QuoteLineItem", "QuoteId", quote["Id"]):
        current = live(txn.org, "QuoteLineItem", str(line["Id"]))
        if current is None:
            continue
        values = {k: current.get(k) for k in COPIED if current.get(k) is not None}
        made = insert(txn, opp_line, {"OpportunityId": opp["Id"], **values})
        if current.get("OpportunityLineItemId") != made["Id"]:
            update(txn, quote_line, current, {"OpportunityLineItemId": made["Id"]},
                   derived_only=True)
