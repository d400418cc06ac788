"""fintwin verify-harness: parsing the variants' predictions, reading failures, a real
matrix for a small subset (the reference and two variants, each on its own scenario), and
ignores-retry-after caught on the vendors without idempotency keys."""

from __future__ import annotations

import json
from pathlib import Path

from harness.report import JSON_NAME
from harness.verify import (
    Cell,
    Prediction,
    Row,
    failure_codes,
    known_codes,
    render,
    run_variant,
    scenario_files,
    verify,
)
from integration_layer.service.variants import VARIANTS


def test_every_variant_names_an_existing_scenario_and_known_codes() -> None:
    stems = {f.stem for f in scenario_files()}
    for variant in VARIANTS.values():
        if variant.name == "reference":
            continue
        prediction = Prediction.parse(variant.caught_by)
        assert prediction is not None, f"{variant.name}: caught_by names no scenario file"
        assert prediction.scenario in stems, f"{variant.name}: no {prediction.scenario}.py"
        assert prediction.codes and prediction.codes <= known_codes(), \
            f"{variant.name}: predicts unknown codes {sorted(prediction.codes - known_codes())}"


def test_failure_codes_come_from_violations_else_from_the_assertion_text() -> None:
    recorded = {"violations": [{"code": "ERP_INVOICE_DUPLICATE"}], "longrepr": "E  whatever"}
    assert failure_codes(recorded) == ["ERP_INVOICE_DUPLICATE"]
    text = ("    assert not report.by_code(OTHER_NAME)\n"
            "E   AssertionError: held:\nE     [compliance] ERP_POSTED_UNMAPPED_ENTITY: x\n")
    assert failure_codes({"longrepr": text}) == ["ERP_POSTED_UNMAPPED_ENTITY"]
    assert failure_codes({"longrepr": "E   harness.waiting.NotYet: x did not happen"}) == [
        "NOT_HAPPENED"]


def test_verdicts_need_the_predicted_code_and_a_clean_reference() -> None:
    prediction = Prediction("test_dup", frozenset({"ERP_WRITE_REFUSED"}))
    caught = Row("v", "d", prediction, {"test_dup": Cell("failed", ["ERP_WRITE_REFUSED"])})
    wrong = Row("v", "d", prediction, {"test_dup": Cell("failed", ["CONTRACT_MISSING"])})
    missed = Row("v", "d", prediction, {"test_dup": Cell("passed")})
    reference = Row("reference", "none", None, {"test_dup": Cell("failed", ["X_Y"])})
    assert caught.verdict()[0] and not wrong.verdict()[0] and not missed.verdict()[0]
    assert not reference.verdict()[0]
    assert "ERP_WRITE_REFUSED" in render([caught])


def test_small_matrix_reference_passes_and_variants_are_caught(tmp_path: Path) -> None:
    rows = verify(names=["reference", "float-money", "no-legal-entity-check"], quick=True,
                  seed=3, jobs=2, out=tmp_path, progress=False)
    table = render(rows)
    assert [r.variant for r in rows] == ["reference", "float-money", "no-legal-entity-check"]
    assert set(rows[0].cells) == {"test_quote_to_cash", "test_compensation"}, table
    for row in rows:
        assert row.verdict()[0], f"{row.variant}: {row.verdict()[1]}\n{table}"


def test_ignoring_retry_after_is_caught_on_the_crm_and_erp_too(tmp_path: Path) -> None:
    """Keyless early retries count: the CRM and ERP writes carry no idempotency key, the
    same write (method, path, query, body digest, trace) sent again early is certain."""
    files = scenario_files(only=["rate_limits"])
    cells, _ = run_variant("ignores-retry-after", files, seed=1, out=tmp_path)
    cell = cells["test_rate_limits"]
    assert cell.outcome == "failed" and "RETRY_BEFORE_RETRY_AFTER" in cell.codes, cell
    test = json.loads((tmp_path / JSON_NAME).read_text())["tests"][0]
    early = test["notes"]["early_retries"]
    assert early["crm"]["certain"] and early["erp"]["certain"], early
