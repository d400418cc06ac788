"""accountingPeriod: months (and summary quarters/years), open, closed or locked.

Closing, reopening and locking are done on the control plane
(``/_sim/erp/periods/{id}/close|reopen|lock|unlock``), as NetSuite does them in
its period-close checklist rather than through the record service; over REST
``closed``, ``allLocked`` and ``arLocked`` are read-only.
"""

from __future__ import annotations

from simulators.engine.store import Record
from simulators.erp.context import Ctx
from simulators.erp.errors import InvalidFldValue, UserError
from simulators.erp.records.base import RecordType, WritePlan
from simulators.erp.records.fields import Field


class PeriodType(RecordType):
    name = "accountingPeriod"
    kind = "accountingperiod"
    fields = (
        Field("periodName", "text", required=True),
        Field("startDate", "date", required=True),
        Field("endDate", "date", required=True),
        Field("closed", "bool", read_only=True),
        Field("allLocked", "bool", read_only=True),
        Field("arLocked", "bool", read_only=True),
        Field("isQuarter", "bool"),
        Field("isYear", "bool"),
        Field("isAdjust", "bool"),
        Field("parent", "ref", "accountingperiod"),
    )

    def ref_name(self, rec: Record) -> str:
        return str(rec.get("periodName"))

    def prepare(self, ctx: Ctx, rec: Record, old: Record | None) -> None:
        for flag in ("closed", "allLocked", "arLocked", "isQuarter", "isYear", "isAdjust"):
            rec.setdefault(flag, False)

    def plan(self, ctx: Ctx, rec: Record, old: Record | None) -> WritePlan:
        if rec["startDate"] > rec["endDate"]:
            raise InvalidFldValue("The start date must not be after the end date.", "endDate")
        if not (rec.get("isYear") or rec.get("isQuarter")):
            for other in ctx.store.all("accountingperiod"):
                if other["id"] == rec["id"] or other.get("isYear") or other.get("isQuarter"):
                    continue
                if other["startDate"] <= rec["endDate"] and rec["startDate"] <= other["endDate"]:
                    raise InvalidFldValue(
                        f"The period overlaps {other['periodName']}.", "startDate"
                    )
        return super().plan(ctx, rec, old)

    def plan_delete(self, ctx: Ctx, rec: Record) -> WritePlan:
        for kind in ("invoice", "creditmemo", "customerpayment", "journalentry"):
            if any(
                (t.get("postingPeriod") or {}).get("id") == rec["id"] for t in ctx.store.all(kind)
            ):
                raise UserError("This record cannot be deleted because it has dependent records.")
        return super().plan_delete(ctx, rec)
