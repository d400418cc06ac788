"""``fintwin soak``: the flake hunt anyone can run.

Runs the scenario suites and the quick detection matrix ``--runs`` times (default 20), each
run with its own seed and a business epoch taken in turn from the default and the calendar
edges (:data:`harness.epoch.EDGES`), while a bounded load keeps every core busy (one
spinning process per core, for at most ``--max-minutes``). Any failure is printed with its
seed, epoch and the command that reruns it. A verdict that depends on the calendar day or
on how busy the machine is shows up here as a failure with a rerun line.

    fintwin soak --runs 20                  # make soak
    fintwin soak --runs 3 --no-load --epochs year-end,leap-day
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import epoch as epochs
from harness.report import JSON_NAME
from harness.verify import SCENARIOS_DIR

ROOT = SCENARIOS_DIR.parent


@dataclass
class Failure:
    what: str  # a test id, or "matrix: <variant>"
    detail: str  # the codes or verdict
    rerun: str


@dataclass
class Run:
    index: int
    seed: int
    epoch: float
    seconds: float = 0.0
    tests: int = 0
    failures: list[Failure] = field(default_factory=list)

    def line(self) -> str:
        status = "ok" if not self.failures else f"{len(self.failures)} FAILED"
        return (f"  run {self.index:>2}  seed {self.seed:<6} epoch {epochs.name(self.epoch)}"
                f"  {self.tests:>3} checks  {self.seconds:6.1f}s  {status}")


def epoch_cycle(spec: str) -> list[float]:
    """``all`` (the default epoch, then every edge), ``default``, ``edges``, or a comma list
    of epochs or edge names."""
    if spec == "all":
        names: list[str | None] = [None, *epochs.EDGES]
    elif spec == "default":
        names = [None]
    elif spec == "edges":
        names = list(epochs.EDGES)
    else:
        names = [part.strip() for part in spec.split(",") if part.strip()]
    return [epochs.resolve(n) for n in names]


def _spin(deadline: float) -> None:
    """One core's worth of load until the deadline, until the soak stops it, or until the
    soak is gone (killed: this process is then re-parented and stops by itself)."""
    parent = os.getppid()
    x = 0
    while time.monotonic() < deadline and os.getppid() == parent:
        for _ in range(100_000):
            x += 1


@contextmanager
def busy_cores(cores: int, max_seconds: float) -> Iterator[int]:
    """``cores`` spinning processes, stopped on exit and at ``max_seconds`` at the latest."""
    deadline = time.monotonic() + max_seconds
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_spin, args=(deadline,), daemon=True)
             for _ in range(cores)]
    for proc in procs:
        proc.start()
    try:
        yield len(procs)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(10)


def _suites(run: Run, out: Path, workers: int, paths: Sequence[str]) -> None:
    report = out / "suites"
    argv = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider",
            "-n", str(workers), "--fintwin-seed", str(run.seed),
            "--fintwin-epoch", epochs.name(run.epoch), "--fintwin-report", str(report)]
    with open(out / "suites.log", "wb") as log:
        code = subprocess.run(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              check=False).returncode
    result_file = report / JSON_NAME
    tests: list[dict[str, Any]] = (json.loads(result_file.read_text()).get("tests", [])
                                   if result_file.exists() else [])
    run.tests += len(tests)
    for test in tests:
        if test.get("outcome") not in ("passed", "skipped"):
            codes = sorted({str(v.get("code")) for v in test.get("violations") or []})
            run.failures.append(Failure(test["nodeid"], ", ".join(codes) or test["outcome"],
                                        str(test.get("rerun") or "")))
    if code != 0 and not run.failures:
        run.failures.append(Failure("pytest " + " ".join(paths), f"exit {code}, see "
                                    f"{out / 'suites.log'}", shlex.join(argv)))


def _matrix(run: Run, out: Path) -> None:
    matrix = out / "matrix.json"
    argv = [sys.executable, "-m", "harness.cli", "verify-harness", "--quick",
            "--seed", str(run.seed), "--epoch", epochs.name(run.epoch),
            "--json", str(matrix), "--out", str(out / "matrix")]
    with open(out / "matrix.log", "wb") as log:
        code = subprocess.run(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              check=False).returncode
    rows: list[dict[str, Any]] = json.loads(matrix.read_text()) if matrix.exists() else []
    run.tests += len(rows)
    for row in rows:
        if not row.get("ok"):
            rerun = ["fintwin", "verify-harness", "--quick", "--variants", row["variant"],
                     "--seed", str(run.seed), "--epoch", epochs.name(run.epoch)]
            run.failures.append(Failure(f"matrix: {row['variant']}", str(row["verdict"]),
                                        shlex.join(rerun)))
    if code != 0 and not run.failures:
        run.failures.append(Failure("verify-harness", f"exit {code}, see "
                                    f"{out / 'matrix.log'}", shlex.join(argv)))


def soak(*, runs: int = 20, seed: int = 1000, epoch_spec: str = "all", load: bool = True,
         matrix: bool = True, workers: int = 2, max_minutes: float = 240.0,
         paths: Sequence[str] = ("scenarios",), out: Path | None = None) -> list[Run]:
    """Run the soak; prints a line per run and each failure as it is found."""
    cycle = epoch_cycle(epoch_spec)
    base = out or Path(tempfile.mkdtemp(prefix="fintwin-soak-"))
    cores = (os.cpu_count() or 1) if load else 0
    print(f"fintwin soak: {runs} runs, seeds {seed + 1}..{seed + runs}, epochs "
          f"{', '.join(epochs.name(e) for e in cycle)}; load: "
          f"{f'{cores} spinning processes' if load else 'none'}; logs in {base}", flush=True)
    done: list[Run] = []
    with busy_cores(cores, max_minutes * 60):
        for index in range(1, runs + 1):
            run = Run(index, seed + index, cycle[(index - 1) % len(cycle)])
            where = base / f"run-{index:02d}"
            where.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            _suites(run, where, workers, paths)
            if matrix:
                _matrix(run, where)
            run.seconds = time.monotonic() - started
            done.append(run)
            print(run.line(), flush=True)
            for failure in run.failures:
                print(f"      FAILED {failure.what}: {failure.detail[:200]}\n"
                      f"      rerun: {failure.rerun}", flush=True)
    return done


def summary(done: Sequence[Run], load: bool) -> str:
    failed = [r for r in done if r.failures]
    checks = sum(r.tests for r in done)
    minutes = sum(r.seconds for r in done) / 60
    where = "under load" if load else "without load"
    return (f"\n{len(failed)} of {len(done)} runs failed ({sum(len(r.failures) for r in done)}"
            f" failures in {checks} checks) {where}, {minutes:.1f} min")


def main(*, runs: int, seed: int, epoch_spec: str, load: bool, matrix: bool, workers: int,
         max_minutes: float, paths: Sequence[str], out: str | None) -> int:
    done = soak(runs=runs, seed=seed, epoch_spec=epoch_spec, load=load, matrix=matrix,
                workers=workers, max_minutes=max_minutes, paths=paths,
                out=Path(out) if out else None)
    print(summary(done, load))
    return 1 if any(r.failures for r in done) else 0
