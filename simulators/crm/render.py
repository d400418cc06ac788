"""Records as the REST API renders them: ``attributes`` first, then every field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.crm import errors as E
from simulators.crm.context import Ctx
from simulators.crm.schema import ObjectDef


def attributes(ctx: Ctx, obj: ObjectDef, record_id: str) -> dict[str, str]:
    return {"type": obj.name, "url": f"{ctx.prefix}/sobjects/{obj.name}/{record_id}"}


def render(
    ctx: Ctx, obj: ObjectDef, record: Mapping[str, Any], fields: list[str] | None = None
) -> dict[str, Any]:
    """A record as GET returns it: attributes, then every field (null when unset)."""
    out: dict[str, Any] = {"attributes": attributes(ctx, obj, record["Id"])}
    names = fields if fields is not None else [f.name for f in obj.fields]
    for name in names:
        out[name] = record.get(name)
    return out


def field_list(obj: ObjectDef, raw: str | None) -> list[str] | None:
    """The canonical names of a ``fields=a,b`` list; INVALID_FIELD for one the object lacks."""
    if raw is None:
        return None
    names: list[str] = []
    for name in (n.strip() for n in raw.split(",")):
        if not name:
            continue
        f = obj.find_field(name)
        if f is None:
            raise E.bad_request(
                E.INVALID_FIELD,
                f"No such column '{name}' on entity "
                f"'{obj.name}'. If you are attempting to use a custom field, "
                "be sure to append the '__c' after the custom field name. "
                "Please reference your WSDL or the describe call for the "
                "appropriate names.",
            )
        names.append(f.name)
    return names


def saved(record: Mapping[str, Any], *, created: bool | None = None) -> dict[str, Any]:
    """A save result: ``{id, success, errors}`` (and ``created`` for an upsert)."""
    out: dict[str, Any] = {"id": record["Id"], "success": True, "errors": []}
    if created is not None:
        out["created"] = created
    return out
