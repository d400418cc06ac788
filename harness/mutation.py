"""``fintwin mutation`` (``make mutation``): the mutation score of the scenario suites over
the reference integration layer's flow modules, with mutmut (docs/mutation.md).

mutmut copies the integration layer into ``mutants/`` with every function of the chosen
modules behind a trampoline, so one process runs the original or any one mutant
(``MUTANT_UNDER_TEST``); a first run of the suites records which tests call which
function, and each mutant is then judged by exactly the scenario tests that reach its
function (in-process stack, ``-x``: the first failure kills it). The judge is the
scenario suites and their oracle, not unit tests: a mutant is killed when a business
effect goes wrong where a suite looks.

The work happens in a copy of the project (``--workdir``, default
``.fintwin/mutation``), never in the source tree. Mutants are many (about 2,600 over the
flow modules: mutmut changes every string, number, operator, argument and keyword), so
``--sample N`` judges a seeded sample of N mutants per module; the figures say which.
Mutants named in ``harness/mutation_equivalents.toml`` are equivalent (no business
effect, the reason given there) and leave the score's denominator.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = Path(__file__).resolve().parent / "mutation_equivalents.toml"
FLOWS = "integration_layer/service/flows"
# The flows that move money and documents (the rest: dispatch picks a handler, context
# holds the shared steps).
MAIN_MODULES = tuple(f"{FLOWS}/{m}.py" for m in ("invoices", "books", "deals", "accounts"))
ALL_MODULES = (*MAIN_MODULES, f"{FLOWS}/dispatch.py", f"{FLOWS}/context.py")
# The judges: every business-situation suite that runs in seconds in-process. Left out:
# the chaos suites whose verdict is about transport (rate limits, the ERP outage,
# duplicate delivery): they add minutes per mutant and reach no flow code the others miss.
SUITES = tuple(f"scenarios/test_{s}.py" for s in (
    "quote_to_cash", "amendments", "downgrades", "taxes", "payments_not_in_full",
    "posting_dates", "vendor_refusals", "multiple_subscriptions",
    "cancellation_at_period_end", "cancellation_refunds", "dunning", "multi_currency",
    "compensation", "dlq_replay", "out_of_order", "vendor_upgrade", "commit_then_fail"))
# Copied next to the mutated package so that the suites run in the copy.
ALSO_COPY = ("harness", "simulators", "scenarios", "loadtests")
KILLED = "killed"
SURVIVED = "survived"
# mutmut's exit codes of a judged mutant (mutmut.stats.status_by_exit_code).
_STATUS = {1: KILLED, 3: KILLED, 0: SURVIVED, 5: "no tests", 33: "no tests", 34: "skipped",
           36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
           37: "caught by type check", None: "not checked"}


@dataclass(frozen=True)
class Plan:
    """What to mutate and what judges it."""

    modules: tuple[str, ...] = MAIN_MODULES
    suites: tuple[str, ...] = SUITES
    package: str = "integration_layer"
    also_copy: tuple[str, ...] = ALSO_COPY
    pytest_args: tuple[str, ...] = ("-p", "no:cacheprovider", "--fintwin-seed", "1",
                                    "--fintwin-deadline", "20")
    sample: int | None = None
    seed: int = 1
    workers: int = 2

    def config(self) -> str:
        """The ``[tool.mutmut]`` table for this plan."""
        def strings(values: Iterable[str]) -> str:
            return "[" + ", ".join(json.dumps(v) for v in values) + "]"

        return "\n".join([
            "[tool.mutmut]",
            f"source_paths = {strings([self.package + '/'])}",
            f"only_mutate = {strings(self.modules)}",
            f"also_copy = {strings(d + '/' for d in self.also_copy)}",
            f"pytest_add_cli_args = {strings(self.pytest_args)}",
            f"pytest_add_cli_args_test_selection = {strings(self.suites)}",
            "",
        ])


@dataclass
class Mutant:
    name: str
    module: str
    status: str
    diff: str = ""
    equivalent: str | None = None


@dataclass
class Result:
    plan: Plan
    mutants: list[Mutant]
    generated: dict[str, int]
    seconds: float
    stale_equivalents: list[str] = field(default_factory=list)

    def by_module(self) -> dict[str, list[Mutant]]:
        out: dict[str, list[Mutant]] = {m: [] for m in self.plan.modules}
        for mutant in self.mutants:
            out.setdefault(mutant.module, []).append(mutant)
        return out

    @staticmethod
    def score(mutants: Sequence[Mutant]) -> float | None:
        """Killed over judged mutants, the equivalent ones left out."""
        judged = [m for m in mutants if m.equivalent is None and m.status != "not checked"]
        if not judged:
            return None
        return sum(m.status in (KILLED, "timeout") for m in judged) / len(judged)

    def survivors(self) -> list[Mutant]:
        return [m for m in self.mutants
                if m.status not in (KILLED, "timeout") and m.equivalent is None]


def module_name(path: str) -> str:
    return path[:-3].replace("/", ".")


def prepare(plan: Plan, work: Path, root: Path = ROOT) -> None:
    """A copy of ``root``'s package, the suites' code and ``pyproject.toml`` (with this
    plan's ``[tool.mutmut]``) in ``work``; mutmut's own ``mutants/`` there is kept as a
    cache unless the plan changed."""
    work.mkdir(parents=True, exist_ok=True)
    config = plan.config()
    previous = work / ".plan"
    if previous.exists() and previous.read_text() != config:
        shutil.rmtree(work / "mutants", ignore_errors=True)
    for name in (plan.package, *plan.also_copy):
        target = work / name
        shutil.rmtree(target, ignore_errors=True)
        if (root / name).exists():
            shutil.copytree(root / name, target,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    text = (root / "pyproject.toml").read_text()
    text = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text)
    (work / "pyproject.toml").write_text(text.rstrip() + "\n\n" + config)
    previous.write_text(config)


_NAMES = """
import json, sys
from pathlib import Path
from mutmut.mutation.file_mutation import mutate_file_contents
from mutmut.utils.format_utils import get_mutant_name
out = {}
for module in sys.argv[1:]:
    made = mutate_file_contents(module, Path(module).read_text())
    out[module] = [get_mutant_name(Path(module), n) for n in made.mutant_names]
print(json.dumps(out))
"""


def mutant_names(work: Path, modules: Sequence[str]) -> dict[str, list[str]]:
    """Every mutant mutmut makes of each module (their names, as ``mutmut run`` takes
    them); in ``work``, where mutmut reads its configuration."""
    done = subprocess.run([sys.executable, "-c", _NAMES, *modules], cwd=work,
                          capture_output=True, text=True, check=True)
    names: dict[str, list[str]] = json.loads(done.stdout)
    return names


_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
print(json.dumps({name: get_diff_for_mutant(name) for name in sys.argv[1:]}))
"""


def mutant_diffs(work: Path, names: Sequence[str]) -> dict[str, str]:
    """Each mutant's diff against the original function (as ``mutmut show`` prints it),
    read in one process."""
    if not names:
        return {}
    done = subprocess.run([sys.executable, "-c", _DIFFS, *names], cwd=work,
                          capture_output=True, text=True, check=True)
    diffs: dict[str, str] = json.loads(done.stdout)
    return diffs


def choose(names: Mapping[str, list[str]], sample: int | None, seed: int) -> list[str]:
    """Every mutant, or a seeded sample of ``sample`` per module."""
    chosen: list[str] = []
    for module, found in sorted(names.items()):
        if sample is None or sample >= len(found):
            chosen.extend(found)
        else:
            rng = random.Random(f"{seed}:{module}")
            chosen.extend(sorted(rng.sample(found, sample)))
    return chosen


def equivalents(path: Path = EQUIVALENTS) -> dict[str, str]:
    """Mutant name -> why it has no business effect."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text())
    return {str(e["mutant"]): str(e["reason"]) for e in data.get("equivalent", [])}


def _mutmut(work: Path, *args: str, log: Path | None = None,
            timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "mutmut", *args]
    if log is None:
        return subprocess.run(argv, cwd=work, capture_output=True, text=True, check=False,
                              timeout=timeout)
    with open(log, "w") as out:
        return subprocess.run(argv, cwd=work, stdout=out, stderr=subprocess.STDOUT,
                              text=True, check=False, timeout=timeout)


def statuses(work: Path, modules: Iterable[str]) -> dict[str, str]:
    """Mutant name -> status, from mutmut's ``mutants/<module>.meta``."""
    out: dict[str, str] = {}
    for module in modules:
        meta = work / "mutants" / (module + ".meta")
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text()).get("exit_code_by_key") or {}
        for name, code in codes.items():
            out[name] = _STATUS.get(code, "suspicious")
    return out


