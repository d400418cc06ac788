"""``fintwin demo`` on the stack: the same seed run twice gives the same fault logs in the
three fakes and the same results; the report names the seed and the rerun command.

The chaos plan here hits requests each flow makes a fixed number of times in a fixed
order (the subscription create, the ERP invoice create, the billing customer create,
the CRM Contract writes), so the request that receives the nth match of a rule is the
same in both runs. Rules that match every request (as ``default-chaos`` does) hit the
same ordinals of the same rules too, but which request is the nth then also depends on
the SUT's own timing (its CRM polling, its parallel workers); that the same requests get
the same faults whatever else runs is tests/engine/test_determinism.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness import epoch as epochs
from harness.demo import DemoOptions, changed_since, format_summary, retries, run_demo

DEALS = 3
SEED = 7
PLAN = {
    "rules": [
        {"name": "lost-subscription-create",
         "match": {"method": "POST", "path": "/v1/subscriptions", "first": 1},
         "fault": {"commit_then_fail": {"mode": "502"}}},
        {"name": "erp-invoice-503",
         "match": {"method": "POST", "path": "/services/rest/record/v1/invoice", "first": 1},
         "fault": {"error": {"status": 503}}},
        {"name": "customer-429",
         "match": {"method": "POST", "path": "/v1/customers", "first": 1},
         "fault": {"rate_limit": {"retry_after": "200ms"}}},
        {"name": "contract-writes-slow",
         "match": {"method": ["POST", "PATCH"], "path": "/services/data/*/sobjects/Contract*",
                   "probability": 0.5},
         "fault": {"latency": {"p50": "2ms", "p99": "10ms"}}},
    ],
}


def fault_log(result: dict[str, Any]) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Per flow and fake: every fault as (rule, kind, method, path, ordinal), in order of
    rule and ordinal (wall times and log sequence numbers differ between runs)."""
    return {t["nodeid"]: {vendor: sorted((e["rule"], e["kind"], e["method"], e["path"],
                                          e["ordinal"]) for e in entries)
                          for vendor, entries in t["faults"].items()}
            for t in result["tests"]}


def outcomes(result: dict[str, Any]) -> dict[str, Any]:
    """What a run produced: each flow's outcome, oracle counts and violations, and the
    summary's faults by kind and violations."""
    demo = result["demo"]
    return {
        "flows": {t["nodeid"]: (t["outcome"], t["notes"]["oracle_counts"],
                                sorted(v["code"] for v in t["violations"]))
                  for t in result["tests"]},
        "faults": demo["faults"], "violations": demo["violations"],
        "through": demo["flows_through"],
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    base = tmp_path_factory.mktemp("demo")
    plan = base / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN))
    yield [run_demo(DemoOptions(deals=DEALS, seed=SEED, chaos=str(plan), out=base / f"run{i}",
                                progress=False))
           for i in (1, 2)]


def test_same_seed_same_fault_logs_and_results(runs: list[dict[str, Any]]) -> None:
    first, second = runs
    assert first["demo"]["ok"], format_summary(first)
    log = fault_log(first)
    # Every flow met the planned faults in each fake.
    for flow in log.values():
        assert {f[0] for f in flow["billing"]} >= {"lost-subscription-create", "customer-429"}
        assert {f[0] for f in flow["erp"]} == {"erp-invoice-503"}
    assert fault_log(second) == log
    assert outcomes(second) == outcomes(first)


