"""``create_app(settings)``: the Salesforce-shaped CRM fake as one ASGI app.

Served by ``fintwin sim crm --port 8001 [--tls]``; simple-salesforce needs the TLS mode
(it builds https:// URLs itself) and a session that trusts the fake's local CA.
"""

from __future__ import annotations

from simulators.crm import pipeline
from simulators.crm.api import OPERATIONS
from simulators.crm.control import routes as control_routes
from simulators.crm.http import LongRunningTracker
from simulators.crm.openapi import STYLE, control_operations
from simulators.crm.states import VOCABULARY
from simulators.crm.vendor import SalesforceVendor
from simulators.engine import provider_states
from simulators.engine.app import SimApp, build_sim_app
from simulators.engine.openapi import describe
from simulators.engine.runtime import Simulation
from simulators.engine.settings import SimSettings

DESCRIPTION = """A Salesforce-shaped CRM fake (fintwin): OAuth tokens, sObject CRUD and
upsert, SOQL query/queryAll with batches, composite and sObject collections, describe,
limits and change events. What is simplified: fintwin's docs, "Vendor coverage"
(docs/coverage/crm.md)."""


def create_app(settings: SimSettings | None = None) -> SimApp:
    settings = settings or SimSettings()
    sim = Simulation(SalesforceVendor(), settings)
    inner = build_sim_app(
        sim,
        pipeline.app(OPERATIONS),
        title="fintwin crm (Salesforce-shaped)",
        version="68.0",
        description=DESCRIPTION,
        operations=lambda: [describe(op, STYLE) for op in OPERATIONS],
        security_schemes={"bearerAuth": {"type": "http", "scheme": "bearer"}},
        default_security=[{"bearerAuth": []}],
        control_extra=[*control_routes(), *provider_states.routes(VOCABULARY)],
        control_extra_ops=[*control_operations(), *provider_states.operations()],
    )
    return SimApp(LongRunningTracker(inner, sim), sim)
