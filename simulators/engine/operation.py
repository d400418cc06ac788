"""An operation, declared once next to its handler.

    ops = Operations(tags=("Customers",))

    @ops.operation(method="POST", path="/v1/customers", id="PostCustomers",
                   summary="Create a customer", params=CUSTOMER_PARAMS,
                   extra={"returns": "customer"})
    def create_customer(ctx, p, path): ...

The declaration is the single source for the route (method and path), the
parameters (checked on every request, named in the vendor's error when wrong),
the OpenAPI document (which schemathesis fuzzes) and the reference docs; the
handler's docstring becomes the operation's description. A vendor's pipeline
(``engine.pipeline``) compiles each declaration into one ASGI callable.
Everything is keyword-only, so a declaration reads as what it says.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from simulators.engine.params import Param

H = TypeVar("H", bound=Callable[..., Any])

@dataclass(frozen=True, kw_only=True)
class Limits:
    """Per-operation limits, where a vendor documents one for a single operation: the
    place to declare them next to the operation. ``max_body_bytes`` is enforced while the
    body is read (``pipeline.ReadBody``; billing's validate step): 413 in the vendor's
    envelope, the rest unread. Rate, concurrency and quota limits are fault rules
    (``Vendor.default_limits``), which can match one operation's method and path."""

    max_body_bytes: int | None = None
    source: str = ""  # the vendor document the limit comes from


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One vendor operation: what the route is, what it takes, what it answers."""

    method: str
    path: str  # OpenAPI templating: /v1/customers/{customer}; a segment may be v{version}
    operation_id: str
    summary: str
    handler: Callable[..., Any]
    description: str = ""
    tags: tuple[str, ...] = ()
    # Declared parameters by where they come from. ``params`` are the vendor's usual
    # place (Stripe: the query of a GET, the form body otherwise); ``query`` and
    # ``headers`` are explicit query and header parameters.
    params: Mapping[str, Param] = field(default_factory=dict)
    query: Mapping[str, Param] = field(default_factory=dict)
    headers: Mapping[str, Param] = field(default_factory=dict)
    path_params: Mapping[str, Param] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # a JSON request body's schema (documented)
    body_required: bool = True
    body_media_type: str | None = None  # default: the vendor's
    returns: str | None = None  # the kind of object answered (None: a list or no object)
    responses: Mapping[str, Any] = field(default_factory=dict)  # status -> response
    public: bool = False  # no credentials needed (token endpoints, version lists)
    security: list[dict[str, list[str]]] | None = None
    limits: Limits | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # vendor-specific facts

    @property
    def docs(self) -> str:
        """The description, or else the handler's docstring."""
        return self.description or inspect.cleandoc(self.handler.__doc__ or "")

    def path_names(self) -> list[str]:
        names = []
        for part in self.path.split("/"):
            start = part.find("{")
            if start >= 0:
                names.append(part[start + 1:part.index("}", start)].partition(":")[0])
        return names


class Operations:
    """An ordered set of operations, filled by the ``operation`` decorator.

    Routing tries operations in declaration order (as Starlette does), so a path with
    a literal segment is declared before a parameter it would otherwise be taken for;
    ``engine.routing`` refuses a table where an earlier route shadows a later one.
    """

    def __init__(self, *, tags: tuple[str, ...] = (), **defaults: Any) -> None:
        self.tags = tags
        self.defaults = defaults
        self._ops: list[Operation] = []

    def operation(self, *, method: str, path: str, id: str, summary: str,
                  **declared: Any) -> Callable[[H], H]:
        """Register the decorated function as the handler of this operation."""

        def register(handler: H) -> H:
            self.add(Operation(method=method, path=path, operation_id=id, summary=summary,
                               handler=handler,
                               **{"tags": self.tags, **self.defaults, **declared}))
            return handler

        return register

    def add(self, op: Operation) -> Operation:
        for known in self._ops:
            if known.operation_id == op.operation_id:
                raise ValueError(f"operation id {op.operation_id} declared twice")
        self._ops.append(op)
        return op

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    def by_id(self, operation_id: str) -> Operation:
        for op in self._ops:
            if op.operation_id == operation_id:
                return op
        raise KeyError(operation_id)


def join(*sets: Iterable[Operation]) -> Operations:
    """One set from several (a vendor's per-module sets, in the order given)."""
    joined = Operations()
    for ops in sets:
        for op in ops:
            joined.add(op)
    return joined
