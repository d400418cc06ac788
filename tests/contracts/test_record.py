"""Contracts from observation: a demo run's traffic recorded as pacts verifies against the
fakes; the basil-blind variant's recorded pact fails on 2025-03-31.basil, naming the fields
that moved; and what recording reads from the traffic (shapes, merged answers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.contracts.pactfiles import find
from harness.contracts.record import _promised, record
from harness.contracts.shapes import Absent, common, path_template, query_shape
from harness.contracts.traffic import Exchange, from_results
from harness.contracts.verify import Target, verify, verify_provider
from harness.demo import DemoOptions, run_demo
from simulators.billing.versions import BASIL

PACTS = Path(__file__).resolve().parents[2] / "pacts"


def _demo(out: Path, variant: str) -> Path:
    result = run_demo(DemoOptions(deals=2, seed=5, chaos=None, variant=variant, out=out,
                                  progress=False, traffic=True))
    assert result["demo"]["ok"], result["summary"]
    return out / "fintwin-results.json"


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _demo(tmp_path_factory.mktemp("demo-reference"), "reference")


def test_a_demo_runs_recorded_pacts_verify_against_the_fakes(reference_run: Path,
                                                              tmp_path: Path) -> None:
    recorded = record(from_results(reference_run), "demo-sut", tmp_path)
    assert recorded.interactions["billing"] and recorded.interactions["crm"]
    assert recorded.interactions["erp"] and recorded.messages["billing"]
    assert recorded.messages["crm"]
    pacts = find([tmp_path])
    assert {p.consumer for p in pacts} == {"demo-sut"}
    results = verify(pacts, [Target("billing"), Target("crm"), Target("erp")])
    for result in results:
        assert result.ok, [(c.description, c.mismatches) for c in result.checks if not c.ok]
    # what it could not record is said, not hidden
    assert any("no CRM state publishes a Contact CREATE" in why for why in recorded.left_out)


def test_the_basil_blind_variants_recorded_pact_fails_on_basil(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    run = _demo(tmp_path_factory.mktemp("demo-pre-basil"), "pre-basil-only")
    record(from_results(run), "pre-basil-only", tmp_path)
    pacts = find([tmp_path])
    assert verify_provider(Target("billing"), pacts).ok  # it passes where it was recorded
    at_basil = verify_provider(Target("billing", api_version=BASIL), pacts)
    failed = {c.description: " ".join(str(m.get("mismatch")) for m in c.mismatches)
              for c in at_basil.checks if not c.ok}
    assert "an invoice.finalized event" in failed
    assert "subscription" in failed["an invoice.finalized event"]
    assert "price" in failed["an invoice.finalized event"]  # lines[].price moved under pricing
    # the reference's own contract reads both shapes: it passes both versions
    reference = find([PACTS])
    for version in ("2024-06-20", BASIL):
        assert verify_provider(Target("billing", api_version=version), reference).ok


def test_paths_queries_and_answers_are_generalised() -> None:
    assert path_template("billing", "/v1/invoices/in_1Ab/pay") == "/v1/invoices/{id}/pay"
    assert path_template("crm", "/services/data/v59.0/sobjects/Contract/External_Id__c/sub_1"
                         ) == "/services/data/v59.0/sobjects/Contract/External_Id__c/{value}"
    assert path_template("erp", "/services/rest/record/v1/customer/eid:001X"
                         ) == "/services/rest/record/v1/customer/eid:{externalId}"
    assert query_shape("q=SELECT+Id+FROM+Account+WHERE+Id+%3D+%27001x%27&limit=1") == (
        ("limit", ""), ("q", "SELECT Id FROM Account WHERE Id = ?"))
    answers: list[Any] = [{"id": "a", "email": None, "n": 1, "tags": []},
                          {"id": "b", "email": "x@y", "n": 2.5, "tags": ["t"]},
                          {"id": "c", "n": 3, "tags": ["u"]}]
    # null once, or absent once: left out; sometimes empty: no element shape
    assert common(answers) == {"id": "a", "n": 1, "tags": []}
    assert common([{"k": 1}, {"k": "1"}]) == {}
    assert common([None]) is Absent


def test_a_change_event_poll_promises_only_the_event_header() -> None:
    """Which entity's events a poll answered first depends on when the SUT polled (under
    load, a first poll saw only the catalog's Product2 events and its recorded pact asked
    the provider for IsActive and ProductCode); the state sets up an account, so the
    recorded events keep only the header."""
    event = {"replayId": 1, "event": {"replayId": 1},
             "payload": {"IsActive": True, "ProductCode": "P-1",
                         "ChangeEventHeader": {"entityName": "Product2",
                                               "changeType": "CREATE", "recordIds": ["01t"]}}}
    ex = Exchange("crm", "t", 1, "GET", "/services/data/v59.0/fintwin/changeEvents", "",
                  {}, "", 200, {"content-type": "application/json"},
                  json.dumps({"events": [event]}))
    promised = _promised(ex, json.loads(ex.response_body))
    assert promised["events"][0]["payload"] == {
        "ChangeEventHeader": event["payload"]["ChangeEventHeader"]}
    assert promised["events"][0]["replayId"] == 1
    other = Exchange("billing", "t", 2, "GET", "/v1/customers/cus_1", "", {}, "", 200, {},
                     '{"id": "cus_1"}')
    assert _promised(other, {"id": "cus_1"}) == {"id": "cus_1"}
