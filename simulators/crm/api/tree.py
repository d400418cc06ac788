"""sObject Tree (``POST /composite/tree/{sObject}``; REST API Developer Guide, "sObject
Tree"): one or more trees of nested parent-child records, created in the order they are
listed, all or none.

- Each record names its type and a ``referenceId`` in ``attributes``; children sit under
  the parent's child relationship name (``"Contacts": {"records": [...]}``) and get the
  parent's id in the relationship's lookup field.
- At most 200 records across all trees, of at most five types, at most five levels deep.
- Success: 201 ``{"hasErrors": false, "results": [{"referenceId", "id"}, ...]}``, every
  record in request order. A record that fails fails the request: nothing is saved and
  the answer is 400 ``{"hasErrors": true, "results": [{"referenceId", "errors":
  [{"statusCode", "message", "fields"}]}]}`` naming only the record at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulators.crm import errors as E
from simulators.crm import records as R
from simulators.crm.api.composite import not_nested
from simulators.crm.context import Ctx, Reply, Req
from simulators.crm.params import NAME, VERSION, D
from simulators.crm.schema import ObjectDef
from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations

# sObject Tree came with the composite resources of API version 42.0 in the fake; the
# guide's page does not state its first version (unverified).
ops = Operations(tags=("composite",), path_params={"version": VERSION, "sobject": NAME},
                 extra={"since": 42.0})
MAX_RECORDS = 200
MAX_TYPES = 5
MAX_DEPTH = 5


@dataclass
class _Node:
    obj: ObjectDef
    reference_id: str
    fields: dict[str, Any]
    parent_field: str | None = None  # the lookup to fill with the parent's id
    children: list[_Node] = field(default_factory=list)


class _TreeError(Exception):
    def __init__(self, reference_id: str, error: E.SfError) -> None:
        super().__init__(error.message)
        self.reference_id = reference_id
        self.error = error


@ops.operation(method="POST", path=f"{D}/composite/tree/{{sobject}}", id="compositeTree",
               summary="Create nested record trees (up to 200 records)",
               body={"type": "object", "required": ["records"],
                     "properties": {"records": {"type": "array", "items": {"type": "object"}}}},
               responses={"201": json_response("Created"), "400": json_response("Failed")})
def create_tree(ctx: Ctx, req: Req) -> Reply:
    """Root records must be of the URL's type; reference ids must be unique."""
    not_nested(ctx)
    root = ctx.org.schema.find_object(req.path["sobject"])
    if root is None:
        raise E.not_found()
    payload = req.body()
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list) \
            or not payload["records"]:
        raise E.bad_request(E.JSON_PARSER_ERROR, "The request body must be an object with "
                            "records, a non-empty list of records", ["records"])
    seen: set[str] = set()
    types: set[str] = set()
    count = [0]
    nodes = [_parse(ctx, root, item, None, 1, seen, types, count)
             for item in payload["records"]]
    return ctx.write(lambda txn: _save(txn, nodes))


def _parse(ctx: Ctx, expected: ObjectDef, item: Any, parent_field: str | None, depth: int,
           seen: set[str], types: set[str], count: list[int]) -> _Node:
    if not isinstance(item, dict) or not isinstance(item.get("attributes"), dict):
        raise E.bad_request(E.JSON_PARSER_ERROR, "Each record needs attributes with type and "
                            "referenceId", ["attributes"])
    attributes = item["attributes"]
    ref = attributes.get("referenceId")
    if not isinstance(ref, str) or not ref:
        raise E.bad_request(E.INVALID_INPUT, "Each record needs attributes.referenceId",
                            ["referenceId"])
    if ref in seen:
        raise E.bad_request(E.INVALID_INPUT, f"Duplicate ReferenceId provided in the "
                            f"request: {ref}", ["referenceId"])
    seen.add(ref)
    kind = attributes.get("type")
    if not isinstance(kind, str) or kind.lower() != expected.name.lower():
        raise E.bad_request(E.INVALID_INPUT, f"Record {ref}: attributes.type must be "
                            f"{expected.name}, not {kind}", ["type"])
    count[0] += 1
    types.add(expected.name)
    if count[0] > MAX_RECORDS:
        raise E.bad_request("EXCEEDED_ID_LIMIT", f"The request can contain at most "
                            f"{MAX_RECORDS} records across all trees.", ["records"])
    if len(types) > MAX_TYPES:
        raise E.bad_request(E.INVALID_INPUT, f"The request can contain records of at most "
                            f"{MAX_TYPES} types.", ["records"])
    node = _Node(expected, ref, {}, parent_field)
    for key, value in item.items():
        if key == "attributes":
            continue
        rel = ctx.org.schema.find_child_relationship(expected.name, key)
        if rel is None:
            node.fields[key] = value
            continue
        if depth >= MAX_DEPTH:
            raise E.bad_request(E.INVALID_INPUT, f"sObject trees can be at most {MAX_DEPTH} "
                                "levels deep.", [key])
        if not isinstance(value, dict) or not isinstance(value.get("records"), list):
            raise E.bad_request(E.JSON_PARSER_ERROR, f"{key} must be an object with records",
                                [key])
        child_obj = ctx.org.schema.object(rel.child_sobject)
        node.children.extend(_parse(ctx, child_obj, child, rel.field, depth + 1, seen, types,
                                    count) for child in value["records"])
    return node


def _save(txn: R.Txn, nodes: list[_Node]) -> Reply:
    results: list[dict[str, Any]] = []
    try:
        for node in nodes:
            _insert(txn, node, None, results)
    except _TreeError as failure:
        txn.rollback()
        err = failure.error
        return Reply(400, {"hasErrors": True, "results": [{
            "referenceId": failure.reference_id,
            "errors": [{"statusCode": err.code, "message": err.message,
                        "fields": err.fields or []}]}]})
    return Reply(201, {"hasErrors": False, "results": results})


def _insert(txn: R.Txn, node: _Node, parent_id: str | None,
            results: list[dict[str, Any]]) -> None:
    values = dict(node.fields)
    if node.parent_field is not None and parent_id is not None:
        values[node.parent_field] = parent_id
    try:
        record = R.create(txn, node.obj, values)
    except E.SfError as exc:
        raise _TreeError(node.reference_id, exc) from None
    results.append({"referenceId": node.reference_id, "id": record["Id"]})
    for child in node.children:
        _insert(txn, child, record["Id"], results)
