"""Schemathesis over the billing fake's OpenAPI document: no 5xx, responses conform."""

from __future__ import annotations

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from simulators.billing.app import create_app
from simulators.engine.settings import SimSettings

APP = create_app(SimSettings(seed=1, limits=False))
schema = schemathesis.openapi.from_asgi("/_sim/openapi.json", APP)
AUTH = {"Authorization": "Bearer sk_test_schemathesis_fuzz"}


@schema.exclude(path_regex="^/_sim/(reset|state)").parametrize()
@hypothesis.settings(max_examples=15, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_no_server_errors_and_conforming_responses(case: schemathesis.Case) -> None:
    response = case.call(headers=AUTH)
    case.validate_response(response, checks=(not_a_server_error, status_code_conformance,
                                             content_type_conformance,
                                             response_schema_conformance))
