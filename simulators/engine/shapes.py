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

import keyword
from collections.abc import Callable, Mapping
from typing import Any

Builder = Callable[[Mapping[str, Any]], dict[str, Any]]


def _compile(cls: type, keys: tuple[str, ...]) -> Builder | None:
    """A function that stores ``keys`` as attributes of a new ``cls`` instance, in order.

    Attribute stores on a fresh instance are what CPython's split tables are
    made for: ~4x cheaper than ``dict.update`` into the instance's dict, the
    same bytes. Keys that are not identifiers cannot be attributes: no builder.
    """
    if not all(k.isidentifier() and not keyword.iskeyword(k) for k in keys):
        return None
    lines = ["def build(fields):", "    record = new(cls)"]
    lines += [f"    record.{k} = fields[{k!r}]" for k in keys]
    lines.append("    return record.__dict__")
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    # The source is built from identifier keys only (checked above).
    exec("\n".join(lines), namespace)
    build: Builder = namespace["build"]
    return build


class Shape:
    """Builds records of one kind; every record built here shares one key table.

    The first record fixes the key order; records with the same keys are then
    built by a generated function in that order. Others (a key more or less)
    are built as given and simply do not share.
    """

    __slots__ = ("_build", "_cls", "_size")

    def __init__(self, name: str) -> None:
        # A class of its own per shape: CPython caches the shared keys on the class.
        self._cls = type(f"_{name}_shape", (), {})
        self._build: Builder | None = None
        self._size = -1

    def __call__(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        build = self._build
        if build is not None and len(fields) == self._size:
            try:
                return build(fields)
            except KeyError:  # the same number of keys, not the same keys
                pass
        record: dict[str, Any] = self._cls().__dict__
        # .items(), not the mapping itself: dict.update(dict) copies the source's
        # own key table into the target and the record would not share keys.
        record.update(fields.items())
        if self._size < 0:
            self._size = len(record)
            self._build = _compile(self._cls, tuple(record))
        return record
