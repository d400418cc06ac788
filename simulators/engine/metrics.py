"""Counters and histograms rendered as Prometheus text exposition format."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Labels = tuple[tuple[str, str], ...]


def _fmt(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                     for k, v in labels)
    return "{" + inner + "}"


class Metrics:
    def __init__(self, namespace: str) -> None:
        self.ns = namespace
        self.counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self.help: dict[str, str] = {}
        self.hist: dict[Labels, list[float]] = {}
        self.hist_sum: dict[Labels, float] = defaultdict(float)
        self._requests: dict[tuple[str, int], list[float]] = {}

    def inc(self, name: str, labels: Labels = (), value: float = 1.0, help: str = "") -> None:
        self.counters[name][labels] += value
        if help and name not in self.help:
            self.help[name] = help

    def request(self, method: str, status: int, seconds: float) -> None:
        """Count one API request and observe its duration.

        Every API request passes here: one list per (method, status) holds the
        bucket counts and the sum, folded into counters and histograms on render.
        """
        slot = self._requests.get((method, status))
        if slot is None:
            slot = self._requests[(method, status)] = [0.0] * (len(_BUCKETS) + 2)
        # The first bucket whose bound is >= seconds; past the last one, +Inf.
        slot[bisect_left(_BUCKETS, seconds)] += 1
        slot[-1] += seconds

    def _fold_requests(self) -> None:
        for (method, status), slot in self._requests.items():
            *buckets, total = slot
            self.inc("requests_total", (("method", method), ("status", str(status))),
                     sum(buckets),
                     help="API requests by method and status (0: connection dropped)")
            labels = (("method", method),)
            counts = self.hist.setdefault(labels, [0.0] * (len(_BUCKETS) + 1))
            for i, n in enumerate(buckets):
                counts[i] += n
            self.hist_sum[labels] += total
        self._requests.clear()

    def render(self) -> str:
        self._fold_requests()
        lines: list[str] = []
        for name, series in sorted(self.counters.items()):
            full = f"{self.ns}_{name}"
            lines.append(f"# HELP {full} {self.help.get(name, name)}")
            lines.append(f"# TYPE {full} counter")
            for labels, value in sorted(series.items()):
                lines.append(f"{full}{_fmt(labels)} {value:g}")
        if self.hist:
            full = f"{self.ns}_request_duration_seconds"
            lines.append(f"# HELP {full} Time spent serving requests, faults included")
            lines.append(f"# TYPE {full} histogram")
            for labels, counts in sorted(self.hist.items()):
                cumulative = 0.0
                for bound, count in zip((*_BUCKETS, float("inf")), counts, strict=True):
                    cumulative += count
                    le = "+Inf" if bound == float("inf") else f"{bound:g}"
                    lines.append(f"{full}_bucket{_fmt((*labels, ('le', le)))} {cumulative:g}")
                lines.append(f"{full}_sum{_fmt(labels)} {self.hist_sum[labels]:g}")
                lines.append(f"{full}_count{_fmt(labels)} {cumulative:g}")
        return "\n".join(lines) + "\n"

    def clear(self) -> None:
        self._requests.clear()
        self.counters.clear()
        self.hist.clear()
        self.hist_sum.clear()
