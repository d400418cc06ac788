"""harness/mutation.py: the runner drives the real mutmut over a project of its own: a known
mutant is killed, a known one survives (and counts as equivalent once listed), and the
report names both."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from harness.mutation import Mutant, Plan, Result, choose, prepare, report, run

PRICE = '''\
def total(net: int, tax: int) -> int:
    """Net plus tax, never below zero."""
    return max(net + tax, 0)
'''

TEST = '''\
from shop.price import total


def test_total() -> None:
    assert total(200, 30) == 230
'''


def _project(root: Path) -> Path:
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "price.py").write_text(PRICE)
    (root / "checks").mkdir()
    (root / "checks" / "test_price.py").write_text(TEST)
    (root / "pyproject.toml").write_text(textwrap.dedent("""\
        [project]
        name = "shop"

        [tool.mutmut]
        source_paths = ["stale/"]

        [tool.pytest.ini_options]
        addopts = "-q"
        """))
    return root


def _plan() -> Plan:
    return Plan(modules=("shop/price.py",), suites=("checks/test_price.py",),
                package="shop", also_copy=("checks",), pytest_args=("-p", "no:cacheprovider"),
                workers=1)


def test_prepare_writes_the_plans_mutmut_table(tmp_path: Path) -> None:
    root = _project(tmp_path / "src")
    prepare(_plan(), tmp_path / "work", root)
    text = (tmp_path / "work" / "pyproject.toml").read_text()
    assert "stale/" not in text and text.count("[tool.mutmut]") == 1
    assert 'only_mutate = ["shop/price.py"]' in text
    assert 'pytest_add_cli_args_test_selection = ["checks/test_price.py"]' in text
    assert (tmp_path / "work" / "shop" / "price.py").read_text() == PRICE


def test_choose_samples_per_module_by_seed() -> None:
    names = {"a.py": [f"a.x_f__mutmut_{i}" for i in range(1, 30)],
             "b.py": [f"b.x_g__mutmut_{i}" for i in range(1, 4)]}
    picked = choose(names, 5, seed=7)
    assert picked == choose(names, 5, seed=7) != choose(names, 5, seed=8)
    assert sum(n.startswith("a.") for n in picked) == 5
    assert [n for n in picked if n.startswith("b.")] == names["b.py"]  # fewer than 5: all
    assert choose(names, None, seed=1) == names["a.py"] + names["b.py"]


def test_score_leaves_equivalents_out() -> None:
    mutants = [Mutant("m1", "x.py", "killed"), Mutant("m2", "x.py", "survived"),
               Mutant("m3", "x.py", "survived", equivalent="logs only"),
               Mutant("m4", "x.py", "timeout")]
    assert Result.score(mutants) == pytest.approx(2 / 3)


@pytest.mark.timeout(600)
def test_mutmut_kills_the_known_mutant_and_reports_the_survivor(tmp_path: Path) -> None:
    root = _project(tmp_path / "src")
    result = run(_plan(), tmp_path / "work", root=root, equivalent={}, timeout=540)
    status = {m.name: m.status for m in result.mutants}
    assert result.generated == {"shop/price.py": len(result.mutants)} and len(status) > 3
    # max(net + tax, 1) is the one change the test cannot see; every other is killed.
    (survivor,) = result.survivors()
    assert "+    return max(net + tax, 1)" in survivor.diff, survivor.diff
    assert all(s == "killed" for n, s in status.items() if n != survivor.name), status
    text = report(result)
    assert survivor.name in text and "shop/price.py" in text and "83.3%" in text

    # Listed as equivalent, it leaves the denominator (the verdicts as read, not run again).
    reason = "never below zero is all it promises"
    again = Result(result.plan, [replace(m, equivalent=reason if m is survivor else None)
                                 for m in result.mutants], result.generated, result.seconds)
    assert again.survivors() == [] and Result.score(again.mutants) == 1.0
    assert reason in report(again)
