"""Pact provider states on the control plane: ``POST /_sim/provider-states``.

A Pact verifier sets a named business situation up before it replays an interaction and
tears it down after (Pact's "provider state" callback: ``{"state", "params", "action":
"setup"|"teardown"}``, the body pact_verifier posts to a state-change URL). Each fake
declares its vocabulary (``simulators/<fake>/states.py``): state names read as business
situations ("a customer with a default card exists"), their parameters, and what each
one creates. The tenant is named by ``?tenant=`` (a credential, as everywhere on the
control plane); teardown drops it, so every interaction starts from an empty account.

The answer to a setup is a JSON object of values a pact may inject with provider-state
generators (``${authorization}``, ``${customer}``...): the credentials of the tenant
(``authorization`` is a whole Authorization header value) and the ids the state made.
States create objects with the ids their parameters name wherever the vendor's id format
allows it (:func:`named_ids`), so a pact's example ids are the provider's ids.

``GET /_sim/provider-states`` lists the vocabulary (docs/contracts.md documents it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulators.engine.control import ControlError, body_json, jsonr, sim_of
from simulators.engine.openapi import Operation, json_body, json_response, query_param
from simulators.engine.runtime import Simulation
from simulators.engine.seed import Streams
from simulators.engine.tenancy import Tenant

log = logging.getLogger("fintwin.sim")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class StateError(Exception):
    """A state cannot be set up as asked (400, naming the parameter)."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Param:
    name: str
    summary: str
    example: Any
    required: bool = True


@dataclass
class StateContext:
    """What a state's setup works with: the fake and the tenant the verifier named."""

    sim: Simulation
    tenant: Tenant
    params: dict[str, Any]

    def text(self, name: str, default: str | None = None) -> str:
        value = self.params.get(name, default)
        if value is None:
            raise StateError(f"Missing parameter '{name}'", name)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise StateError(f"Parameter '{name}' must be a string", name)
        return str(value)

    def optional(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value is None else self.text(name)

    def integer(self, name: str, default: int | None = None) -> int:
        value = self.params.get(name, default)
        try:
            if isinstance(value, bool):
                raise TypeError
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise StateError(f"Parameter '{name}' must be an integer", name) from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.params.get(name, default)
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise StateError(f"Parameter '{name}' must be true or false", name)

    def items(self, name: str) -> list[Any]:
        value = self.params.get(name)
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not value:
            raise StateError(f"Parameter '{name}' must be a non-empty list", name)
        return value


Setup = Callable[[StateContext], Mapping[str, Any] | None]


@dataclass(frozen=True)
class State:
    """One business situation. ``name`` may hold ``{param}`` placeholders: a pact may
    give the values in its params or write them into the state name itself."""

    name: str
    summary: str
    setup: Setup
    params: tuple[Param, ...] = ()

    def pattern(self) -> re.Pattern[str]:
        parts = _PLACEHOLDER.split(self.name)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                        for i, p in enumerate(parts))
        return re.compile(f"^{regex}$", re.IGNORECASE)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary,
                "params": [{"name": p.name, "summary": p.summary, "example": p.example,
                            "required": p.required} for p in self.params]}


Session = Callable[[Simulation, str, Mapping[str, str]], tuple[Tenant, dict[str, str]]]
"""A tenant reference (the credential the verifier was told to use) and the state-change
URL's other query parameters (``api_version``: the version the tenant starts on) -> the
tenant and the credentials a pact may inject (``authorization`` at least)."""


@dataclass
class Vocabulary:
    vendor: str
    session: Session
    states: list[State] = field(default_factory=list)

    def state(self, name: str, summary: str, *params: Param) -> Callable[[Setup], Setup]:
        """Decorator: declare a state whose setup is the decorated function."""
        def register(fn: Setup) -> Setup:
            self.states.append(State(name, summary, fn, params))
            return fn
        return register

    def alias(self, name: str, summary: str, setup: Setup, *params: Param) -> None:
        """Another name for a setup (a message's situation next to an HTTP one's)."""
        self.states.append(State(name, summary, setup, params))

    def find(self, name: str) -> tuple[State, dict[str, str]]:
        wanted = " ".join(name.split())
        for state in self.states:
            if state.name.lower() == wanted.lower():
                return state, {}
        for state in self.states:
            match = state.pattern().match(wanted)
            if match:
                return state, {k: v.strip("'\"") for k, v in match.groupdict().items()}
        known = "; ".join(s.name for s in self.states)
        raise StateError(f"Unknown provider state {name!r} for the {self.vendor} fake. "
                         f"Known states: {known}", "state")

    def setup(self, sim: Simulation, ref: str, name: str, params: Mapping[str, Any],
              options: Mapping[str, str] | None = None) -> dict[str, Any]:
        try:
            tenant, credentials = self.session(sim, ref, options or {})
        except ValueError as exc:
            raise StateError(str(exc), "tenant") from exc
        values: dict[str, Any] = dict(credentials)
        if name:  # "" is pact's set-up-anything call, for interactions with no state
            state, from_name = self.find(name)
            merged = {**from_name, **dict(params)}  # examples are documentation only
            for p in state.params:
                if p.required and merged.get(p.name) in (None, ""):
                    raise StateError(f"State {state.name!r} needs parameter '{p.name}'",
                                     p.name)
            made = state.setup(StateContext(sim, tenant, merged))
            values.update({k: v for k, v in merged.items() if isinstance(v, (str, int))})
            values.update(made or {})
        sim.persist_header(tenant)
        return values

    def teardown(self, sim: Simulation, ref: str) -> None:
        tenant_id = sim.vendor.resolve_tenant_ref(sim, ref)
        if sim.tenants.get(tenant_id) is not None:
            sim.reset(tenant_id)


