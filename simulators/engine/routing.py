"""Route tables for a fake's hot path, and for calls made inside a fake.

Starlette's router tries each route's regex in turn and wraps every request
in exception and error middleware; a fake with 60 routes spends more time
there than in its own work. A :class:`RouteTable` matches a method and path
segments against templates (``/v1/customers/{customer}``, ``/v{version}/query``)
in declaration order, as Starlette does, so the first route that matches wins.
It serves two callers: :class:`FastDispatch` (an ASGI app that calls the matched
endpoint directly, with ``path_params`` in the scope) and a fake that routes a
request of its own (the CRM's composite subrequests) through the same table.

``FastDispatch`` sends anything it is not sure about (no match, a root path, a
route pattern it does not compile, which turns it off) to its fallback app, so
404, 405 and slash redirects stay exactly the fallback's (Starlette's, for a fake
whose fallback is a Starlette app of the same routes).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any, Generic, TypeVar

from starlette.routing import BaseRoute, Route

from simulators.engine.asgi import ASGIApp, Receive, Send

T = TypeVar("T")

# A segment: a literal (str), or a parameter (name, literal prefix, literal suffix).
_Segment = str | tuple[str, str, str]


def compile_template(path: str) -> tuple[_Segment, ...] | None:
    """The segments of a route template; None for a pattern this table does not handle
    (a converter such as {n:int}, two parameters in one segment)."""
    segments: list[_Segment] = []
    for part in path.split("/"):
        if "{" not in part and "}" not in part:
            segments.append(part)
            continue
        start, end = part.find("{"), part.find("}")
        if start < 0 or end < start or part.count("{") != 1 or part.count("}") != 1:
            return None
        name, _, convertor = part[start + 1:end].partition(":")
        if not name.isidentifier() or convertor not in ("", "str"):
            return None
        segments.append((name, part[:start], part[end + 1:]))
    return tuple(segments)


def _shadows(earlier: tuple[_Segment, ...], later: tuple[_Segment, ...]) -> bool:
    """True when every path ``later`` matches is matched by ``earlier`` too."""
    for a, b in zip(earlier, later, strict=True):
        if isinstance(a, str):
            if a != b:
                return False
        elif isinstance(b, str):
            if not (b.startswith(a[1]) and b.endswith(a[2]) and len(b) > len(a[1]) + len(a[2])):
                return False
        elif not (b[1].startswith(a[1]) and b[2].endswith(a[2])):
            return False
    return True


class RouteTable(Generic[T]):
    """Method and path to a target and its path parameters, first match wins.

    A GET route also answers HEAD, as Starlette's do. ``collapse`` drops empty
    segments from a request's path before matching (a vendor that treats
    ``/a//b/`` as ``/a/b``). ``strict`` refuses a table where a route can never
    match because an earlier one with the same method takes all its paths.
    """

    def __init__(self, entries: Iterable[tuple[str, str, T]], *, collapse: bool = False,
                 strict: bool = False) -> None:
        self.collapse = collapse
        # (method, segment count) -> [(segments, target)] in declaration order
        self._table: dict[tuple[str, int], list[tuple[tuple[_Segment, ...], T]]] = {}
        self._templates: list[tuple[tuple[_Segment, ...], str]] = []
        self.complete = True  # False once a template could not be compiled
        for method, path, target in entries:
            segments = compile_template(path)
            if segments is None:
                self.complete = False
                continue
            if collapse:
                segments = (segments[0], *(s for s in segments[1:] if s != ""))
            methods = ("GET", "HEAD") if method == "GET" else (method,)
            for m in methods:
                bucket = self._table.setdefault((m, len(segments)), [])
                if strict:
                    for known, _ in bucket:
                        if _shadows(known, segments):
                            raise ValueError(f"{method} {path} is shadowed by an earlier "
                                             "route: declare it first")
                bucket.append((segments, target))
            self._templates.append((segments, method))

    def split(self, path: str) -> list[str]:
        parts = path.split("/")
        if self.collapse:
            parts = [parts[0], *(p for p in parts[1:] if p)]
        return parts

    def match(self, method: str, path: str) -> tuple[T, dict[str, str]] | None:
        # Every API request passes here: the segment loop is written out (no helper call).
        parts = path.split("/")
        if self.collapse:
            parts = [parts[0], *(p for p in parts[1:] if p)]
        candidates = self._table.get((method, len(parts)))
        if candidates is None:
            return None
        for segments, target in candidates:
            params: dict[str, str] = {}
            for segment, part in zip(segments, parts, strict=True):
                if segment.__class__ is str:
                    if segment != part:
                        break
                else:
                    name, prefix, suffix = segment  # type: ignore[str-unpack]
                    if not prefix and not suffix:
                        if not part:
                            break
                        params[name] = part
                    elif (len(part) > len(prefix) + len(suffix) and part.startswith(prefix)
                          and part.endswith(suffix)):
                        params[name] = part[len(prefix):len(part) - len(suffix)]
                    else:
                        break
            else:
                return target, params
        return None

    def methods_for(self, path: str) -> list[str]:
        """The methods some route answers at ``path``, in declaration order."""
        parts = self.split(path)
        methods: list[str] = []
        for segments, method in self._templates:
            if len(segments) == len(parts) and _match(segments, parts) is not None \
                    and method not in methods:
                methods.append(method)
        return methods


def _match(segments: tuple[_Segment, ...], parts: Sequence[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for segment, part in zip(segments, parts, strict=True):
        if segment.__class__ is str:
            if segment != part:
                return None
        else:
            name, prefix, suffix = segment  # type: ignore[str-unpack]
            if not prefix and not suffix:
                if not part:
                    return None
                params[name] = part
            elif (len(part) > len(prefix) + len(suffix) and part.startswith(prefix)
                  and part.endswith(suffix)):
                params[name] = part[len(prefix):len(part) - len(suffix)]
            else:
                return None
    return params


class FastDispatch:
    """Dispatches ``http`` requests to ``routes`` without Starlette, falling back to ``app``."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute], *,
                 collapse: bool = False) -> None:
        self.app = app
        entries: list[tuple[str, str, ASGIApp]] = []
        usable = True
        for route in routes:
            if not isinstance(route, Route) or not route.methods:
                # A Mount or a method-less route could match any path: send everything
                # to the fallback rather than guess.
                usable = False
                break
            # An endpoint that offers its ASGI function (pipeline.Endpoint.call) is
            # called through it: no method lookup on the object per request.
            app = getattr(route.app, "call", route.app)
            for method in route.methods:
                if method != "HEAD" or "GET" not in route.methods:
                    entries.append((method, route.path, app))
        table: RouteTable[ASGIApp] = RouteTable(entries if usable else [], collapse=collapse)
        self._table = table if usable and table.complete else RouteTable([])

    def resolve(self, scope: MutableMapping[str, Any]) -> ASGIApp:
        """The ASGI app that answers this request: its route's endpoint, with
        ``path_params`` put in the scope, or the fallback app."""
        if scope["type"] == "http" and not scope.get("root_path"):
            found = self._table.match(scope["method"], scope["path"])
            if found is not None:
                scope["path_params"] = found[1]
                return found[0]
        return self.app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive,
                       send: Send) -> None:
        await self.resolve(scope)(scope, receive, send)
