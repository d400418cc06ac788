"""``fintwin soak``: epochs in turn, a load that cannot outlive its bound, and failures
printed with their seed, epoch and rerun command."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness import epoch as epochs
from harness.soak import busy_cores, epoch_cycle, soak, summary


def test_epochs_are_taken_in_turn() -> None:
    assert epoch_cycle("default") == [epochs.resolve()]
    assert epoch_cycle("all") == [epochs.resolve(), *map(epochs.resolve, epochs.EDGES)]
    assert epoch_cycle("year-end, 2027-06-01") == [epochs.resolve("year-end"),
                                                   epochs.resolve("2027-06-01")]


def test_the_load_stops_at_its_bound_even_if_nobody_stops_it() -> None:
    with busy_cores(1, max_seconds=0.5) as cores:
        assert cores == 1
    with busy_cores(0, max_seconds=0.5) as none:
        assert none == 0


def test_a_failure_is_printed_with_its_seed_epoch_and_rerun_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = tmp_path / "test_flaky.py"
    suite.write_text(
        "def test_green(fintwin_record):\n    fintwin_record.note('ok', 1)\n\n"
        "def test_red(fintwin_record):\n    assert False, 'red on purpose'\n")
    started = time.monotonic()
    done = soak(runs=2, seed=40, epoch_spec="leap-day,year-end", load=False, matrix=False,
                workers=0, paths=[str(suite)], out=tmp_path / "out")
    assert time.monotonic() - started < 120
    assert [(r.seed, epochs.name(r.epoch)) for r in done] == [
        (41, "2028-02-29T12:00:00Z"), (42, "2026-12-31T23:59:30Z")]
    assert all(r.tests == 2 and len(r.failures) == 1 for r in done)
    failure = done[0].failures[0]
    assert failure.what.endswith("test_red")
    assert "--fintwin-seed 41 --fintwin-epoch 2028-02-29T12:00:00Z" in failure.rerun
    printed = capsys.readouterr().out
    assert "FAILED" in printed and "rerun: pytest" in printed
    assert summary(done, load=False).startswith("\n2 of 2 runs failed")
