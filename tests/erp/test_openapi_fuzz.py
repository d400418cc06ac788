"""Schemathesis over the ERP fake's OpenAPI document: no 5xx, documented statuses."""

from __future__ import annotations

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from simulators.engine.settings import SimSettings
from simulators.erp import auth
from simulators.erp.app import create_app
from simulators.erp.vendor import NetSuiteVendor

APP = create_app(SimSettings(seed=1, limits=False))
_TENANT = APP.sim.tenant("7654321")
_ISSUED = auth.issue(_TENANT, "fuzz")
assert isinstance(APP.sim.vendor, NetSuiteVendor)
APP.sim.vendor.remember(_ISSUED["access_token"], _TENANT.id)
# Business time stays put so the token outlives the run.
_TENANT.clock.freeze()
AUTH = {"Authorization": f"Bearer {_ISSUED['access_token']}"}
schema = schemathesis.openapi.from_asgi("/_sim/openapi.json", APP)


@schema.exclude(path_regex="^/_sim/(reset|state|clock|faults|limits)").parametrize()
@hypothesis.settings(
    max_examples=20, deadline=None, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call(headers=AUTH)
    case.validate_response(response, checks=(not_a_server_error, status_code_conformance))
