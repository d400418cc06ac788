"""A fake's API reference in Markdown, written from its operation declarations.

``fintwin docs`` writes ``docs/api/<fake>.md`` with this; ``tests/test_api_reference.py``
fails when a declaration changed and the page was not written again. Like the OpenAPI
document, it cannot drift from what the fake serves.
"""

from __future__ import annotations

from collections.abc import Iterable

from simulators.engine.operation import Operation
from simulators.engine.params import Param


def _type(spec: Param) -> str:
    schema = spec.schema()
    if "enum" in schema:
        return " | ".join(f"`{v}`" for v in schema["enum"][:8]) + (
            " ..." if len(schema["enum"]) > 8 else "")
    kind = str(schema.get("type", "object"))
    if kind == "array":
        kind = f"list of {schema.get('items', {}).get('type', 'object')}"
    bounds = []
    if "minimum" in schema and "maximum" in schema:
        bounds.append(f"{schema['minimum']}..{schema['maximum']}")
    if schema.get("maxLength") and schema.get("maxLength") != 5000:
        bounds.append(f"at most {schema['maxLength']} characters")
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def _rows(where: str, params: Iterable[tuple[str, Param]]) -> list[str]:
    rows = []
    for name, spec in params:
        required = "yes" if spec.required else ""
        text = " ".join(spec.description.split())
        rows.append(f"| `{name}` | {where} | {_type(spec)} | {required} | {text} |")
    return rows


def _operation(op: Operation, body_in: str) -> list[str]:
    out = [f"### {op.summary}", "", f"`{op.method} {op.path}` (`{op.operation_id}`)"]
    if op.public:
        out[-1] += ", no credentials"
    out.append("")
    if op.docs:
        out += [" ".join(line.strip() for line in op.docs.splitlines()), ""]
    in_query = op.method in ("GET", "HEAD")
    rows = _rows("path", ((n, op.path_params[n]) for n in op.path_names()
                          if n in op.path_params))
    rows += _rows("query" if in_query else body_in, op.params.items())
    rows += _rows("query", op.query.items())
    rows += _rows("header", op.headers.items())
    if rows:
        out += ["| parameter | in | type | required | description |", "|---|---|---|---|---|",
                *rows, ""]
    if op.body is not None:
        required = op.body.get("required") or []
        shown = ", ".join(f"`{k}`" for k in op.body.get("properties", {})) or "an object"
        media = "form" if (op.body_media_type or "").endswith("urlencoded") else "JSON"
        out += [f"Body ({media}): {shown}" + (f"; required: {', '.join(required)}"
                                               if required else ""), ""]
    if op.limits is not None and op.limits.max_body_bytes is not None:
        out += [f"Limit: a body of at most {op.limits.max_body_bytes} bytes"
                + (f" ({op.limits.source})" if op.limits.source else "") + ".", ""]
    return out


def render(title: str, intro: str, operations: Iterable[Operation], *,
           body_in: str = "body") -> str:
    """The reference page: the operations grouped by tag, in declaration order."""
    groups: dict[str, list[Operation]] = {}
    for op in operations:
        groups.setdefault(op.tags[0] if op.tags else "other", []).append(op)
    out = [f"# {title}", "", intro, "",
           "Written by `fintwin docs` from the operations' declarations "
           "(`simulators/*/api/`); do not edit by hand.", ""]
    for tag, ops in groups.items():
        out += [f"## {tag}", ""]
        for op in ops:
            out += _operation(op, body_in)
    return "\n".join(out).rstrip() + "\n"
