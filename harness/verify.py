"""``fintwin verify-harness``: the detection power of the scenario suites.

Runs the suites in ``scenarios/`` against the reference integration layer and against each
of its faulty variants (``integration_layer.service.variants``; one pytest run per
variant, the variant chosen with ``--fintwin-sut-option variant=NAME``), and prints a
matrix variant x scenario: ``.`` passed, ``F`` failed (with the violation codes the
failure showed). The harness is verified when the reference passes every scenario and each
variant fails the scenario its ``caught_by`` names with at least one of the violation
codes it predicts (``caught_by = "scenarios/test_x.py: CODE, CODE (why)"``).

Besides oracle codes (``harness.oracle.codes``) a failure can show the harness's own
findings (``harness.scenario``): ``RETRY_BEFORE_RETRY_AFTER``, ``ERP_WRITE_REFUSED``, and
``NOT_HAPPENED`` when an awaited outcome never came.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import epoch as epochs
from harness.report import JSON_NAME

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
NOT_HAPPENED = "NOT_HAPPENED"
_CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


@dataclass(frozen=True)
class Prediction:
    """What a variant's ``caught_by`` says: the scenario (file stem) and the codes."""

    scenario: str
    codes: frozenset[str]

    @classmethod
    def parse(cls, caught_by: str) -> Prediction | None:
        head, sep, rest = caught_by.partition(":")
        if not sep or not head.strip().endswith(".py"):
            return None
        return cls(Path(head.strip()).stem, frozenset(_CODE.findall(rest.split("(")[0])))


@dataclass
class Cell:
    outcome: str  # passed, failed, error, skipped, missing
    codes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def mark(self) -> str:
        return {"passed": ".", "skipped": "s", "missing": "?"}.get(self.outcome, "F")


@dataclass
class Row:
    variant: str
    defect: str
    prediction: Prediction | None
    cells: dict[str, Cell] = field(default_factory=dict)
    seconds: float = 0.0

    def verdict(self) -> tuple[bool, str]:
        """(as expected?, why)."""
        if self.variant == "reference":
            bad = [s for s, c in self.cells.items() if not c.passed]
            return (not bad, "passes every scenario" if not bad
                    else "FAILS " + ", ".join(f"{s} ({', '.join(self.cells[s].codes)})"
                                             for s in bad))
        caught = {s: c for s, c in self.cells.items() if not c.passed}
        if self.prediction is None:
            return bool(caught), ("caught by " + ", ".join(caught) if caught
                                  else "NOT CAUGHT (and no caught_by to check)")
        p = self.prediction
        cell = self.cells.get(p.scenario)
        if cell is None:
            return bool(caught), f"{p.scenario} not run; caught by {', '.join(caught) or 'none'}"
        if cell.passed:
            return False, f"NOT CAUGHT by {p.scenario} (predicted {', '.join(sorted(p.codes))})"
        hit = sorted(p.codes & set(cell.codes)) if p.codes else cell.codes
        if not hit:
            return False, (f"{p.scenario} failed with {', '.join(cell.codes) or 'no code'}, "
                           f"not the predicted {', '.join(sorted(p.codes))}")
        return True, f"caught by {p.scenario}: {', '.join(hit)}"


def scenario_files(directory: Path = SCENARIOS_DIR,
                   only: Iterable[str] | None = None) -> list[Path]:
    """The suites (``test_*.py``), optionally only those named (stem, with or without
    ``test_``)."""
    files = sorted(directory.glob("test_*.py"))
    if only is None:
        return files
    wanted = {n if n.startswith("test_") else f"test_{n}" for n in only}
    found = [f for f in files if f.stem in wanted]
    missing = wanted - {f.stem for f in found}
    if missing:
        raise SystemExit(f"fintwin verify-harness: no scenario {', '.join(sorted(missing))} "
                         f"in {directory}")
    return found


def failure_codes(test: Mapping[str, Any]) -> list[str]:
    """The violation codes a failed test showed: its recorded violations, else codes named
    in its failure text, else NOT_HAPPENED for an outcome that never came."""
    codes = sorted({str(v.get("code")) for v in test.get("violations") or [] if v.get("code")})
    text = str(test.get("longrepr") or "")
    if not codes:  # an assertion on a report: the codes its summary names
        said = "\n".join(line for line in text.splitlines() if line.startswith("E "))
        codes = sorted(set(_CODE.findall(said)) & known_codes())
    if "NotYet" in text and NOT_HAPPENED not in codes:
        codes.append(NOT_HAPPENED)
    return codes


def known_codes() -> frozenset[str]:
    """The oracle's codes and the harness's own findings."""
    from harness.oracle.codes import SEVERITY
    from harness.scenario import FINDINGS

    return frozenset(SEVERITY) | FINDINGS


def run_variant(variant: str, files: Sequence[Path], *, seed: int, out: Path,
                epoch: float | None = None, workers: int = 0,
                timeout: float = 1800.0) -> tuple[dict[str, Cell], float]:
    """One pytest run of ``files`` against ``variant``; its cells by scenario stem."""
    return run_suites(files, ["--fintwin-sut-option", f"variant={variant}"], seed=seed,
                      out=out, epoch=epoch, workers=workers, timeout=timeout)


