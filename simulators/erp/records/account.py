"""account: the chart of accounts.

Type ids (``acctType``) are NetSuite's analytics values seen in public SuiteQL
(Bank, AcctRec, Income, DeferRevenue, OthCurrLiab, Expense, Equity, ...).
"""

from __future__ import annotations

from simulators.engine.store import Record
from simulators.erp.context import Ctx
from simulators.erp.errors import DupRcrd, UserError
from simulators.erp.records.base import RecordType, WritePlan
from simulators.erp.records.fields import Field

ACCOUNT_TYPES = (
    "Bank",
    "AcctRec",
    "OthCurrAsset",
    "FixedAsset",
    "AcctPay",
    "OthCurrLiab",
    "LongTermLiab",
    "Equity",
    "RetainedEarnings",
    "Income",
    "DeferRevenue",
    "COGS",
    "Expense",
    "OthIncome",
    "OthExpense",
    "UnbilledRec",
)


class AccountType(RecordType):
    name = "account"
    kind = "account"
    fields = (
        Field("acctNumber", "text"),
        Field("acctName", "text", required=True),
        Field("acctType", "enum", required=True, choices=ACCOUNT_TYPES),
        Field("currency", "ref", "currency"),
        Field("subsidiary", "ref", "subsidiary"),
        Field("description", "text"),
        Field("isSummary", "bool"),
        Field("isInactive", "bool"),
    )
    # NetSuite does not let an account with postings change type (unverified detail).
    fixed = ("acctType",)

    def ref_name(self, rec: Record) -> str:
        return f"{rec.get('acctNumber') or ''} {rec.get('acctName')}".strip()

    def plan(self, ctx: Ctx, rec: Record, old: Record | None) -> WritePlan:
        number = rec.get("acctNumber")
        if number:
            for other in ctx.store.all("account"):
                if other.get("acctNumber") == number and other["id"] != rec["id"]:
                    raise DupRcrd(
                        f"An account with the number {number} already exists.", "acctNumber"
                    )
        return super().plan(ctx, rec, old)

    def plan_delete(self, ctx: Ctx, rec: Record) -> WritePlan:
        engine_rows = ctx.tenant.transient.get("suiteql")
        used = False
        if engine_rows is not None:
            page = engine_rows.query(
                f"SELECT COUNT(*) AS n FROM transactionAccountingLine WHERE account = "
                f"{int(rec['id'])}"
            )
            used = page.items[0].get("n") != "0"
        if used or any(
            (i.get("incomeAccount") or {}).get("id") == rec["id"] for i in ctx.store.all("item")
        ):
            raise UserError("This record cannot be deleted because it has dependent records.")
        return super().plan_delete(ctx, rec)
