"""Rows a posting writes into the SuiteQL tables, and writing them atomically.

One ``transactionLine`` per GL line (the mainline has id 0, as NetSuite's
mainline is line 0: unverified) and one ``transactionAccountingLine`` per
line in the primary accounting book. The accounting line leaves the side it
does not use NULL, which is why public SuiteQL writes
``NVL(tal.debit, 0) - NVL(tal.credit, 0)``; ``amount`` is debit-positive
(consistent with public trial-balance queries that flip its sign for
liability and equity accounts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..suiteql import SuiteQLEngine
from .posting import Posting

PRIMARY_BOOK = 1  # the primary accounting book's id (unverified)


def ledger_rows(
    transaction_id: int, posting: Posting, *, accounting_book: int = PRIMARY_BOOK
) -> dict[str, list[dict[str, Any]]]:
    """``{"transactionLine": [...], "transactionAccountingLine": [...]}``."""
    lines: list[dict[str, Any]] = []
    accounting: list[dict[str, Any]] = []
    for index, line in enumerate(posting.lines):
        lines.append(
            {
                "transaction": transaction_id,
                "id": index,
                "linesequencenumber": index,
                "mainline": line.mainline,
                "taxline": line.taxline,
                "item": line.item_id,
                "quantity": line.quantity,
                "rate": line.rate,
                "foreignamount": line.foreign_amount,
                "netamount": line.amount,
                "subsidiary": line.subsidiary_id,
                "entity": line.entity_id,
                "memo": line.memo,
            }
        )
        accounting.append(
            {
                "transaction": transaction_id,
                "transactionline": index,
                "accountingbook": accounting_book,
                "account": line.account_id,
                "debit": line.debit or None,
                "credit": line.credit or None,
                "amount": line.amount,
                "netamount": line.amount,
                "posting": True,
            }
        )
    return {"transactionLine": lines, "transactionAccountingLine": accounting}


def write_posting(engine: SuiteQLEngine, header: Mapping[str, Any], posting: Posting) -> None:
    """Write a transaction header and its posting, replacing any earlier lines.

    All rows land in one engine transaction: if any write fails, none do.
    ``header`` holds ``transaction`` columns (``id`` required); the posting's
    currency total, exchange rate and subsidiary fill the rest.
    """
    transaction_id = int(header["id"])
    row = {
        "foreigntotal": posting.foreign_total,
        "exchangerate": posting.exchange_rate,
        "subsidiary": posting.subsidiary_id,
        "posting": True,
        **header,
    }
    rows = ledger_rows(transaction_id, posting)
    with engine.transaction():
        engine.upsert("transaction", row)
        engine.delete("transactionAccountingLine", {"transaction": transaction_id})
        engine.delete("transactionLine", {"transaction": transaction_id})
        for table, table_rows in rows.items():
            for table_row in table_rows:
                engine.upsert(table, table_row)
