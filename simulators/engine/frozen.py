"""Read-only dict and list values that many records can share.

Most customers carry the same empty metadata, the same all-null invoice
settings and no preferred locales: one shared value instead of one per record
saves ~250 bytes and three allocations a customer. Every update path replaces
such a value (``{**old, **new}``) rather than changing it; these types turn a
forgotten in-place change into a TypeError instead of a change to every record
sharing the value. orjson serialises them as the dict or list they are, and a
snapshot restores them as plain ones. They hold immutable values only (None,
strings, numbers), so a record whose values are all immutable can be
remembered as a tuple of those very values (``immutable_values``).
"""

from __future__ import annotations

from typing import Any, NoReturn


def _refuse(self: object, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(f"{type(self).__name__} is shared between records: replace it, "
                    "do not change it")


class FrozenDict(dict[str, Any]):
    __slots__ = ()
    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return dict(self)  # values are immutable where this type is used

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))


class FrozenList(list[Any]):
    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return list(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))


# The empty metadata most records carry (a customer's default, an unset param).
NO_METADATA = FrozenDict()

_IMMUTABLE = frozenset({str, int, bool, float, type(None), FrozenDict, FrozenList})


def immutable_values(record: dict[str, Any]) -> tuple[Any, ...] | None:
    """The record's values as a tuple, when every one is immutable: a snapshot of the
    record that shares its value objects (an event's object, an idempotent answer)
    and stays true whatever later happens to the record. None when one could change."""
    values = tuple(record.values())
    return values if _IMMUTABLE.issuperset(map(type, values)) else None
