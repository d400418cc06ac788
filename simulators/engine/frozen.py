"""Read-only dict and list values that many records can share.

Most customers carry the same empty metadata, the same all-null invoice
settings and no preferred locales: one shared value instead of one per record
saves ~250 bytes and three allocations a customer. Every update path replaces
such a value (``{**old, **new}``) rather than changing it; these types turn a
forgotten in-place change into a TypeError instead of a change to every record
sharing the value. orjson serialises them as the dict or list they are, and a
snapshot restores them as plain ones.
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
