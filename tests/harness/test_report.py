"""Reports: the JSON result document and the self-contained HTML."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from harness.report import (
    ResultCollector,
    build_result,
    fault_kinds,
    flows_of,
    load_result,
    render_html,
    violation_to_dict,
    write_report,
)
from harness.stack import InProcessStack, StackConfig
from tests.harness.test_stack import create_customer, echo_manifest, events_of

T0 = 1_768_478_400.0


def _test(nodeid: str = "scenarios/test_q2c.py::test_happy", outcome: str = "passed",
          **extra: Any) -> dict[str, Any]:
    return {
        "nodeid": nodeid, "outcome": outcome, "duration_s": 1.25, "seed": 42,
        "tenant": {"connection": "t-1", "ids": {"crm": "00Dxx", "billing": "acct_1",
                                                "erp": "1234567"}},
        "journal": {
            "crm": [{"wall": T0, "method": "POST", "path": "/services/oauth2/token",
                     "status": 200, "faults": []}],
            "billing": [{"wall": T0 + 0.2, "method": "POST", "path": "/v1/subscriptions",
                         "status": 502, "faults": ["lost:commit_then_fail"]},
                        {"wall": T0 + 0.4, "method": "POST", "path": "/v1/subscriptions",
                         "status": 200, "faults": []}],
            "erp": [{"wall": T0 + 0.9, "method": "POST", "path": "/record/v1/invoice",
                     "status": 429, "faults": ["rl:rate_limit"]}],
        },
        "deliveries": {"billing": [
            {"wall": T0 + 0.5, "event_type": "invoice.finalized", "status": 200, "ok": True,
             "attempt": 1, "copy": 0, "fault": None},
            {"wall": T0 + 0.6, "event_type": "invoice.finalized", "status": 200, "ok": True,
             "attempt": 1, "copy": 1, "fault": "duplicate"}]},
        "faults": {
            "billing": [{"wall": T0 + 0.2, "kind": "commit_then_fail", "rule": "lost",
                         "method": "POST", "path": "/v1/subscriptions", "ordinal": 1}],
            "erp": [{"wall": T0 + 0.9, "kind": "rate_limit", "rule": "rl", "method": "POST",
                     "path": "/record/v1/invoice", "ordinal": 3}]},
        **extra,
    }


def test_result_summarises_faults_deliveries_violations_and_latency() -> None:
    violations = [{"code": "ERP_INVOICE_MISSING", "severity": "revenue", "message": "m",
                   "objects": {"billing": ["in_1"]}}]
    result = build_result({"seed": 42, "stack": "inprocess", "chaos": "default-chaos"},
                          [_test(violations=violations), _test("s.py::test_b", "failed")],
                          started=T0, finished=T0 + 3)
    summary = result["summary"]
    assert result["run"]["seed"] == 42 and result["run"]["duration_s"] == 3
    assert summary["outcomes"] == {"passed": 1, "failed": 1}
    assert summary["faults_by_kind"] == {"commit_then_fail": 2, "rate_limit": 2}
    assert summary["faults_by_kind_and_vendor"]["rate_limit"] == {"erp": 2}
    assert summary["deliveries"] == {"attempts": 4, "failed": 0, "duplicates": 2}
    assert summary["violations_by_severity"] == {"revenue": 1, "compliance": 0, "cosmetic": 0}
    assert summary["flow_latency_s"]["p50"] == 0.9
    assert json.loads(json.dumps(result)) == result  # plain JSON all the way down


def test_flows_built_from_the_fakes_records_in_time_order() -> None:
    (flow,) = flows_of(_test())
    systems = [e["system"] for e in flow["events"]]
    assert systems[0] == "crm" and "sut" in systems and systems[-1] == "erp"
    times = [e["t"] for e in flow["events"]]
    assert times == sorted(times) and flow["latency_s"] == 0.9
    kinds = {e["kind"] for e in flow["events"]}
    assert kinds == {"request", "delivery", "fault"}


def test_recorded_flows_win_over_derived_ones() -> None:
    recorded = [{"name": "Q2C opp-1", "events": [
        {"system": "billing", "t": T0 + 2, "label": "subscription"},
        {"system": "crm", "t": T0, "label": "closed won"}]}]
    (flow,) = flows_of(_test(flows=recorded))
    assert flow["name"] == "Q2C opp-1" and flow["latency_s"] == 2
    assert [e["label"] for e in flow["events"]] == ["closed won", "subscription"]


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(f"{tag} {name}={value}")


def test_html_is_self_contained_escaped_and_ordered_by_severity() -> None:
    violations = [
        {"code": "CRM_STATUS_STALE", "severity": "cosmetic", "message": "stale"},
        {"code": "ERP_INVOICE_DUPLICATE", "severity": "revenue", "message": "<b>twice</b>"}]
    result = build_result({"seed": 7, "stack": "local", "chaos": "none"},
                          [_test("s.py::test_<script>", "failed", violations=violations,
                                 longrepr="AssertionError: boom", rerun="pytest x")])
    page = render_html(result)
    refs = _Refs()
    refs.feed(page)
    assert refs.external == [] and "link" not in refs.tags
    assert "<script>alert" not in page and "test_&lt;script&gt;" in page
    assert "&lt;b&gt;twice&lt;/b&gt;" in page
    assert page.index("ERP_INVOICE_DUPLICATE") < page.index("CRM_STATUS_STALE")
    assert "seed 7" in page and "AssertionError: boom" in page
    assert page.count('class="timeline"') == 1
    assert "Webhooks → SUT" in page and 'aria-label="faults by kind"' in page
    assert re.search(r"<title>\+200 ms POST /v1/subscriptions → 502", page)


def test_empty_runs_render_too() -> None:
    page = render_html(build_result({"seed": 1}, []))
    assert "No oracle violations recorded." in page and "No fintwin tests ran." in page


def test_violations_from_objects_and_mappings() -> None:
    class V:
        def to_dict(self) -> dict[str, Any]:
            return {"code": "X", "severity": "compliance", "message": "m", "objects": {}}

    assert violation_to_dict(V())["severity"] == "compliance"
    assert violation_to_dict({"message": "bare"})["severity"] == "cosmetic"
    assert violation_to_dict("text")["message"] == "text"


def test_collector_merges_phases_into_one_outcome() -> None:
    collector = ResultCollector()

    def rep(nodeid: str, when: str, outcome: str) -> SimpleNamespace:
        return SimpleNamespace(nodeid=nodeid, when=when, outcome=outcome, duration=0.5,
                               failed=outcome == "failed", longreprtext="trace" if
                               outcome == "failed" else "", sections=[])

    for when, outcome in (("setup", "passed"), ("call", "failed"), ("teardown", "passed")):
        collector.add(rep("a", when, outcome), {"seed": 3, "faults": {"crm": [{"kind": "x"}]}})
    collector.add(rep("b", "setup", "failed"), {"seed": 3})
    collector.add(rep("c", "setup", "skipped"), {"seed": 3})
    assert {k: v["outcome"] for k, v in collector.tests.items()} == {
        "a": "failed", "b": "error", "c": "skipped"}
    assert collector.tests["a"]["duration_s"] == 1.5 and collector.fault_total() == 1
    assert fault_kinds(collector.tests.values()) == {"x": 1}


def test_an_example_report_from_a_chaos_run(tmp_path: Path) -> None:
    config = StackConfig(seed=21, chaos="duplicate-storm", delivery_time_scale=0.001)
    with InProcessStack(echo_manifest(), config) as stack:
        tenant = stack.new_tenant("example")
        for i in range(3):
            create_customer(stack, tenant, f"c{i}@acme.test")
        events_of(stack, tenant, "billing", 3)
        record = {"nodeid": "example::test_chaos", "outcome": "passed", "duration_s": 0.1,
                  "tenant": tenant.to_json(), **stack.collect(tenant)}
    json_path, html_path = write_report(
        tmp_path, build_result(stack.describe(), [record]))
    result = load_result(json_path)
    assert result["run"]["seed"] == 21 and result["run"]["chaos"] == "duplicate-storm"
    (test,) = result["tests"]
    assert test["deliveries"]["billing"] and test["flows"][0]["events"]
    assert "<svg" in html_path.read_text()
