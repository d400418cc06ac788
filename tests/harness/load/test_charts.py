"""Charts over time as inline SVG."""

from __future__ import annotations

from harness.load.charts import Chart, Line, _nice, render


def test_a_chart_draws_its_lines_its_limits_and_a_legend() -> None:
    svg = render(Chart("ERP in flight", "requests",
                       [Line("peak", [[0, 1], [10, 3], [20, None], [30, 2]])],
                       [("limit 5", 5.0)]))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == 1 and "limit 5" in svg and ">peak<" in svg


def test_an_empty_chart_says_so() -> None:
    assert "no data" in render(Chart("429s", "per s", [Line("billing", [])]))


def test_axis_tops_are_round() -> None:
    assert _nice(7.3) == (8.0, 2.0)
    assert _nice(380) == (400.0, 100.0)
    assert _nice(0) == (1.0, 0.25)
