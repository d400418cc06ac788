"""Schemathesis over the integration layer's own OpenAPI document (GET /openapi.json), as
the fakes' documents are fuzzed: no 5xx, only documented statuses (issue 18)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from harness.servers import ServerThread
from integration_layer.service.app import create_app
from integration_layer.service.config import ServiceConfig
from integration_layer.service.openapi import document

TOKEN = "fuzz-admin"
# Reconcile reads the vendors a connection names: fuzzed connections name hosts anywhere,
# and tests send traffic to 127.0.0.1 only. It is tested with fakes (test_api.py); an
# unreachable vendor answers 502 (documented).
schema = schemathesis.openapi.from_dict(document()).exclude(path="/admin/reconcile")


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    app = create_app(ServiceConfig(database_url="sqlite://:memory:", admin_token=TOKEN),
                     workers=False)
    with ServerThread(app) as server:
        yield server.url


def test_the_document_is_served(service: str) -> None:
    served = httpx.get(f"{service}/openapi.json").json()
    assert served == document()
    assert set(served["paths"]) >= {"/admin/connections", "/webhooks/billing/{connection}"}


@schema.parametrize()
@hypothesis.settings(max_examples=25, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_no_server_errors(case: schemathesis.Case, service: str) -> None:
    response = case.call(base_url=service, headers={"Authorization": f"Bearer {TOKEN}"})
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance])


@schema.parametrize()
@hypothesis.settings(max_examples=10, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_no_server_errors_without_the_token(case: schemathesis.Case, service: str) -> None:
    response = case.call(base_url=service)
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance])
