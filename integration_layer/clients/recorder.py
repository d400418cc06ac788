"""The per-call metrics hook.

Every HTTP attempt to a vendor (and every call refused by an open circuit) is reported
as one :class:`CallRecord` to an injectable callback; the service turns these into
Prometheus metrics. The path is a template (``/v1/customers/{id}``), never a concrete
path, to keep metric label cardinality bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CallRecord:
    """One attempt of one vendor call.

    ``status`` is ``None`` when no HTTP response arrived (timeout, reset, open circuit).
    ``outcome`` is ``"ok"``, ``"transient"``, ``"permanent"``, ``"ambiguous"``,
    ``"reauth"`` or ``"circuit_open"``.
    """

    vendor: str
    method: str
    path_template: str
    status: int | None
    latency: float
    attempt: int
    outcome: str


CallRecorder = Callable[[CallRecord], None]
"""A callback receiving every :class:`CallRecord`."""


def discard_call(record: CallRecord) -> None:
    """The default recorder: ignore the record."""
