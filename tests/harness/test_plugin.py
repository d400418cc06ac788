"""The pytest plugin, run with pytester against the echo SUT of test_stack."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

ECHO_MANIFEST = """
name = "echo"
[start]
url = "http://127.0.0.1:9"
health = "/health"
[env]
crm_base_url = "ECHO_CRM_URL"
billing_base_url = "ECHO_BILLING_URL"
erp_base_url = "ECHO_ERP_URL"
admin_token = "ECHO_ADMIN_TOKEN"
[webhooks]
billing = "/hooks/billing/{connection}"
crm = "/hooks/crm/{connection}"
[admin]
connections = "/admin/connections"
dlq = "/admin/dlq"
[inprocess]
factory = "tests.harness.test_stack:create_echo_app"
"""

SCENARIOS = '''
import httpx


def _post_customer(stack, tenant):
    with stack.client("billing") as client:
        return client.post("/v1/customers", data={"email": "ap@acme.test"},
                           headers={"Authorization": f"Bearer {tenant.billing.api_key}"})


def test_customer_reaches_the_sut(fintwin_stack, tenant, eventually, fintwin_record):
    assert _post_customer(fintwin_stack, tenant).status_code == 200
    got = eventually(lambda: fintwin_stack.dlq(tenant).json()["data"], timeout=10,
                     what="the event at the SUT")
    assert got[0]["event"]["type"] == "customer.created"
    # The SUT stores the event before it answers; the fake records the delivery once the
    # answer is back. Wait for that record, which the report is built from.
    eventually(lambda: [d for d in fintwin_stack.deliveries("billing", tenant) if d["ok"]],
               timeout=10, what="the delivery recorded by the fake")
    fintwin_record.violations([{"code": "DEMO_COSMETIC", "severity": "cosmetic",
                                "message": "a recorded violation",
                                "objects": {"billing": ["cus_x"]}}])


def test_a_fault_rule_hits_only_this_tenant(fintwin_stack, tenant, fault_plan):
    fault_plan.add("billing", {"match": {"method": "POST", "path": "/v1/customers",
                                         "nth": [1]},
                               "fault": {"error": {"status": 503}}})
    assert _post_customer(fintwin_stack, tenant).status_code == 503
    assert _post_customer(fintwin_stack, tenant).status_code == 200
    assert [e["kind"] for e in fault_plan.log("billing")] == ["error"]


def test_fails_on_purpose(tenant):
    assert tenant.label == "something else"


def test_plain():
    assert True
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makefile(".toml", echo=ECHO_MANIFEST)
    pytester.makepyfile(test_scenarios=SCENARIOS)
    return pytester


def _args(project: pytest.Pytester, *extra: str) -> list[str]:
    return ["-p", "no:cacheprovider", "--fintwin-sut", str(project.path / "echo.toml"), *extra]


def _report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / "fintwin-results.json").read_text())
    return data


def test_plugin_is_inert_for_tests_without_fintwin_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--fintwin-report", "out",
                                "--fintwin-sut", "does-not-exist.toml")
    result.assert_outcomes(passed=1)
    assert "= fintwin =" not in result.stdout.str()  # no summary section
    assert not (pytester.path / "out").exists()


def test_fixtures_record_seed_scenario_faults_and_violations(project: pytest.Pytester) -> None:
    result = project.runpytest(*_args(project, "--fintwin-seed", "42", "--fintwin-report",
                                      "report", "--junitxml", "junit.xml"))
    result.assert_outcomes(passed=3, failed=1)
    out = result.stdout.str()
    assert "seed 42  epoch 2026-01-15T09:00:00Z  stack inprocess  chaos none" in out
    assert ("rerun: pytest test_scenarios.py::test_fails_on_purpose --fintwin-seed 42 "
            "--fintwin-epoch 2026-01-15T09:00:00Z --fintwin-stack inprocess "
            "--fintwin-chaos none") in out
    assert "report: " in out

    report = _report(project.path / "report")
    assert report["run"]["seed"] == 42
    assert report["run"]["epoch"] == "2026-01-15T09:00:00Z"
    tests = {t["nodeid"].split("::")[1]: t for t in report["tests"]}
    # test_plain used no fintwin fixture: it is not in the report.
    assert set(tests) == {"test_customer_reaches_the_sut",
                          "test_a_fault_rule_hits_only_this_tenant", "test_fails_on_purpose"}
    reached = tests["test_customer_reaches_the_sut"]
    assert reached["outcome"] == "passed" and reached["seed"] == 42
    assert reached["violations"][0]["code"] == "DEMO_COSMETIC"
    assert any(d["ok"] is True for d in reached["deliveries"]["billing"])
    assert reached["flows"] and reached["flows"][0]["events"]
    faulted = tests["test_a_fault_rule_hits_only_this_tenant"]
    assert [f["kind"] for f in faulted["faults"]["billing"]] == ["error"]
    assert report["summary"]["faults_by_kind"] == {"error": 1}
    assert report["summary"]["violations_by_severity"]["cosmetic"] == 1
    failed = tests["test_fails_on_purpose"]
    assert failed["outcome"] == "failed" and "--fintwin-seed 42" in failed["rerun"]
    assert (project.path / "report" / "fintwin-report.html").read_text().startswith(
        "<!doctype html>")

    props = {(tc.get("name"), p.get("name")): p.get("value")
             for tc in ET.parse(project.path / "junit.xml").getroot().iter("testcase")
             for p in tc.iter("property")}
    assert props[("test_fails_on_purpose", "fintwin_seed")] == "42"
    assert props[("test_fails_on_purpose", "fintwin_scenario")] == \
        "test_scenarios.py::test_fails_on_purpose"
    assert ("test_plain", "fintwin_seed") not in props


def test_same_seed_gives_the_same_tenants_and_fault_logs(project: pytest.Pytester) -> None:
    runs = []
    for name in ("a", "b"):
        project.runpytest(*_args(project, "--fintwin-seed", "7", "--fintwin-report", name,
                                 "-k", "fault_rule"))
        test = _report(project.path / name)["tests"][0]
        runs.append((test["tenant"]["ids"],
                     [(f["rule"], f["kind"], f["ordinal"]) for f in test["faults"]["billing"]]))
    assert runs[0] == runs[1]
    project.runpytest(*_args(project, "--fintwin-seed", "8", "--fintwin-report", "c",
                             "-k", "fault_rule"))
    assert _report(project.path / "c")["tests"][0]["tenant"]["ids"] != runs[0][0]


def test_xdist_workers_share_the_controllers_seed_and_one_report(
        project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(*_args(project, "-n", "2", "--fintwin-report", "x",
                                                 "-k", "not fails_on_purpose"))
    result.assert_outcomes(passed=3)
    report = _report(project.path / "x")
    seed = report["run"]["seed"]
    assert isinstance(seed, int)
    assert len(report["tests"]) == 2
    assert {t["seed"] for t in report["tests"]} == {seed}


def test_a_bad_manifest_is_reported_as_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", bad='name = "x"\n[start]\nurl = "ftp://nope"\n')
    pytester.makepyfile(test_one="def test_one(tenant):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--fintwin-sut", "bad.toml")
    assert result.ret != 0
    # Found when the tests are collected (the manifest names their expected failures).
    result.stderr.fnmatch_lines(["*--fintwin-sut*start.url: must be an http(s) URL*"])


EXPECTING = ECHO_MANIFEST.replace('factory = "tests.harness.test_stack:create_echo_app"', '''\
factory = "tests.harness.test_stack:create_echo_app"
[expected_failures]
"test_gaps.py::test_lacks_it" = {why = "no dunning", codes = ["BILLING_STATUS_MISMATCH"]}
"test_gaps.py::test_lacks_it_but_passes" = {why = "said to lack it", codes = ["NOT_HAPPENED"]}
"test_gaps.py::test_lacks_it_but_breaks" = {why = "no dunning", codes = ["BILLING_STATUS_MISMATCH"]}
"test_gaps.py::test_lacks_a_dlq" = {why = "no DLQ", codes = ["SUT_FEATURE_MISSING"]}
''').replace('dlq = "/admin/dlq"\n', "")

GAPS = '''
from harness.scenario import Q2C


def test_lacks_it(tenant, fintwin_record):
    fintwin_record.violations([{"code": "BILLING_STATUS_MISMATCH", "severity": "cosmetic",
                                "message": "Billing_Status__c is None", "objects": {}}])
    raise AssertionError("business effects went wrong")


def test_lacks_it_but_passes(tenant):
    pass


def test_lacks_it_but_breaks(tenant):
    raise RuntimeError("the SUT crashed")


def test_lacks_a_dlq(q2c):
    async def scenario(q: Q2C) -> None:
        q.parked()
    q2c.run(scenario)


def test_covered(tenant):
    pass
'''


def test_expected_failures_are_xfailed_only_when_they_fail_as_the_manifest_says(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makefile(".toml", echo=EXPECTING)
    pytester.makepyfile(test_gaps=GAPS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--fintwin-sut",
                                str(pytester.path / "echo.toml"), "--fintwin-report", "out")
    result.assert_outcomes(passed=1, xfailed=2, failed=2)
    out = result.stdout.str()
    assert "[XPASS(strict)] echo lacks this: said to lack it" in out
    assert ("expected to fail showing BILLING_STATUS_MISMATCH (no dunning); it failed showing "
            "no code: not the expected failure") in out
    assert "expected failures (2, each showing a code the manifest names):" in out
    assert "test_gaps.py::test_lacks_a_dlq: SUT_FEATURE_MISSING - echo lacks this: no DLQ" in out
    tests = {t["nodeid"].split("::")[1]: t for t in _report(pytester.path / "out")["tests"]}
    assert tests["test_lacks_it"]["outcome"] == "xfailed"
    assert tests["test_lacks_it"]["expected_failure"] == {
        "why": "echo lacks this: no dunning", "codes": ["BILLING_STATUS_MISMATCH"]}
    assert tests["test_lacks_it_but_breaks"]["outcome"] == "failed"
    assert tests["test_lacks_it_but_passes"]["outcome"] == "failed"
    assert tests["test_covered"]["outcome"] == "passed"
    summary = _report(pytester.path / "out")["summary"]
    # The documented gap's violations are not counted against the run; the others are.
    assert summary["outcomes"] == {"xfailed": 2, "failed": 2, "passed": 1}
    assert summary["violations_by_severity"]["cosmetic"] == 0
