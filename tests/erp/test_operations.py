"""The ERP's operations: declared once, NetSuite's steps per operation, the declared
query parameters checked with NetSuite's error, and an async job that runs the same
validate and call later."""

from __future__ import annotations

import pytest

from simulators.erp.api import OPERATIONS
from simulators.erp.pipeline import pipeline
from tests.erp.support import BASE, RECORDS, Erp


def test_steps_per_operation() -> None:
    steps = pipeline(OPERATIONS)
    steps.routes(OPERATIONS)
    assert steps.endpoints["createRecord"].steps == ("authenticate", "read", "defer",
                                                     "validate", "call")
    assert steps.endpoints["getJob"].steps == ("authenticate", "validate", "call")
    # With service time on (SimSettings.service_time), the governed operations wait in
    # "serve"; the token endpoint does not.
    timed = pipeline(OPERATIONS, service_time=0.5)
    timed.routes(OPERATIONS)
    assert timed.endpoints["createRecord"].steps == ("authenticate", "read", "defer",
                                                     "validate", "serve", "call")
    assert timed.endpoints["oauth2Token"].steps == ("read", "validate", "call")
    assert steps.endpoints["oauth2Token"].steps == ("read", "validate", "call")


@pytest.mark.parametrize(("params", "detail"), [
    ({"limit": "0"}, "Invalid value for the 'limit' parameter: 0. It must be between 1 and 1000."),
    ({"offset": "x"}, "Invalid value for the 'offset' parameter: x."),
])
def test_a_bad_paging_parameter_is_named(erp: Erp, params: dict[str, str], detail: str) -> None:
    r = erp.get(f"{RECORDS}/customer", params=params)
    assert r.status_code == 400
    error = r.json()["o:errorDetails"][0]
    assert (error["o:errorCode"], error["detail"]) == ("INVALID_PARAMETER", detail)
    # A blank value is as if not given.
    assert erp.get(f"{RECORDS}/customer", params={"limit": ""}).status_code == 200


def test_an_async_request_checks_its_parameters_when_its_job_runs(erp: Erp) -> None:
    r = erp.get(f"{RECORDS}/customer", params={"limit": "0"},
                headers={"Prefer": "respond-async"})
    assert r.status_code == 202
    job = r.headers["location"].removeprefix(BASE)
    result = erp.get(f"{job}/task/{job.rsplit('/', 1)[-1]}/result")
    assert result.status_code == 400
    assert result.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"


def test_the_document_lists_each_operation(erp: Erp) -> None:
    doc = erp.get("/_sim/openapi.json").json()["paths"]
    for op in OPERATIONS:
        entry = doc[op.path][op.method.lower()]
        assert entry["operationId"] == op.operation_id
        assert entry.get("description", "") == op.docs
        assert ("202" in entry["responses"]) == bool(op.extra.get("respond_async"))
