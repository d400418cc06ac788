"""The business epoch: a fixed default, named edges, 'now' resolved once, and how reports
and rerun commands write it."""

from __future__ import annotations

import argparse

import pytest

from harness import epoch as epochs
from harness.data import DataFactory, epoch_date


def test_the_default_is_a_fixed_date_whatever_today_is() -> None:
    assert epochs.name(epochs.resolve()) == epochs.DEFAULT_EPOCH == "2026-01-15T09:00:00Z"
    assert epochs.resolve(None, wall=lambda: 4_000_000_000.0) == epochs.resolve()


@pytest.mark.parametrize("edge", sorted(epochs.EDGES))
def test_edges_resolve_by_name_and_round_trip(edge: str) -> None:
    seconds = epochs.resolve(edge)
    assert epochs.name(seconds) == epochs.EDGES[edge]
    assert epochs.resolve(epochs.name(seconds)) == seconds


def test_now_comes_from_the_wall_clock_given() -> None:
    assert epochs.name(epochs.resolve("now", wall=lambda: 1_798_761_570.7)) == \
        "2026-12-31T23:59:30Z"


def test_a_bad_epoch_is_an_argparse_error_naming_the_value() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="next tuesday"):
        epochs.argument("next tuesday")


def test_deals_close_around_the_epoch() -> None:
    data = DataFactory(1, "scope", base_date=epoch_date(epochs.resolve("year-end")))
    close = data.deal("US").close_date
    assert str(close) >= "2026-12-31"
    assert DataFactory(1, "scope").base_date == epoch_date(epochs.resolve())
