"""Record shapes: the hot kinds' records built so that CPython shares their keys.

A plain dict stores its own key table: a 22-key customer costs ~830 bytes
before any value. CPython stores the keys of an instance ``__dict__`` once per
class instead (a "split table") when instances set the same keys in the same
order, and the dict keeps that shared table after the instance is gone: the
same customer then costs ~250 bytes. Records stay ordinary ``dict`` objects
(orjson, ``.get``, ``**`` and snapshots see no difference); one that later
gains a key out of order or loses one quietly becomes a combined dict again,
which costs memory, never correctness.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Shape:
    """Builds records of one kind; every record built here shares one key table.

    The first record fixes the key order; build the others from the same
    literal so that the order matches.
    """

    __slots__ = ("_cls",)

    def __init__(self, name: str) -> None:
        # A class of its own per shape: CPython caches the shared keys on the class.
        self._cls = type(f"_{name}_shape", (), {})

    def __call__(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = self._cls().__dict__
        # .items(), not the mapping itself: dict.update(dict) copies the source's
        # own key table into the target and the record would not share keys.
        record.update(fields.items())
        return record
