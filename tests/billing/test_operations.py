"""Every billing operation is declared once: its route, its steps and its document entry."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from simulators.billing.api import OPERATIONS
from simulators.billing.app import create_app
from simulators.billing.pipeline import pipeline
from simulators.engine.settings import SimSettings


def _document() -> dict[str, Any]:
    async def fetch() -> dict[str, Any]:
        app = create_app(SimSettings(seed=1))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://billing.test") as client:
            doc: dict[str, Any] = (await client.get("/_sim/openapi.json")).json()
            return doc
    return asyncio.run(fetch())


def test_each_operation_is_routed_through_stripes_steps() -> None:
    steps = pipeline()
    steps.routes(OPERATIONS)
    create = steps.endpoints["PostCustomers"].steps
    assert create == ("authenticate", "version", "validate", "idempotency", "call", "render")
    # Idempotency keys are a POST's (Stripe ignores them on GET and DELETE).
    assert steps.endpoints["GetCustomers"].steps == ("authenticate", "version", "validate",
                                                     "call", "render")
    assert steps.endpoints["DeleteCustomersCustomer"].steps == (
        "authenticate", "version", "validate", "call", "render")


def test_the_document_lists_each_operation_with_its_docs() -> None:
    paths = _document()["paths"]
    for op in OPERATIONS:
        entry = paths[op.path][op.method.lower()]
        assert entry["operationId"] == op.operation_id
        assert entry["summary"] == op.summary
        assert entry.get("description", "") == op.docs
    create = paths["/v1/customers"]["post"]
    assert "application/x-www-form-urlencoded" in create["requestBody"]["content"]
