"""OpenAPI 3.1 documents built from the same declarations the routes use.

A fake's operations (``engine.operation.Operation``, the declarations) are
described here into OpenAPI operation objects (:class:`Operation`, what the
document lists) by :func:`describe`, in the vendor's :class:`DocStyle` (its body
encoding, its error envelope, the statuses every operation may answer). The
control plane's routes are listed as such operation objects directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulators.engine.params import Param, object_schema

if TYPE_CHECKING:
    from simulators.engine import operation as declared

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass
class Operation:
    """One documented operation. ``path`` uses OpenAPI templating: /v1/customers/{customer}."""

    method: str
    path: str
    operation_id: str
    summary: str = ""
    tags: tuple[str, ...] = ()
    parameters: list[dict[str, Any]] = field(default_factory=list)
    request_body: dict[str, Any] | None = None
    responses: dict[str, Any] = field(default_factory=dict)
    security: list[dict[str, list[str]]] | None = None
    description: str = ""

    def to_openapi(self) -> dict[str, Any]:
        op: dict[str, Any] = {"operationId": self.operation_id,
                              "responses": self.responses or {"200": {"description": "OK"}}}
        if self.summary:
            op["summary"] = self.summary
        if self.description:
            op["description"] = self.description
        if self.tags:
            op["tags"] = list(self.tags)
        if self.parameters:
            op["parameters"] = self.parameters
        if self.request_body is not None:
            op["requestBody"] = self.request_body
        if self.security is not None:
            op["security"] = self.security
        return op


def path_param(name: str, description: str = "", pattern: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


def query_param(name: str, schema: dict[str, Any], required: bool = False,
                description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


def json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def json_response(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def build_document(title: str, version: str, description: str, operations: list[Operation],
                   security_schemes: dict[str, Any], default_security: list[dict[str, list[str]]],
                   components: dict[str, Any] | None = None) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = op.to_openapi()
    comps: dict[str, Any] = {"securitySchemes": security_schemes}
    if components:
        comps.update(components)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": comps,
        "security": default_security,
    }


@dataclass(frozen=True, kw_only=True)
class DocStyle:
    """How one vendor's operations read in its OpenAPI document."""

    body_media_type: str = JSON  # how ``params`` travel in a request body
    errors: Mapping[str, Any] = field(default_factory=dict)  # status -> response, every op
    ok: Callable[[declared.Operation], dict[str, Any]] | None = None  # the default 2xx
    # Responses an operation may also give, by what it declares (an async job's 202).
    more: Callable[[declared.Operation], Mapping[str, Any]] | None = None


def _param(name: str, where: str, spec: Param | None, required: bool) -> dict[str, Any]:
    schema = spec.documented() if spec is not None else {"type": "string"}
    out: dict[str, Any] = {"name": name, "in": where, "required": required, "schema": schema}
    if where == "path":
        out["description"] = spec.description if spec is not None else ""
    elif schema.get("type") in ("object", "array") and where == "query":
        out.update(style="deepObject", explode=True)
    return out


def describe(op: declared.Operation, style: DocStyle) -> Operation:
    """The OpenAPI operation object of a declared operation."""
    params = [_param(name, "path", op.path_params.get(name), True) for name in op.path_names()]
    in_query = op.method in ("GET", "HEAD")
    if in_query:
        params += [_param(name, "query", spec, spec.required)
                   for name, spec in op.params.items()]
    params += [_param(name, "query", spec, spec.required) for name, spec in op.query.items()]
    params += [_param(name, "header", spec, spec.required) for name, spec in op.headers.items()]
    body: dict[str, Any] | None = None
    if op.body is not None:
        body = json_body(op.body, required=op.body_required)
    elif op.params and not in_query:
        schema = object_schema(dict(op.params))
        media = op.body_media_type or style.body_media_type
        content: dict[str, Any] = {"schema": schema}
        if media == FORM:
            content["encoding"] = {name: {"style": "deepObject", "explode": True}
                                   for name, sub in schema["properties"].items()
                                   if sub.get("type") in ("object", "array")}
        body = {"required": bool(schema.get("required")), "content": {media: content}}
    responses = dict(op.responses)
    if not any(status.startswith(("2", "3")) for status in responses):
        ok = style.ok(op) if style.ok is not None else json_response("OK")
        responses = {"200": ok, **responses}
    if style.more is not None:
        for status, response in style.more(op).items():
            responses.setdefault(status, response)
    if not op.public:
        for status, response in style.errors.items():
            responses.setdefault(status, response)
    security = op.security if op.security is not None else ([] if op.public else None)
    return Operation(op.method, op.path, op.operation_id, op.summary, op.tags, params, body,
                     responses, security, op.docs)