def test_a_different_seed_gives_different_flows(tmp_path: Path,
                                                runs: list[dict[str, Any]]) -> None:
    other = run_demo(DemoOptions(deals=1, seed=SEED + 1, chaos=None, out=None, progress=False))
    assert other["demo"]["ok"], format_summary(other)
    assert other["tests"][0]["nodeid"] != runs[0]["tests"][0]["nodeid"]  # another company
    assert other["tests"][0]["tenant"]["ids"] != runs[0]["tests"][0]["tenant"]["ids"]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_names_the_seed_and_the_rerun_command(runs: list[dict[str, Any]]) -> None:
    result = runs[0]
    paths = result["demo"]["report"]
    stored = json.loads(Path(paths["json"]).read_text())
    assert stored["run"]["seed"] == SEED
    rerun = stored["run"]["rerun"]
    assert rerun.startswith(
        f"fintwin demo --seed 7 --epoch {epochs.name(epochs.resolve())} --deals 3 --chaos ")
    assert stored["run"]["epoch"] == epochs.DEFAULT_EPOCH
    assert rerun.endswith("--stack inprocess")
    parser = _Text()
    parser.feed(Path(paths["html"]).read_text())
    text = " ".join(parser.text)
    assert rerun in text
    assert "Seed" in text and "Timelines" in text and "Business epoch" in text
    # One timeline per flow, with the faults that hit it.
    assert len(stored["tests"]) == DEALS
    for test in stored["tests"]:
        (flow,) = test["flows"]
        systems = {e["system"] for e in flow["events"]}
        assert {"crm", "billing", "erp", "sut"} <= systems
        assert any(e["kind"] == "fault" for e in flow["events"])
    summary = format_summary(result)
    assert f"HTML report: {paths['html']}" in summary
    assert "faults injected" in summary and "retries" in summary


def test_retries_are_counted_from_the_journal() -> None:
    def entry(seq: int, status: int, faults: tuple[str, ...] = (), key: str | None = "k1",
              path: str = "/v1/subscriptions", trace: str | None = None) -> dict[str, Any]:
        return {"seq": seq, "method": "POST", "path": path, "query": "", "status": status,
                "idempotency_key": key, "faults": list(faults), "body_digest": "d",
                "trace_id": trace}

    journal = [
        entry(1, 502, ("lost-write:commit_then_fail",)),
        entry(2, 200),  # a retry of 1
        entry(3, 200),  # the same again after a success: not a retry
        entry(4, 429, key="k2"),
        entry(5, 200, key="k2"),  # a retry of 4
        entry(6, 200, ("latency:latency",), key="k3"),
        entry(7, 200, key="k3"),  # after a latency fault only: not a retry
        entry(8, 503, key=None, path="/v1/customers"),
        entry(9, 200, key=None, path="/v1/customers"),  # a retry of 8
        entry(10, 503, key=None, path="/v1/invoices", trace="a"),
        entry(11, 200, key=None, path="/v1/invoices", trace="b"),  # other work: not a retry
        entry(12, 200, key=None, path="/v1/invoices", trace="a"),  # a retry of 10
    ]
    assert retries(journal) == 4


def test_a_tenant_is_checked_again_only_after_a_write_or_a_delivery() -> None:
    collected = {"journal": {"crm": [{"method": "GET", "wall": 10.0},
                                     {"method": "PATCH", "wall": 5.0}],
                             "billing": [], "erp": []},
                 "deliveries": {"crm": [], "billing": [{"wall": 6.0}], "erp": []}}
    assert not changed_since(collected, 7.0)  # only a read (CRM polling) since
    assert changed_since(collected, 6.0)  # the delivery
    assert changed_since(collected, 4.0)  # the write
    assert changed_since(collected, None)  # never checked


def test_the_demo_over_sockets_with_the_crm_over_tls(tmp_path: Path) -> None:
    result = run_demo(DemoOptions(deals=2, seed=SEED, stack="local", out=tmp_path,
                                  progress=False))
    assert result["demo"]["ok"], format_summary(result)
    assert result["run"]["stack"] == "local"
    assert result["run"]["rerun"].endswith("--stack local")
    urls = result["run"]["urls"]
    assert urls["crm"].startswith("https://127.0.0.1:")  # TLS with the local CA
    assert urls["billing"].startswith("http://127.0.0.1:")
    journal = result["tests"][0]["journal"]
    assert journal["crm"] and journal["billing"] and journal["erp"]  # the SUT's own calls
    assert (tmp_path / "fintwin-report.html").is_file()
