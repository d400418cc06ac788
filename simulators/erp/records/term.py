"""term: payment terms (Net 30 ...) that set an invoice's due date."""

from __future__ import annotations

from simulators.erp.records.base import RecordType
from simulators.erp.records.fields import Field


class TermType(RecordType):
    name = "term"
    kind = "term"
    fields = (
        Field("name", "text", required=True),
        Field("daysUntilNetDue", "int", required=True),
        Field("isInactive", "bool"),
    )
