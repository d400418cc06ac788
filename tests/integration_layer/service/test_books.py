"""Posting into the ERP's books: the next open period after a close, and the customer's
credit applied from open credit memos (flows/books.py), against a stub ERP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any, cast

import pytest

from integration_layer.clients import PermanentError
from integration_layer.service.flows import books
from integration_layer.service.flows.context import FlowContext
from integration_layer.service.outcomes import Wait
from integration_layer.service.parts import Parts

PERIODS = [{"id": "3", "startdate": "1/1/2026", "enddate": "1/31/2026", "closed": "T",
            "alllocked": "F"},
           {"id": "4", "startdate": "2/1/2026", "enddate": "2/28/2026", "closed": "T",
            "alllocked": "F"},
           {"id": "5", "startdate": "3/1/2026", "enddate": "3/31/2026", "closed": "F",
            "alllocked": "F"}]


class StubErp:
    def __init__(self, memos: list[dict[str, Any]] | None = None,
                 refuse: int = 0) -> None:
        self.memos = {m["id"]: m for m in memos or []}
        self.refuse = refuse
        self.created: list[dict[str, Any]] = []
        self.patched: list[tuple[str, dict[str, Any]]] = []

    async def suiteql(self, sql: str) -> AsyncIterator[dict[str, Any]]:
        rows = PERIODS if "accountingPeriod" in sql else [{"id": i} for i in self.memos]
        for row in rows:
            yield row

    async def create(self, record_type: str, body: dict[str, Any]) -> str:
        if self.refuse:
            self.refuse -= 1
            raise PermanentError("USER_ERROR", "The accounting period Jan 2026 is closed.",
                                 400)
        self.created.append(body)
        return "77"

    async def get(self, record_type: str, record_id: str, **_: Any) -> dict[str, Any]:
        return self.memos[record_id]

    async def get_by_external_id(self, record_type: str, external_id: str) -> None:
        return None

    async def patch(self, record_type: str, record_id: str, body: dict[str, Any]) -> None:
        self.patched.append((record_id, body))


class StubVendors:
    def __init__(self, erp: StubErp) -> None:
        self.erp = erp
        self.cache: dict[str, Any] = {}


def _ctx(erp: StubErp) -> FlowContext:
    return FlowContext("c", "e", "t", {}, "f", cast(Any, StubVendors(erp)), cast(Any, None),
                       cast(Any, None), Parts())


def test_a_posting_refused_for_a_closed_period_goes_to_the_next_open_one() -> None:
    erp = StubErp(refuse=1)
    found = asyncio.run(books.post(_ctx(erp), "invoice", "in_1",
                                   {"tranDate": "2026-01-31"}, resumed=False))
    assert found == "77"
    assert erp.created == [{"tranDate": "2026-01-31", "postingPeriod": {"id": "5"},
                            "externalId": "in_1"}]


def test_another_refusal_is_not_moved() -> None:
    erp = StubErp(refuse=1)
    with pytest.raises(PermanentError):  # March is open: the refusal was something else
        asyncio.run(books.post(_ctx(erp), "invoice", "in_1", {"tranDate": "2026-03-02"},
                               resumed=False))
    assert erp.created == []


def test_customer_credit_is_applied_from_open_credit_memos_oldest_first() -> None:
    memos = [{"id": "8", "unapplied": "10.00", "apply": {"items": []}},
             {"id": "9", "unapplied": "30.00",
              "apply": {"items": [{"doc": {"id": "50"}, "amount": "5.00"}]}}]
    erp = StubErp(memos)
    asyncio.run(books.apply_customer_credit(_ctx(erp), "7", "50", Decimal("25.00")))
    assert erp.patched == [
        ("8", {"apply": {"items": [{"doc": {"id": "50"}, "apply": True, "amount": "10.00"}]}}),
        ("9", {"apply": {"items": [{"doc": {"id": "50"}, "apply": True, "amount": "10.00"}]}})]


def test_customer_credit_waits_for_the_credit_memos_that_make_it_up() -> None:
    erp = StubErp([{"id": "8", "unapplied": "10.00", "apply": {"items": []}}])
    with pytest.raises(Wait):
        asyncio.run(books.apply_customer_credit(_ctx(erp), "7", "50", Decimal("25.00")))
    assert erp.patched == []