def run(plan: Plan, work: Path, *, root: Path = ROOT, log: Path | None = None,
        equivalent: Mapping[str, str] | None = None, timeout: float | None = None,
        only: Sequence[str] = ()) -> Result:
    """Prepare ``work``, judge the plan's mutants with mutmut (``only``: just these, e.g.
    the survivors of a run, once a scenario or an invariant is there to kill them), and
    read the verdicts."""
    prepare(plan, work, root)
    names = mutant_names(work, plan.modules)
    chosen = choose(names, plan.sample, plan.seed)
    if only:
        unknown = sorted(set(only) - {n for ns in names.values() for n in ns})
        if unknown:
            raise ValueError(f"no such mutant(s) of {', '.join(plan.modules)}: "
                             f"{', '.join(unknown)}")
        chosen = list(only)
    started = time.monotonic()
    done = _mutmut(work, "run", "--max-children", str(plan.workers), *chosen,
                   log=log or work / "mutmut.log", timeout=timeout)
    seconds = time.monotonic() - started
    found = statuses(work, plan.modules)
    if done.returncode != 0 and not any(found.get(n, "not checked") != "not checked"
                                        for n in chosen):
        raise RuntimeError(f"mutmut run failed (exit {done.returncode}); see "
                           f"{log or work / 'mutmut.log'}")
    known = dict(equivalents() if equivalent is None else equivalent)
    by_name = {n: m for m, ns in names.items() for n in ns}
    mutants = [Mutant(n, by_name[n], found.get(n, "not checked"), equivalent=known.get(n))
               for n in chosen]
    diffs = mutant_diffs(work, [m.name for m in mutants
                                if m.status not in (KILLED, "timeout")])
    for mutant in mutants:
        mutant.diff = diffs.get(mutant.name, "")
    every = {n for ns in names.values() for n in ns}
    stale = sorted(n for n in known if n.startswith(tuple(module_name(m) + "."
                                                              for m in plan.modules))
                   and n not in every)
    return Result(plan, mutants, {m: len(ns) for m, ns in names.items()}, seconds, stale)


