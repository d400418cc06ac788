"""FastDispatch answers exactly as the Starlette app behind it would."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from simulators.engine.routing import FastDispatch, RouteTable


class Echo:
    """An ASGI endpoint that reports which route served the request and its path params."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        response = JSONResponse({"route": self.name, "params": scope.get("path_params")})
        await response(scope, receive, send)


async def function_endpoint(request: Request) -> Response:
    return PlainTextResponse(f"fn {request.path_params}")


async def not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"nope {request.method} {request.url.path}", 404)


ROUTES = [
    Route("/v1/things", Echo("list"), methods=["GET"]),
    Route("/v1/things", Echo("create"), methods=["POST"]),
    Route("/v1/things/{thing}", Echo("get"), methods=["GET"]),
    Route("/v1/things/search", Echo("search-shadowed"), methods=["GET"]),
    Route("/v1/things/{thing}", Echo("update"), methods=["POST"]),
    Route("/v1/things/{thing}/items/{item}", Echo("item"), methods=["DELETE"]),
    Route("/v1/fn/{x}", function_endpoint, methods=["GET"]),
]

REQUESTS = [
    ("GET", "/v1/things"), ("POST", "/v1/things"), ("HEAD", "/v1/things"),
    ("GET", "/v1/things/t_1"), ("GET", "/v1/things/search"), ("POST", "/v1/things/t_1"),
    ("PUT", "/v1/things/t_1"), ("DELETE", "/v1/things/t_1/items/i_2"),
    ("DELETE", "/v1/things//items/i_2"), ("GET", "/v1/things/"), ("GET", "/v1/things/t_1/"),
    ("GET", "/v1/nothing"), ("GET", "/v1/fn/7"), ("GET", "/v1/things/a%20b"),
    ("GET", "/"), ("GET", "/v1/things/t_1/extra"),
]


def _apps(routes: list[Any]) -> tuple[Starlette, FastDispatch]:
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    return app, FastDispatch(app, routes)


async def _ask(app: Any, method: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        return await client.request(method, path)


@pytest.mark.parametrize(("method", "path"), REQUESTS)
def test_same_answer_as_starlette(method: str, path: str) -> None:
    plain, fast = _apps(ROUTES)
    answers = []
    for app in (plain, fast):
        r = asyncio.run(_ask(app, method, path))
        answers.append((r.status_code, sorted(r.headers.items()), r.content))
    assert answers[0] == answers[1]


def test_params_reach_the_endpoint() -> None:
    _, fast = _apps(ROUTES)
    r = asyncio.run(_ask(fast, "DELETE", "/v1/things/t_1/items/i_2"))
    assert r.json() == {"route": "item", "params": {"thing": "t_1", "item": "i_2"}}


def test_routes_it_cannot_compile_turn_it_off() -> None:
    _, fast = _apps([*ROUTES, Mount("/static", Echo("mount"))])
    assert asyncio.run(_ask(fast, "GET", "/static/x")).json()["route"] == "mount"


def test_a_parameter_may_share_its_segment_with_literal_text() -> None:
    table = RouteTable([("GET", "/services/data/v{version}/query", "query"),
                        ("GET", "/services/data/v{version}", "resources")])
    assert table.match("GET", "/services/data/v59.0/query") == ("query", {"version": "59.0"})
    assert table.match("HEAD", "/services/data/v59.0") == ("resources", {"version": "59.0"})
    assert table.match("GET", "/services/data/v/query") is None  # the parameter is empty
    assert table.match("GET", "/services/data/59.0/query") is None


def test_collapse_treats_empty_segments_as_absent() -> None:
    table = RouteTable([("POST", "/sobjects/{name}", "create")], collapse=True)
    assert table.match("POST", "/sobjects/Account/") == ("create", {"name": "Account"})
    assert table.match("POST", "//sobjects//Account") == ("create", {"name": "Account"})
    assert RouteTable([("POST", "/sobjects/{name}", "create")]).match(
        "POST", "/sobjects/Account/") is None


def test_methods_for_lists_what_a_path_answers() -> None:
    table = RouteTable([("GET", "/r/{id}", 1), ("PATCH", "/r/{id}", 2), ("GET", "/r/x/y", 3)])
    assert table.methods_for("/r/7") == ["GET", "PATCH"]
    assert table.methods_for("/nope") == []