def run_suites(files: Sequence[Path], options: Sequence[str], *, seed: int, out: Path,
               epoch: float | None = None, workers: int = 0,
               timeout: float = 1800.0) -> tuple[dict[str, Cell], float]:
    """One pytest run of ``files`` with the plugin ``options``; its cells by scenario stem
    (the run's log and report are kept in ``out``)."""
    out.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "pytest", *map(str, files), "-q", "-p", "no:cacheprovider",
            "-n", str(workers), "--fintwin-seed", str(seed),
            "--fintwin-epoch", epochs.name(epochs.resolve() if epoch is None else epoch),
            *options, "--fintwin-report", str(out)]
    started = time.monotonic()
    with open(out / "pytest.log", "wb") as log:
        subprocess.run(argv, cwd=SCENARIOS_DIR.parent, stdout=log, stderr=subprocess.STDOUT,
                       timeout=timeout, check=False)
    seconds = time.monotonic() - started
    cells = {f.stem: Cell("missing") for f in files}
    result_file = out / JSON_NAME
    if result_file.exists():
        for test in json.loads(result_file.read_text()).get("tests", []):
            stem = Path(str(test["nodeid"]).split("::")[0]).stem
            outcome = str(test.get("outcome", "passed"))
            previous = cells.get(stem)
            cell = Cell(outcome, failure_codes(test) if outcome != "passed" else [],
                        float(test.get("duration_s") or 0))
            if previous is None or previous.outcome in ("missing", "passed"):
                cells[stem] = cell
    return cells, seconds


def variants() -> dict[str, tuple[str, str]]:
    """name -> (defect, caught_by) of the reference and every faulty variant."""
    from integration_layer.service.variants import VARIANTS

    return {v.name: (v.defect, v.caught_by) for v in VARIANTS.values()}


def verify(*, names: Sequence[str] | None = None, scenarios: Sequence[str] | None = None,
           quick: bool = False, seed: int = 1, epoch: float | None = None, jobs: int = 2,
           out: Path | None = None, progress: bool = True) -> list[Row]:
    """Run the matrix; returns one :class:`Row` per variant (reference first).

    ``quick``: each faulty variant runs only the scenario its ``caught_by`` names, and the
    reference runs the union of those."""
    known = variants()
    chosen = list(names or known)
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise SystemExit(f"fintwin verify-harness: unknown variant(s) {', '.join(unknown)}; "
                         f"known: {', '.join(known)}")
    if "reference" in chosen:
        chosen = ["reference", *(n for n in chosen if n != "reference")]
    all_files = scenario_files(only=scenarios)
    rows = [Row(n, known[n][0], Prediction.parse(known[n][1])) for n in chosen]
    plan: list[tuple[Row, list[Path]]] = []
    for row in rows:
        files = all_files
        if quick and row.prediction is not None:
            files = [f for f in all_files if f.stem == row.prediction.scenario]
        elif quick and row.variant == "reference":
            predicted = {r.prediction.scenario for r in rows if r.prediction}
            files = [f for f in all_files if f.stem in predicted] or all_files
        plan.append((row, files))
    base = out or Path(tempfile.mkdtemp(prefix="fintwin-verify-"))

    def one(item: tuple[Row, list[Path]]) -> Row:
        row, files = item
        if files:
            row.cells, row.seconds = run_variant(row.variant, files, seed=seed, epoch=epoch,
                                                 out=base / row.variant)
        if progress:
            ok, why = row.verdict()
            print(f"  {row.variant:<24} {row.seconds:6.1f}s  {'ok' if ok else 'UNEXPECTED'}: "
                  f"{why}", file=sys.stderr, flush=True)
        return row

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, plan))
    return rows


def short(stem: str) -> str:
    return stem.removeprefix("test_")


def render(rows: Sequence[Row]) -> str:
    """The matrix as text: one row per variant, one column per scenario, then the verdict
    and the codes each failure showed."""
    columns = sorted({s for r in rows for s in r.cells})
    width = max([len("variant"), *(len(r.variant) for r in rows)])
    lines = ["scenarios: " + "  ".join(f"{i + 1}={short(s)}" for i, s in enumerate(columns)),
             f"{'variant':<{width}}  " + " ".join(f"{i + 1:>2}" for i in range(len(columns)))
             + "  verdict"]
    for row in rows:
        marks = " ".join(f"{row.cells[s].mark() if s in row.cells else '-':>2}" for s in columns)
        ok, why = row.verdict()
        lines.append(f"{row.variant:<{width}}  {marks}  {'ok' if ok else 'UNEXPECTED'}: {why}")
    failures = [(r.variant, s, c) for r in rows for s, c in sorted(r.cells.items())
                if not c.passed]
    if failures:
        lines.append("")
        lines.append("failures and the violation codes they showed:")
        for variant, scenario, cell in failures:
            lines.append(f"  {variant:<{width}}  {short(scenario):<22} "
                         f"{', '.join(cell.codes) or cell.outcome}")
    return "\n".join(lines)


def main(*, names: Sequence[str] | None, scenarios: Sequence[str] | None, quick: bool,
         seed: int, jobs: int, out: str | None, as_json: str | None,
         epoch: float | None = None) -> int:
    started = time.monotonic()
    at = epochs.resolve() if epoch is None else epoch
    print(f"fintwin verify-harness: seed {seed}, epoch {epochs.name(at)}, "
          f"{'quick' if quick else 'full'} matrix, {jobs} job(s)", file=sys.stderr, flush=True)
    rows = verify(names=names, scenarios=scenarios, quick=quick, seed=seed, epoch=at,
                  jobs=jobs, out=Path(out) if out else None)
    print(render(rows))
    ok = all(r.verdict()[0] for r in rows)
    print(f"\n{'VERIFIED' if ok else 'NOT VERIFIED'} in {time.monotonic() - started:.0f}s")
    if as_json:
        Path(as_json).write_text(json.dumps([{
            "variant": r.variant, "defect": r.defect, "verdict": r.verdict()[1],
            "ok": r.verdict()[0], "seconds": round(r.seconds, 1),
            "cells": {s: {"outcome": c.outcome, "codes": c.codes}
                      for s, c in r.cells.items()}} for r in rows], indent=2))
    return 0 if ok else 1
