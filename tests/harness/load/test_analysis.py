"""The cutover analysis from journals and flow samples (synthetic inputs)."""

from __future__ import annotations

from harness.load.analysis import (
    Buckets,
    _bucket_size,
    _flow_series,
    _throughput,
    concurrency_steps,
    percentile,
)
from harness.load.flows import PAYMENT_APPLIED


def test_concurrency_from_journal_intervals() -> None:
    # Three requests: [0.0, 1.0], [0.5, 1.5], [1.0, 2.0]; the third arrives exactly when
    # the first leaves: never more than two in flight.
    entries = [{"wall": 1.0, "duration_ms": 1000}, {"wall": 1.5, "duration_ms": 1000},
               {"wall": 2.0, "duration_ms": 1000}]
    steps = concurrency_steps(entries)
    assert max(level for _, level in steps) == 2
    assert steps[-1][1] == 0


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.95) == 95
    assert percentile(values, 1.0) == 100
    assert percentile([], 0.5) is None


def test_flows_per_minute_and_latency_per_bucket() -> None:
    b = Buckets(1000.0, 1020.0, 10.0)
    samples = [{"t": 1001.0 + i, "start": 1000.0, "name": PAYMENT_APPLIED,
                "ms": 1000.0 * (i + 1), "ok": True} for i in range(5)]
    samples.append({"t": 1012.0, "start": 1000.0, "name": PAYMENT_APPLIED, "ms": 9000.0,
                    "ok": False})
    series = _flow_series(samples, b, PAYMENT_APPLIED)
    assert series["flows_per_min"] == [[5.0, 30.0], [15.0, 0.0]]  # failures do not count
    assert series["latency"][PAYMENT_APPLIED]["p95"] == [[5.0, 5.0]]


def test_bucket_sizes_keep_charts_readable() -> None:
    assert _bucket_size(20) == 2
    assert _bucket_size(60) == 2
    assert _bucket_size(600) == 15


def test_throughput_counts_from_the_first_flow_through_until_the_users_stopped() -> None:
    # Flows through every 2 s from t=10 (the pipeline filled) to t=70; users stopped at 70;
    # two more came in while the last deals were followed out, after the users stopped.
    done = [10.0 + 2 * i for i in range(31)] + [71.0, 72.0]
    assert _throughput(done, t0=0.0, stopped=70.0) == 31.0  # 31 in 60 s
    assert _throughput([], 0.0, 70.0) is None
    assert _throughput([1.0, 2.0], t0=0.0, stopped=3.0) == 60.0  # a short run: over it all
