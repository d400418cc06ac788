"""How a flow step ends other than by success: wait for a prerequisite, or park."""

from __future__ import annotations


class Wait(Exception):
    """A prerequisite is not there yet (an out-of-order event): run again later."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Park(Exception):
    """A permanent business failure: park the event in the DLQ with ``code``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class Drop(Exception):
    """The event is given up without parking (only faulty variants do this)."""
