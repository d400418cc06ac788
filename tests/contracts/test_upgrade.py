"""The vendor-upgrade rehearsal: the reference's contract passes both Stripe versions (it
reads both shapes); the basil-blind variant's breaks, naming the fields it reads and where
basil moved them; a suite whose verdict changes between the versions is named with its
codes; the report is written as JSON and HTML."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.contracts import upgrade
from harness.contracts.upgrade import Rehearsal, rehearse
from harness.contracts.upgrade_report import text, verdict
from harness.verify import Cell

PACTS = Path(__file__).resolve().parents[2] / "pacts"
BASIL = "2025-03-31.basil"


def _check(tmp_path: Path, *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["upgrade-check", "--vendor", "billing", "--from", "2024-06-20", "--to", BASIL,
                 "--scenarios", "none", "--out", str(tmp_path), *argv])
    return (code, json.loads((tmp_path / "upgrade-check.json").read_text()),
            (tmp_path / "upgrade-check.html").read_text())


def test_the_reference_passes_both_stripe_versions(tmp_path: Path) -> None:
    code, report, page = _check(tmp_path, "--pacts", str(PACTS))
    assert code == 0 and report["safe"]
    handled = {i["description"]: i["covered_by"] for i in report["interactions"]
               if i["covered_by"]}
    assert handled["an invoice.finalized event (pre-basil shapes)"] == \
        "an invoice.finalized event (basil shapes)"
    assert not any(i["breaks"] for i in report["interactions"])
    assert "SAFE" in page


def test_the_basil_blind_variant_breaks_naming_the_fields_it_reads(tmp_path: Path) -> None:
    code, report, page = _check(tmp_path, "--pacts", str(PACTS / "variants" / "pre-basil-only"),
                                "--sut-option", "variant=pre-basil-only")
    assert code == 1 and not report["safe"]
    read = {f["name"]: f["change"] for f in report["fields_read"]}
    assert read["invoice.subscription"] == "moved to parent.subscription_details.subscription"
    assert read["invoice line.price"] == "moved to pricing.price_details.price"
    broken = [i["description"] for i in report["interactions"] if i["breaks"]]
    assert "an invoice.finalized event (pre-basil shapes)" in broken
    assert "variant=pre-basil-only" in report["sut"]
    assert "invoice line.price" in page and "BREAKS" in page


def test_a_suite_whose_verdict_changes_is_named(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[list[str]] = []

    def run_suites(files: Sequence[Path], options: Sequence[str], **kw: Any
                   ) -> tuple[dict[str, Cell], float]:
        runs.append(list(options))
        after = "billing=2025-03-31.basil" in options
        return {"test_quote_to_cash": Cell("failed", ["ERP_INVOICE_MISSING"]) if after
                else Cell("passed"), "test_dunning": Cell("passed")}, 1.0

    monkeypatch.setattr("harness.verify.run_suites", run_suites)
    monkeypatch.setattr(upgrade, "_observed", lambda plan: [])
    report = rehearse(Rehearsal("billing", "2024-06-20", BASIL, [], [],
                                sut_options={"variant": "pre-basil-only"},
                                scenarios=[Path("test_quote_to_cash.py")], record=True,
                                out=tmp_path))
    assert runs[0] == ["--fintwin-sut-option", "variant=pre-basil-only",
                       "--fintwin-vendor-version", "billing=2024-06-20", "--fintwin-traffic"]
    assert runs[1][-1] == f"billing={BASIL}"
    assert [s.scenario for s in report.changed_scenarios] == ["quote_to_cash"]
    assert not report.safe
    said = verdict(report)
    assert "quote_to_cash (ERP_INVOICE_MISSING)" in said
    assert "verdict changes" in text(report)


def test_the_crm_versions_the_fake_serves_alike_are_said_so(tmp_path: Path) -> None:
    code = main(["upgrade-check", "--vendor", "crm", "--from", "59.0", "--to", "62.0",
                 "--scenarios", "none", "--pacts", str(PACTS), "--out", str(tmp_path)])
    report = json.loads((tmp_path / "upgrade-check.json").read_text())
    assert code == 0
    assert any("same shapes at v59.0 and v62.0" in n for n in report["notes"])


def test_a_change_that_does_not_come_back_is_unstable_not_a_break(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []

    def run_suites(files: Sequence[Path], options: Sequence[str], *, out: Path, **kw: Any
                   ) -> tuple[dict[str, Cell], float]:
        calls.append(out)
        flaky = out.name == "to" and out.parent == tmp_path / "runs"  # only the first run
        return {"test_rate_limits": Cell("failed", ["ERP_PAYMENT_MISSING"]) if flaky
                else Cell("passed")}, 1.0

    monkeypatch.setattr("harness.verify.run_suites", run_suites)
    report = rehearse(Rehearsal("billing", "2024-06-20", BASIL, [], [],
                                scenarios=[Path("test_rate_limits.py")], out=tmp_path))
    assert len(calls) == 4  # both versions, then both again for the suite that changed
    [suite] = report.scenarios
    assert suite.unstable and not suite.changed and report.safe
    assert "unstable" in text(report)
