"""Record operations (create, read, update, upsert, delete, list), HTTP-agnostic.

Routes, async jobs, the default account setup and the control plane's seed
all go through these, so every write is checked by the same rules.
"""

from __future__ import annotations

from typing import Any

from simulators.engine.store import Record
from simulators.erp.context import Ctx
from simulators.erp.errors import (
    InvalidContent,
    InvalidParameter,
    InvalidRecordType,
    NonexistentId,
    UserError,
)
from simulators.erp.records import RecordType, type_for, type_of_record
from simulators.erp.records.item import ItemType


def record_type(name: str) -> RecordType:
    rtype = type_for(name)
    if rtype is None:
        # NetSuite's code and wording for an unknown record type are unverified.
        raise InvalidRecordType(f"Record type '{name}' does not exist.")
    return rtype


def find(ctx: Ctx, rtype: RecordType, key: str) -> Record:
    """The record ``key`` names: an internal id, or ``eid:<externalId>``."""
    rec: Record | None
    if key.startswith("eid:"):
        rec = ctx.by_external_id(rtype.kind, key[4:])
    else:
        rec = ctx.get(rtype.kind, key) if key.isdigit() else None
    if rec is None or not _is_of(rtype, rec):
        raise NonexistentId()
    return rec


def _is_of(rtype: RecordType, rec: Record) -> bool:
    if isinstance(rtype, ItemType) and rtype.item_type is not None:
        return rec.get("itemType") == rtype.item_type
    return True


def create(
    ctx: Ctx, rtype: RecordType, body: Any, *, strict: bool = True, external_id: str | None = None
) -> Record:
    if not rtype.creatable:
        raise UserError(f"You cannot create a {rtype.name} record.")
    rec, plan = rtype.build(ctx, body, None, replace=set(), strict=strict, external_id=external_id)
    plan.commit(ctx)
    return rec


def update(
    ctx: Ctx, rtype: RecordType, old: Record, body: Any, *, replace: set[str], strict: bool = True
) -> Record:
    for name in replace:
        if rtype.sublist(name) is None:
            raise InvalidParameter(
                f"Invalid sublist name in the replace parameter: {name}.", "replace"
            )
    rec, plan = rtype.build(ctx, body, old, replace=replace, strict=strict)
    plan.commit(ctx)
    return rec


def upsert(
    ctx: Ctx,
    rtype: RecordType,
    external_id: str,
    body: Any,
    *,
    replace: set[str],
    strict: bool = True,
) -> tuple[Record, bool]:
    """``PUT .../{type}/eid:{externalId}``: update the record with that external id,
    or create it. Returns the record and whether it was created."""
    if isinstance(body, dict) and body.get("externalId") not in (None, external_id):
        raise InvalidContent(
            "The externalId in the body does not match the one in the URL.", "externalId"
        )
    old = ctx.by_external_id(rtype.kind, external_id)
    if old is not None and _is_of(rtype, old):
        return update(ctx, rtype, old, body, replace=replace, strict=strict), False
    return create(ctx, rtype, body, strict=strict, external_id=external_id), True


def delete(ctx: Ctx, rtype: RecordType, rec: Record) -> None:
    if not rtype.deletable:
        raise UserError(f"You cannot delete a {rtype.name} record.")
    rtype.plan_delete(ctx, rec).commit(ctx)


def render(
    ctx: Ctx,
    kind: str,
    rec: Record,
    *,
    expand: bool = False,
    fields: set[str] | None = None,
    simple_enum: bool = False,
) -> dict[str, Any]:
    return type_of_record(kind, rec).render(
        ctx, rec, expand=expand, fields=fields, simple_enum=simple_enum
    )


def listing(ctx: Ctx, rtype: RecordType) -> list[Record]:
    """Records of a type in internal-id order (NetSuite lists by internal id)."""
    recs = [r for r in ctx.store.all(rtype.kind) if _is_of(rtype, r)]
    recs.sort(key=lambda r: int(r["id"]))
    return recs
