"""A route table in front of a Starlette app, for a fake's hot path.

Starlette's router tries each route's regex in turn and wraps every request
in exception and error middleware; a fake with 60 routes spends more time
there than in its own work. ``FastDispatch`` matches a request's method and
path segments against the same routes, in the same order, and calls the
matched route's ASGI endpoint directly with ``path_params`` in the scope.
Anything it is not sure about (no match, a root path, a route pattern it does
not compile, which turns it off) goes to the Starlette app, so 404, 405 and slash redirects stay
exactly Starlette's.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

from starlette.routing import BaseRoute, Route

from simulators.engine.middleware import ASGIApp, Receive, Send

# A compiled route: literal segments (None where a parameter sits), parameter
# names by position, and the endpoint.
_Compiled = tuple[tuple[str | None, ...], tuple[tuple[int, str], ...], ASGIApp]


def _compile(route: Route) -> _Compiled | None:
    endpoint = route.app
    segments: list[str | None] = []
    params: list[tuple[int, str]] = []
    for i, part in enumerate(route.path.split("/")):
        if "{" not in part and "}" not in part:
            segments.append(part)
            continue
        name = part[1:-1] if part.startswith("{") and part.endswith("}") else ""
        name, _, convertor = name.partition(":")
        if not name.isidentifier() or convertor not in ("", "str"):
            return None  # a pattern such as {id}.json or {n:int}: Starlette decides
        segments.append(None)
        params.append((i, name))
    return tuple(segments), tuple(params), endpoint


class FastDispatch:
    """Dispatches ``http`` requests to ``routes`` without Starlette, falling back to ``app``."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        # (method, segment count) -> compiled routes in declaration order
        self._table: dict[tuple[str, int], list[_Compiled]] = {}
        for route in routes:
            if not isinstance(route, Route) or not route.methods:
                compiled = None
            else:
                compiled = _compile(route)
            if compiled is None or not isinstance(route, Route):
                # A Mount, a method-less route or a pattern that may span segments could
                # match any path: send everything to Starlette rather than guess.
                self._table.clear()
                return
            count = route.path.count("/") + 1
            for method in route.methods or ():
                self._table.setdefault((method, count), []).append(compiled)

    def resolve(self, scope: MutableMapping[str, Any]) -> ASGIApp:
        """The ASGI app that answers this request: its route's endpoint, with
        ``path_params`` put in the scope, or the Starlette app."""
        if scope["type"] == "http" and not scope.get("root_path"):
            path: str = scope["path"]
            parts = path.split("/")
            candidates = self._table.get((scope["method"], len(parts)))
            if candidates is not None:
                for compiled in candidates:
                    segments, params, endpoint = compiled
                    for literal, part in zip(segments, parts, strict=True):
                        if literal is None:
                            if not part:
                                break
                        elif literal != part:
                            break
                    else:
                        scope["path_params"] = {name: parts[i] for i, name in params}
                        return endpoint
        return self.app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive,
                       send: Send) -> None:
        await self.resolve(scope)(scope, receive, send)