class _NamedStreams(Streams):
    """The tenant's id streams (the same counters), handing out the names a state asked
    for first."""

    __slots__ = ("_ids", "_ordinals")

    def __init__(self, inner: Streams, ids: dict[str, list[str]],
                 ordinals: dict[str, list[int]]) -> None:
        self.seed = inner.seed
        self.tenant = inner.tenant
        self.counters = inner.counters  # shared: ids drawn inside continue the stream
        self._sequences = inner._sequences
        self._ids = ids
        self._ordinals = ordinals

    def new_id(self, prefix: str, length: int = 24) -> str:
        queue = self._ids.get(prefix)
        if queue:
            return queue.pop(0)
        return super().new_id(prefix, length)

    def next_ordinal(self, stream: str) -> int:
        queue = self._ordinals.get(stream)
        if queue:
            wanted = queue.pop(0)
            if wanted > self.counters.get(stream, 0):
                self.counters[stream] = wanted
                return wanted
        return super().next_ordinal(stream)


@contextmanager
def named_ids(tenant: Tenant, ids: Mapping[str, Sequence[str]] | None = None,
              ordinals: Mapping[str, Sequence[int]] | None = None) -> Iterator[None]:
    """While inside, ids drawn with a prefix in ``ids`` are the names given (in order),
    and ordinals drawn from a stream in ``ordinals`` jump to the numbers given when those
    are still ahead of the stream (NetSuite's internal ids); the rest come from the
    tenant's seeded streams as always."""
    inner = tenant.streams
    tenant.streams = _NamedStreams(inner, {k: list(v) for k, v in (ids or {}).items()},
                                   {k: list(v) for k, v in (ordinals or {}).items()})
    try:
        yield
    finally:
        tenant.streams = inner


def routes(vocabulary: Vocabulary) -> list[BaseRoute]:
    async def change(request: Request) -> Response:
        sim = sim_of(request)
        ref = request.query_params.get("tenant")
        if not ref:
            raise ControlError(400, "Missing required parameter: tenant (the credential "
                                    "the pact's requests are verified with)", "tenant")
        data = await body_json(request)
        if not isinstance(data, dict):
            raise ControlError(400, "Body must be an object", "body")
        name = data.get("state") or ""
        params = data.get("params") or {}
        action = data.get("action") or "setup"
        if not isinstance(name, str) or not isinstance(params, dict):
            raise ControlError(400, "'state' must be a string and 'params' an object", "state")
        if action == "teardown":
            vocabulary.teardown(sim, ref)
            return jsonr({})
        if action != "setup":
            raise ControlError(400, "'action' is setup or teardown", "action")
        try:
            options = {k: v for k, v in request.query_params.items() if k != "tenant"}
            return jsonr(vocabulary.setup(sim, ref, name, params, options))
        except StateError as exc:
            raise ControlError(400, str(exc), exc.param) from exc
        except Exception as exc:  # the vendor's own refusal (an id taken, a bad value)
            log.info("provider state %r failed: %r", name, exc)
            raise ControlError(400, f"Provider state {name!r} could not be set up with "
                                    f"{params}: {exc}", "params") from exc

    async def listing(request: Request) -> Response:
        return jsonr({"vendor": vocabulary.vendor,
                      "states": [s.to_json() for s in vocabulary.states]})

    return [Route("/_sim/provider-states", change, methods=["POST"]),
            Route("/_sim/provider-states", listing, methods=["GET"])]


def operations() -> list[Operation]:
    errors = {"400": json_response("Unknown state or bad parameter (named)"),
              "401": json_response("Admin token missing or wrong")}
    return [
        Operation("POST", "/_sim/provider-states", "simProviderState",
                  "Set a Pact provider state up (or tear it down)", ("control plane",),
                  [query_param("tenant", {"type": "string", "minLength": 1}, True,
                               "The credential the pact's requests are verified with")],
                  json_body({"type": "object", "properties": {
                      "state": {"type": "string"}, "params": {"type": "object"},
                      "action": {"type": "string", "enum": ["setup", "teardown"]}}},
                      required=False),
                  {"200": json_response("Values a pact may inject (credentials, ids)"),
                   **errors}, security=[{"simAdminToken": []}]),
        Operation("GET", "/_sim/provider-states", "simProviderStates",
                  "The fake's provider-state vocabulary", ("control plane",),
                  responses={"200": json_response("States, their parameters"), **errors},
                  security=[{"simAdminToken": []}]),
    ]
