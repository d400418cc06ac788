"""Durations as the fault plans write them: ``40ms``, ``2s``, ``1.5m``, or a number of seconds."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")


def parse_duration(value: object, *, field: str = "duration") -> float:
    """Seconds in ``value``; raises ValueError naming ``field`` when malformed."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: expected a duration, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{field}: must not be negative")
        return float(value)
    if isinstance(value, str):
        m = _PATTERN.match(value)
        if m:
            return float(m.group(1)) * _UNITS[m.group(2) or "s"]
    raise ValueError(f"{field}: expected a duration like '40ms' or '2s', got {value!r}")
