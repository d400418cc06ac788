"""``create_app(settings)``: the NetSuite-shaped ERP fake as one ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from simulators.engine import provider_states
from simulators.engine.app import SimApp, build_sim_app
from simulators.engine.openapi import describe
from simulators.engine.runtime import Simulation
from simulators.engine.settings import SimSettings
from simulators.erp import control, pipeline
from simulators.erp.api import OPERATIONS
from simulators.erp.context import INDEXES
from simulators.erp.errors import MethodNotAllowed, NonexistentId
from simulators.erp.openapi import STYLE
from simulators.erp.states import VOCABULARY
from simulators.erp.vendor import NetSuiteVendor

DESCRIPTION = """A NetSuite-shaped ERP fake (fintwin): OAuth 2.0 client credentials, the
REST record service (subsidiary, currency, account, accountingPeriod, term, items, customer,
invoice, creditMemo, customerPayment, journalEntry), a general ledger with NetSuite's
accounting rules, SuiteQL over an SQL engine, async jobs with idempotency keys and an
account-wide concurrency limit. What is simplified: fintwin's docs, "Vendor coverage"
(docs/coverage/erp.md)."""


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    err = (
        MethodNotAllowed(f"The method {request.method} is not allowed here.")
        if status == 405
        else NonexistentId(f"The resource {request.url.path} does not exist.")
    )
    return Response(err.render(), err.status, media_type="application/json")


def create_app(settings: SimSettings | None = None) -> SimApp:
    settings = settings or SimSettings()
    sim = Simulation(NetSuiteVendor(), settings, INDEXES)
    # Requests no operation takes get Starlette's 404 and 405 in NetSuite's envelope.
    vendor_app = pipeline.app(OPERATIONS, lambda routes: Starlette(
        routes=routes, exception_handlers={404: _not_found, 405: _not_found}),
        service_time=settings.service_time)
    return build_sim_app(
        sim,
        vendor_app,
        title="fintwin ERP (NetSuite-shaped)",
        version="v1",
        description=DESCRIPTION,
        operations=lambda: [describe(op, STYLE) for op in OPERATIONS],
        security_schemes={
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "basicAuth": {"type": "http", "scheme": "basic"},
        },
        default_security=[{"bearerAuth": []}],
        control_extra=[*control.control_routes(), *provider_states.routes(VOCABULARY)],
        control_extra_ops=[*control.control_operations(), *provider_states.operations()],
    )