def _percent(score: float | None) -> str:
    return "-" if score is None else f"{100 * score:.1f}%"


def report(result: Result, *, diffs: bool = True) -> str:
    """The score per module and overall, the time, and every survivor."""
    plan = result.plan
    lines = [f"fintwin mutation: mutmut over {len(plan.modules)} module(s), "
             + (f"a seeded sample of {plan.sample} per module (seed {plan.seed})"
                if plan.sample else "every mutant")
             + f"; judged by {len(plan.suites)} suite(s)", ""]
    header = (f"{'module':<44} {'made':>5} {'judged':>6} {'killed':>6} {'surv':>5} "
              f"{'equiv':>5} {'other':>5} {'score':>7}")
    lines.append(header)
    for module, mutants in result.by_module().items():
        killed = sum(m.status in (KILLED, "timeout") for m in mutants)
        equiv = sum(m.equivalent is not None and m.status not in (KILLED, "timeout")
                    for m in mutants)
        survived = sum(m.status == SURVIVED and m.equivalent is None for m in mutants)
        other = len(mutants) - killed - equiv - survived
        lines.append(f"{module:<44} {result.generated.get(module, 0):>5} {len(mutants):>6} "
                     f"{killed:>6} {survived:>5} {equiv:>5} {other:>5} "
                     f"{_percent(Result.score(mutants)):>7}")
    lines.append(f"{'all':<44} {sum(result.generated.values()):>5} {len(result.mutants):>6} "
                 f"{'':>6} {'':>5} {'':>5} {'':>5} {_percent(Result.score(result.mutants)):>7}")
    lines += ["", f"time: {result.seconds:.0f} s (mutmut run, {plan.workers} worker(s))"]
    survivors = result.survivors()
    lines += ["", f"surviving mutants: {len(survivors)}"]
    for mutant in survivors:
        lines.append(f"  {mutant.name}  [{mutant.status}]")
        if diffs and mutant.diff:
            lines += ["      " + line for line in mutant.diff.splitlines()
                      if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    equivalent = [m for m in result.mutants if m.equivalent is not None
                  and m.status not in (KILLED, "timeout")]
    if equivalent:
        lines += ["", f"equivalent (harness/mutation_equivalents.toml): {len(equivalent)}"]
        lines += [f"  {m.name}: {m.equivalent}" for m in equivalent]
    if result.stale_equivalents:
        lines += ["", "listed as equivalent but no longer made (the code changed; review "
                      "harness/mutation_equivalents.toml):"]
        lines += [f"  {n}" for n in result.stale_equivalents]
    return "\n".join(lines)


def to_json(result: Result) -> dict[str, object]:
    return {
        "modules": list(result.plan.modules), "suites": list(result.plan.suites),
        "sample": result.plan.sample, "seed": result.plan.seed, "seconds": result.seconds,
        "generated": result.generated, "score": Result.score(result.mutants),
        "mutants": [{"name": m.name, "module": m.module, "status": m.status,
                     "equivalent": m.equivalent, "diff": m.diff} for m in result.mutants],
    }


def main(*, modules: str = "main", sample: int | None = None, seed: int = 1,
         workers: int = 2, deadline: float = 20.0, workdir: Path = Path(".fintwin/mutation"),
         json_path: Path | None = None, fail_under: float | None = None,
         only: Sequence[str] = ()) -> int:
    chosen = {"main": MAIN_MODULES, "all": ALL_MODULES}.get(modules) or tuple(
        m.strip() for m in modules.split(",") if m.strip())
    plan = Plan(modules=chosen, sample=sample, seed=seed, workers=workers,
                pytest_args=("-p", "no:cacheprovider", "--fintwin-seed", str(seed),
                             "--fintwin-deadline", f"{deadline:g}"))
    work = workdir if workdir.is_absolute() else ROOT / workdir
    print(f"fintwin mutation: judging in {work} (mutmut's log: {work / 'mutmut.log'})",
          flush=True)
    result = run(plan, work, only=only)
    print(report(result))
    if json_path is not None:
        json_path.write_text(json.dumps(to_json(result), indent=2))
    score = Result.score(result.mutants)
    if fail_under is not None and (score is None or 100 * score < fail_under):
        print(f"score {_percent(score)} is below {fail_under:g}%")
        return 1
    return 0
