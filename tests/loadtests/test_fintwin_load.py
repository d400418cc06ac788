"""``fintwin load`` end to end, short and headless: the stack as local processes, Locust
in processes of its own (so gevent never enters pytest), the cutover report and the
oracle after the load. And distributed mode: a master with 2 workers gives the same
totals as one process for the same fixed load.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.load.flows import ACCOUNT_SYNC, INVOICE_POSTED, PAYMENT_APPLIED

LOGINS = ("crm oauth2 token", "erp oauth2 token")  # one per tenant and process


def fintwin_load(out: Path, *args: str, timeout: float = 240) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "load", "--out", str(out),
                           *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-4000:]}"
    result: dict[str, Any] = json.loads((out / "cutover-report.json").read_text())
    return result


def flow_totals(result: dict[str, Any]) -> dict[str, int]:
    return {t["name"]: t["requests"] for t in result["locust"]["totals"].values()
            if t["type"] == "FLOW"}


def test_a_short_headless_q2c_run_measures_flows_writes_the_report_and_is_clean(
        tmp_path: Path) -> None:
    result = fintwin_load(tmp_path, "--scenario", "q2c", "--users", "3", "--spawn-rate",
                          "3", "--duration", "8s")
    # The end-to-end metric is in Locust's own stats, as requests of type FLOW ...
    flows = flow_totals(result)
    assert flows.get(PAYMENT_APPLIED, 0) >= 1 and flows.get(INVOICE_POSTED, 0) >= 1, flows
    stats = (tmp_path / "locust_stats.csv").read_text()
    assert f"FLOW,{PAYMENT_APPLIED}" in stats
    # ... beside the raw vendor calls the users made.
    names = {t["name"] for t in result["locust"]["totals"].values() if t["type"] != "FLOW"}
    assert {"crm create Account", "crm update Opportunity"} <= names
    # Each flow is logged with its latency for the charts over time.
    samples = [json.loads(line) for line in (tmp_path / "flows.jsonl").read_text().splitlines()]
    paid = [s for s in samples if s["name"] == PAYMENT_APPLIED]
    assert paid and all(s["ok"] and s["ms"] > 0 for s in paid)
    assert result["flows"]["through"] == len(paid) and result["flows"]["failed"] == 0
    assert any(v for _, v in result["series"]["flows_per_min"])
    # The oracle ran on every tenant after the load and found nothing.
    assert result["oracle"]["tenants"] == 1 and result["oracle"]["violations"] == 0
    assert result["verdict"]["ok"], result["verdict"]
    # The reports: fintwin's (verdict first, charts over time) and Locust's own.
    page = (tmp_path / "cutover-report.html").read_text()
    assert page.index("PASS:") < page.index("<svg")
    assert page.count("<svg") >= 5 and "<polyline" in page
    assert (tmp_path / "locust-report.html").stat().st_size > 10_000
    assert (tmp_path / "stack.json").stat().st_mode & 0o077 == 0  # it holds secrets


def test_month_end_renewals_all_post_and_pay_under_the_erp_limit(tmp_path: Path) -> None:
    result = fintwin_load(tmp_path, "--scenario", "month-end", "--renewals", "6")
    me = result["month_end"]
    assert (me["renewals"], me["posted"], me["paid"]) == (6, 6, 6)
    assert me["time_to_drain_s"] is not None
    assert me["erp_limit"] == 5 and me["peak_erp_concurrency"] <= 5
    assert result["oracle"]["violations"] == 0 and result["verdict"]["ok"]


def test_two_workers_give_the_same_totals_as_one_process(tmp_path: Path) -> None:
    fixed = ("--scenario", "q2c", "--users", "4", "--spawn-rate", "4",
             "--deals-per-user", "2")
    one = fintwin_load(tmp_path / "one", *fixed)
    two = fintwin_load(tmp_path / "two", *fixed, "--workers", "2")
    assert two["options"]["workers"] == 2 and two["locust"]["workers"] == 2

    def totals(result: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
        return {(t["type"], t["name"]): (t["requests"], t["failures"])
                for t in result["locust"]["totals"].values() if t["name"] not in LOGINS}

    assert totals(one) == totals(two)
    deals = 4 * 2
    for name in (ACCOUNT_SYNC, INVOICE_POSTED, PAYMENT_APPLIED):
        assert totals(two)[("FLOW", name)] == (deals, 0)
    assert one["oracle"]["per_tenant"][0]["counts"] == two["oracle"]["per_tenant"][0]["counts"]
    assert one["oracle"]["violations"] == two["oracle"]["violations"] == 0


def test_the_harness_never_imports_gevent() -> None:
    code = ("import sys, harness.cli, harness.load.run, harness.load.report; "
            "assert 'gevent' not in sys.modules and 'locust' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
