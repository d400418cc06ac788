"""Metrics (Prometheus text format) and JSON logs of the service."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import defaultdict
from typing import Any

from integration_layer.clients import CallRecord

log = logging.getLogger("fintwin.integration")

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname,
                               "msg": record.getMessage()}
        out.update(getattr(record, "fields", {}))
        return json.dumps(out, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def event_log(msg: str, **fields: Any) -> None:
    log.info(msg, extra={"fields": fields})


class Metrics:
    def __init__(self) -> None:
        self.counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
        self.histos: dict[tuple[str, ...], list[float]] = {}
        self.started = time.time()

    def inc(self, name: str, value: float = 1.0, /, **labels: str) -> None:
        self.counters[(name, tuple(sorted(labels.items())))] += value

    def vendor_call(self, call: CallRecord) -> None:
        status = str(call.status) if call.status is not None else "none"
        self.inc("fintwin_il_vendor_calls_total", vendor=call.vendor, status=status,
                 outcome=call.outcome)
        if call.attempt > 1:
            self.inc("fintwin_il_retries_total", vendor=call.vendor)
        key = (call.vendor, status)
        buckets = self.histos.setdefault(key, [0.0] * (len(_BUCKETS) + 2))
        for i, bound in enumerate(_BUCKETS):
            if call.latency <= bound:
                buckets[i] += 1
        buckets[-2] += 1
        buckets[-1] += call.latency

    def value(self, name: str, **labels: str) -> float:
        want = set(labels.items())
        return sum(v for (n, lab), v in self.counters.items()
                   if n == name and want <= set(lab))

    def render(self) -> str:
        lines: list[str] = []
        for (name, labels), value in sorted(self.counters.items()):
            lab = ",".join(f'{k}="{v}"' for k, v in labels)
            lines.append(f"{name}{{{lab}}} {value:g}")
        for (vendor, status), buckets in sorted(self.histos.items()):
            base = f'vendor="{vendor}",status="{status}"'
            for i, bound in enumerate(_BUCKETS):
                lines.append(f'fintwin_il_vendor_call_seconds_bucket{{{base},le="{bound}"}}'
                             f" {buckets[i]:g}")
            lines.append(f'fintwin_il_vendor_call_seconds_bucket{{{base},le="+Inf"}}'
                         f" {buckets[-2]:g}")
            lines.append(f"fintwin_il_vendor_call_seconds_count{{{base}}} {buckets[-2]:g}")
            lines.append(f"fintwin_il_vendor_call_seconds_sum{{{base}}} {buckets[-1]:.6f}")
        return "\n".join(lines) + "\n"
