"""OpenAPI 3.1 documents built from the same declarations the routes use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

    def to_openapi(self) -> dict[str, Any]:
        op: dict[str, Any] = {"operationId": self.operation_id,
                              "responses": self.responses or {"200": {"description": "OK"}}}
        if self.summary:
            op["summary"] = self.summary
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
