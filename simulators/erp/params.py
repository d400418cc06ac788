"""The ERP's declared parameters, and NetSuite's words for one that is wrong."""

from __future__ import annotations

from simulators.engine.params import CommaList, Flag, Int, ParamError, Str
from simulators.erp.errors import InvalidParameter
from simulators.erp.suiteql import MAX_LIMIT


def param_error(e: ParamError) -> InvalidParameter:
    """400 INVALID_PARAMETER naming the query parameter ("Invalid value for the 'limit'
    parameter: 0. It must be between 1 and 1000."; NetSuite's exact wording is
    unverified)."""
    detail = f"Invalid value for the '{e.param}' parameter: {e.value}."
    if e.reason == "out_of_range":
        detail += f" It must be between {e.minimum} and {e.maximum}."
    return InvalidParameter(detail, e.param)


# Collection paging ("Collection Paging"): limit 1-1000 (default 1000), offset from 0. A
# blank value is as if not given.
PAGING = {
    "limit": Int(minimum=1, maximum=MAX_LIMIT, blank_means_absent=True,
                 description=f"Page size, 1 to {MAX_LIMIT} (default {MAX_LIMIT})"),
    "offset": Int(minimum=0, maximum=10**9, blank_means_absent=True,
                  description="Items to skip"),
}
NAMES = CommaList(description="Comma-separated names")
EXPAND = Flag(description="true: sublists expanded")
SIMPLE_ENUM = Flag(description="true: enum values as their bare id")
# Headers of the record service (documented; read by the handlers as given).
PREFER = Str(known=("transient", "respond-async"),
             description="transient, or respond-async for an async job")
IDEMPOTENCY_KEY = Str(max_length=128, description="An async request's idempotency key")
NAME_VALIDATION = Str(description="Error (the fake's default), Warning or Ignore")
