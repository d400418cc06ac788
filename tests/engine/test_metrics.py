"""Prometheus text: request counters and duration histograms, folded on render."""

from __future__ import annotations

from simulators.engine.metrics import Metrics


def _lines(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in (ln.rsplit(" ", 1) for ln in text.splitlines()
                                     if ln and not ln.startswith("#"))}


def test_requests_are_counted_and_bucketed_once_however_often_rendered() -> None:
    m = Metrics("fintwin_billing")
    for seconds in (0.0005, 0.002, 0.3, 20.0):
        m.request("POST", 200, seconds)
    m.request("GET", 404, 0.001)
    first = _lines(m.render())
    m.request("POST", 200, 0.0001)
    again = _lines(m.render())
    ok = 'fintwin_billing_requests_total{method="POST",status="200"}'
    assert first[ok] == 4 and again[ok] == 5
    assert again['fintwin_billing_requests_total{method="GET",status="404"}'] == 1
    bucket = 'fintwin_billing_request_duration_seconds_bucket{method="POST",le="%s"}'
    assert again[bucket % "0.001"] == 2  # 0.0005 and 0.0001 (cumulative)
    assert again[bucket % "0.5"] == 4 and again[bucket % "+Inf"] == 5
    assert again['fintwin_billing_request_duration_seconds_count{method="POST"}'] == 5
    assert abs(again['fintwin_billing_request_duration_seconds_sum{method="POST"}']
               - 20.3026) < 1e-9
    m.clear()
    assert ok not in _lines(m.render())
