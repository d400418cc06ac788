"""Cancellation at period end: when a Contract asks for it (``Cancel_At_Period_End__c``),
the subscription's service runs to the end of the period that was current when it was
asked (the period already invoiced), then stops: not cut short, not renewed.

When it was asked is the Contract's ``LastModifiedDate`` (a later edit only makes the check
more lenient: it can move the expected end later, never earlier). The period it falls in
comes from the subscription's invoice lines (their service periods), billing's record of
what was sold for which dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from harness.oracle import codes as C
from harness.oracle.checks.deals import won
from harness.oracle.model import Violation
from harness.oracle.registry import invariant
from harness.oracle.snapshot import Row
from harness.oracle.view import FINALIZED, View, violation

RENEWAL = "subscription_cycle"


def crm_instant(value: Any) -> int | None:
    """A Salesforce datetime (``2026-01-15T09:00:00.000+0000``) as unix seconds."""
    if not value:
        return None
    text = str(value).strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return int(dt.datetime.strptime(text, fmt).timestamp())
        except ValueError:
            pass
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(moment.replace(tzinfo=moment.tzinfo or dt.UTC).timestamp())


def service_periods(view: View, sub_id: str) -> list[tuple[int, int]]:
    """The (start, end) service periods a subscription's finalized invoices charged for
    (subscription lines, not prorations), in order."""
    out: set[tuple[int, int]] = set()
    for inv in view.invoices_by_subscription.get(sub_id, ()):
        if inv.get("status") not in FINALIZED:
            continue
        for line in (inv.get("lines") or {}).get("data", ()):
            period = line.get("period") or {}
            if line.get("proration") or line.get("type") not in (None, "subscription"):
                continue
            if period.get("start") is not None and period.get("end") is not None:
                out.add((int(period["start"]), int(period["end"])))
    return sorted(out)


def paid_through(periods: list[tuple[int, int]], asked: int) -> int | None:
    """The end of the service period current when cancellation was asked: the first one
    ending after it, else the last one."""
    for _, end in periods:
        if end > asked:
            return end
    return periods[-1][1] if periods else None


def _when(unix: int) -> str:
    return dt.datetime.fromtimestamp(unix, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@invariant(C.SUBSCRIPTION_CANCELLATION_MISSING, C.SUBSCRIPTION_CANCELLED_EARLY,
           C.SUBSCRIPTION_CANCELLED_LATE)
def cancellation_at_period_end(view: View) -> Iterator[Violation]:
    """A contract that asks to cancel at period end has its subscription set to (or
    canceled at) the end of the period current when it asked: not earlier (service cut
    short), not later (a period charged after the customer cancelled)."""
    for opp_id, _, subs in won(view):
        for sub in subs:
            sub_id = str(sub["id"])
            for contract in view.contracts_by_subscription.get(sub_id, ()):
                if contract.get("Cancel_At_Period_End__c"):
                    yield from _cancellation(view, opp_id, sub, contract)


def _cancellation(view: View, opp_id: str, sub: Row, contract: Row) -> Iterator[Violation]:
    sub_id, cid = str(sub["id"]), str(contract["Id"])
    refs: dict[str, Any] = {"crm": [cid, opp_id], "billing": [sub_id]}
    canceled = sub.get("status") == "canceled"
    if not (sub.get("cancel_at_period_end") or canceled or sub.get("cancel_at")):
        yield violation(C.SUBSCRIPTION_CANCELLATION_MISSING,
                        f"contract {cid} asks to cancel at period end; subscription {sub_id} "
                        "is not set to", **refs)
        return
    asked = crm_instant(contract.get("LastModifiedDate"))
    end = paid_through(service_periods(view, sub_id), asked) if asked is not None else None
    if end is None:
        return
    stops = sub.get("ended_at") or (sub.get("canceled_at") if canceled else None) \
        or sub.get("cancel_at")
    if stops is not None and int(stops) < end:
        yield violation(C.SUBSCRIPTION_CANCELLED_EARLY,
                        f"subscription {sub_id} stops {_when(int(stops))}, before the end of "
                        f"the period paid for when contract {cid} asked to cancel "
                        f"({_when(end)})", expected=end, actual=int(stops), **refs)
    elif stops is not None and int(stops) > end:
        yield violation(C.SUBSCRIPTION_CANCELLED_LATE,
                        f"subscription {sub_id} stops {_when(int(stops))}, after the end of "
                        f"the period current when contract {cid} asked to cancel "
                        f"({_when(end)})", expected=end, actual=int(stops), **refs)
    renewals = [inv for inv in view.invoices_by_subscription.get(sub_id, ())
                if inv.get("billing_reason") == RENEWAL and inv.get("status") in FINALIZED
                and int(inv.get("created") or 0) >= end]
    if renewals:
        yield violation(C.SUBSCRIPTION_CANCELLED_LATE,
                        f"subscription {sub_id} was renewed after the period end "
                        f"({_when(end)}) at which contract {cid} asked to cancel: "
                        f"{', '.join(str(i['id']) for i in renewals)}",
                        crm=[cid, opp_id], billing=[sub_id, *[str(i["id"]) for i in renewals]])
