"""journalEntry: lines as given (``line.items[{account, debit|credit, memo, entity}]``).

A journal must balance: total debits equal total credits (the ledger builder
refuses otherwise). Journals post in the subsidiary's base currency only; the
fake does not model foreign-currency or intercompany journals.
"""

from __future__ import annotations

from simulators.engine.store import Record
from simulators.erp import ledger, posting
from simulators.erp.context import Ctx
from simulators.erp.errors import InvalidFldValue
from simulators.erp.records.base import WritePlan
from simulators.erp.records.fields import Field, Sublist
from simulators.erp.records.transaction import HEADER, TransactionType

LINE = Sublist(
    "line",
    (
        Field("account", "ref", "account", required=True),
        Field("debit", "money"),
        Field("credit", "money"),
        Field("memo", "text"),
        Field("entity", "ref", "customer"),
    ),
)


class JournalEntryType(TransactionType):
    name = "journalEntry"
    kind = "journalentry"
    tran_prefix = "JE"
    fields = tuple(Field(f.name, f.kind, f.ref, required=f.name == "subsidiary") for f in HEADER)
    sublists = (LINE,)

    def post(self, ctx: Ctx, rec: Record, old: Record | None, plan: WritePlan) -> ledger.Posting:
        sub = posting.subsidiary(ctx, rec["subsidiary"])
        base = posting.currency_of(ctx, sub)
        if rec.get("currency") is None:
            rec["currency"] = {"id": base["id"]}
        elif rec["currency"]["id"] != base["id"]:
            raise InvalidFldValue(
                "Journal entries must be in the subsidiary's base currency "
                "(foreign-currency journals are not modelled).",
                "currency",
            )
        lines = []
        for index, line in enumerate(rec.get("line", {}).get("items", [])):
            path = f"line.items[{index}]"
            posting.check_account(ctx, line["account"], sub["id"], f"{path}.account")
            lines.append(
                {
                    "account": int(line["account"]["id"]),
                    "debit": line.get("debit"),
                    "credit": line.get("credit"),
                    "memo": line.get("memo"),
                    "entity": int(line["entity"]["id"]) if line.get("entity") else None,
                }
            )
        result = ledger.journal_entry(
            subsidiary_id=int(sub["id"]),
            base_currency=base["symbol"],
            lines=lines,
            memo=rec.get("memo"),
        )
        rec["_statusCode"] = "B"  # approved (SuiteQL status code unverified)
        return result
