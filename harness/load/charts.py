"""Line charts over time as inline SVG (the cutover report is one self-contained file)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Point = Sequence[float | int | None]
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2")


@dataclass
class Line:
    label: str
    points: Sequence[Point]
    color: str = ""
    dashed: bool = False


@dataclass
class Chart:
    title: str
    y_label: str
    lines: list[Line] = field(default_factory=list)
    limits: list[tuple[str, float]] = field(default_factory=list)  # horizontal rules
    x_label: str = "seconds since the load started"
    width: int = 560
    height: int = 240


def _nice(top: float) -> tuple[float, float]:
    """An axis top at or above ``top`` and its tick step (1, 2 or 5 x 10^n)."""
    if top <= 0:
        return 1.0, 0.25
    raw = top / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(top / step), step


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) < 10_000 else f"{value / 1000:g}k"


def render(chart: Chart) -> str:
    """The chart as an ``<svg>`` element (an empty-state note when it has no data)."""
    points = [(float(p[0]), float(p[1])) for line in chart.lines for p in line.points
              if p[0] is not None and p[1] is not None]
    w, h = chart.width, chart.height
    left, right, top, bottom = 52, 12, 28, 38
    title = f'<text x="{left}" y="16" class="ct">{html.escape(chart.title)}</text>'
    if not points:
        return (f'<svg viewBox="0 0 {w} {h}" class="chart">{title}<text x="{w / 2}" '
                f'y="{h / 2}" text-anchor="middle" class="empty">no data</text></svg>')
    x_max = max(max(x for x, _ in points), 1.0)
    y_top, y_step = _nice(max([*(y for _, y in points), *(v for _, v in chart.limits)]))
    x_top, x_step = _nice(x_max)
    pw, ph = w - left - right, h - top - bottom

    def sx(x: float) -> float:
        return left + pw * x / x_top

    def sy(y: float) -> float:
        return top + ph * (1 - y / y_top)

    parts = [f'<svg viewBox="0 0 {w} {h}" class="chart" role="img" '
             f'aria-label="{html.escape(chart.title)}">', title]
    y = 0.0
    while y <= y_top + 1e-9:
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" '
                     f'class="grid"/><text x="{left - 6}" y="{sy(y) + 4:.1f}" '
                     f'text-anchor="end" class="tick">{_fmt(y)}</text>')
        y += y_step
    x = 0.0
    while x <= x_top + 1e-9:
        parts.append(f'<text x="{sx(x):.1f}" y="{h - bottom + 16}" text-anchor="middle" '
                     f'class="tick">{_fmt(x)}</text>')
        x += x_step
    parts.append(f'<text x="{left + pw / 2}" y="{h - 4}" text-anchor="middle" class="axis">'
                 f'{html.escape(chart.x_label)}</text>')
    parts.append(f'<text x="12" y="{top + ph / 2}" text-anchor="middle" class="axis" '
                 f'transform="rotate(-90 12 {top + ph / 2})">{html.escape(chart.y_label)}'
                 '</text>')
    for label, value in chart.limits:
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{sy(value):.1f}" '
                     f'y2="{sy(value):.1f}" class="limit"/><text x="{w - right - 4}" '
                     f'y="{sy(value) - 4:.1f}" text-anchor="end" class="limitlabel">'
                     f'{html.escape(label)}</text>')
    legend_x = float(left + 8)
    for n, line in enumerate(chart.lines):
        color = line.color or PALETTE[n % len(PALETTE)]
        pts = [(float(p[0]), float(p[1])) for p in line.points
               if p[0] is not None and p[1] is not None]
        if pts:
            path = " ".join(f"{sx(px):.1f},{sy(py):.1f}" for px, py in pts)
            dash = ' stroke-dasharray="5 3"' if line.dashed else ""
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                         f'stroke-width="1.8"{dash}/>')
            if len(pts) == 1:
                parts.append(f'<circle cx="{sx(pts[0][0]):.1f}" cy="{sy(pts[0][1]):.1f}" '
                             f'r="3" fill="{color}"/>')
        parts.append(f'<rect x="{legend_x}" y="{top + 4}" width="10" height="3" '
                     f'fill="{color}"/><text x="{legend_x + 14}" y="{top + 9}" '
                     f'class="legend">{html.escape(line.label)}</text>')
        legend_x += 22 + 6.2 * len(line.label)
    parts.append("</svg>")
    return "".join(parts)
