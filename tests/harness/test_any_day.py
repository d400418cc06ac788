"""Same seed and epoch, same result, on any calendar day: ``fintwin demo`` run twice with one
seed, epoch and plan of faults, once as it is and once in a process that believes it is
400 days later (libfaketime moves every clock the process reads: time.time, datetime,
the event loop's), gives the same fault logs, outcomes and business state (ids, amounts,
statuses, business dates in all three fakes: harness.digest) for every flow. A run at
another epoch gives other business dates, so the digest does look at them.

libfaketime comes from Debian's ``faketime`` package; .ci/run installs it and sets
FINTWIN_REQUIRE_FAKETIME=1, so CI cannot skip this.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.test_demo import PLAN, fault_log, outcomes

DEALS = 3
SEED = 11
EPOCH = "2026-12-31T23:59:30Z"  # the run crosses New Year: business dates matter here
DAYS = 400


def _demo(out: Path, plan: Path, *, epoch: str = EPOCH, days: int = 0) -> dict[str, Any]:
    argv = [sys.executable, "-m", "harness.cli", "demo", "--deals", str(DEALS),
            "--seed", str(SEED), "--epoch", epoch, "--chaos", str(plan), "--no-progress",
            "--out", str(out)]
    if days:
        argv = ["faketime", "-f", f"+{days}d", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result: dict[str, Any] = json.loads((out / "fintwin-results.json").read_text())
    return result


def business(result: dict[str, Any]) -> dict[str, Any]:
    return {t["nodeid"]: t["notes"]["business"] for t in result["tests"]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    if shutil.which("faketime") is None:
        if os.environ.get("FINTWIN_REQUIRE_FAKETIME"):
            pytest.fail("faketime is required here (apt-get install faketime)")
        pytest.skip("libfaketime is not installed (apt-get install faketime)")
    base = tmp_path_factory.mktemp("any-day")
    plan = base / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN))
    yield {"today": _demo(base / "today", plan),
           "later": _demo(base / "later", plan, days=DAYS),
           "other-epoch": _demo(base / "other", plan, epoch="2027-06-01T09:00:00Z")}


def test_the_process_really_believed_it_was_another_day(
        runs: dict[str, dict[str, Any]]) -> None:
    gap = runs["later"]["run"]["started"] - runs["today"]["run"]["started"]
    # faketime -f replaces any offset the whole test run may already have: 300+ days.
    assert gap > (DAYS - 100) * 86400


def test_same_seed_and_epoch_same_faults_outcomes_and_business_state_on_any_day(
        runs: dict[str, dict[str, Any]]) -> None:
    today, later = runs["today"], runs["later"]
    assert today["demo"]["ok"] and later["demo"]["ok"]
    assert today["run"]["epoch"] == later["run"]["epoch"] == EPOCH
    assert fault_log(later) == fault_log(today)
    assert outcomes(later) == outcomes(today)
    digests = business(today)
    assert all(d["billing.invoices"]["n"] and d["erp.transactions"]["n"]
               for d in digests.values())
    assert business(later) == digests


def test_another_epoch_gives_other_business_dates(runs: dict[str, dict[str, Any]]) -> None:
    today, other = business(runs["today"]), business(runs["other-epoch"])
    assert today.keys() == other.keys()
    for flow, digest in today.items():
        assert digest["billing.invoices"] != other[flow]["billing.invoices"], flow
        assert digest["billing.customers"]["n"] == other[flow]["billing.customers"]["n"]
