"""What every record type shares: parsing, merging, write plans and rendering.

A write is validated in full first and produces a :class:`WritePlan`; only
then are the SuiteQL mirror (one SQLite transaction) and the store written, so
a refused request leaves nothing half-written.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simulators.engine.store import Record
from simulators.erp import mirror
from simulators.erp.context import Ctx
from simulators.erp.countries import COUNTRIES
from simulators.erp.errors import DupRcrd, InvalidContent, InvalidKeyOrRef, UserError
from simulators.erp.records.fields import (
    ECHOED,
    Field,
    Sublist,
    parse_lines,
    parse_value,
    unknown_property,
)


@dataclass
class WritePlan:
    """Everything one request writes, applied all at once by :meth:`commit`."""

    puts: list[tuple[str, Record]] = field(default_factory=list)
    deletes: list[tuple[str, str]] = field(default_factory=list)

    def put(self, kind: str, rec: Record) -> None:
        self.puts = [(k, r) for k, r in self.puts if not (k == kind and r["id"] == rec["id"])]
        self.puts.append((kind, rec))

    def commit(self, ctx: Ctx) -> None:
        engine = mirror.engine_for(ctx.tenant)
        # The mirror first, in one SQLite transaction: if it raises, it rolls
        # back and the store (which cannot fail) has not been touched.
        with engine.transaction():
            for kind, rec in self.puts:
                mirror.write(engine, kind, rec)
            for kind, obj_id in self.deletes:
                mirror.remove(engine, kind, obj_id)
        for kind, rec in self.puts:
            ctx.store.put(kind, rec)
        for kind, obj_id in self.deletes:
            ctx.store.delete(kind, obj_id)


def ref_id(ref: Any) -> str | None:
    if isinstance(ref, dict) and ref.get("id") is not None:
        return str(ref["id"])
    return None


class RecordType:
    """One REST record type. Subclasses declare fields and the business rules."""

    name = ""  # the REST name, e.g. "customerPayment"
    kind = ""  # the store kind, e.g. "customerpayment"
    id_stream = ""  # id counter shared by kinds with one id space (transactions, items)
    fields: tuple[Field, ...] = ()
    sublists: tuple[Sublist, ...] = ()
    creatable = True
    deletable = True
    # Fields a PATCH may not change once set (e.g. a customer's subsidiary).
    fixed: tuple[str, ...] = ()

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def sublist(self, name: str) -> Sublist | None:
        return next((s for s in self.sublists if s.name == name), None)

    # -- parsing ---------------------------------------------------------------
    def parse(self, body: Any, *, strict: bool) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """Top-level values and sublist lines of a request body."""
        if not isinstance(body, dict):
            raise InvalidContent("The request body must be a JSON object.")
        values: dict[str, Any] = {}
        lines: dict[str, list[Any]] = {}
        for key, value in body.items():
            if key in ECHOED:
                continue
            if key == "externalId":
                if value is None:
                    values[key] = None
                elif (
                    not isinstance(value, str | int)
                    or isinstance(value, bool)
                    or not str(value).strip()
                    or len(str(value)) > 255
                ):
                    raise InvalidContent("Invalid value for externalId.", "externalId")
                else:
                    values[key] = str(value)
                continue
            sub = self.sublist(key)
            if sub is not None:
                lines[key] = parse_lines(sub, value, strict)
                continue
            spec = self.field(key)
            if spec is None:
                if strict:
                    raise unknown_property(key, key)
                continue
            if spec.read_only:
                continue
            values[key] = parse_value(spec, value, key)
        return values, lines

    def merged(
        self,
        old: Record | None,
        values: dict[str, Any],
        lines: dict[str, list[Any]],
        replace: set[str],
    ) -> Record:
        """``old`` with ``values`` set and sublists merged (or replaced, ``?replace=``).

        Without ``replace`` a line carrying ``line`` updates that line and the
        others are added (Oracle, "Updating a Record": sublist lines are merged
        unless the sublist is named in ``replace``).
        """
        rec: Record = copy.deepcopy(old) if old is not None else {}
        for key, value in values.items():
            if value is None:
                rec.pop(key, None)
            else:
                rec[key] = value
        for sub in self.sublists:
            current: list[dict[str, Any]] = list(rec.get(sub.name, {}).get("items", []))
            if sub.name in lines:
                if sub.name in replace or old is None:
                    current = []
                for line in lines[sub.name]:
                    number = line.get("line")
                    target = (
                        next((c for c in current if c.get("line") == number), None)
                        if number is not None
                        else None
                    )
                    if target is not None:
                        self.line_updated(sub.name, target, line)
                        target.update({k: v for k, v in line.items() if k != "line"})
                    else:
                        current.append(dict(line))
            elif sub.name in replace:
                current = []
            for index, line in enumerate(current, start=1):
                line["line"] = index
            if current or sub.name in lines or sub.name in replace:
                rec[sub.name] = {"items": current}
        return rec

    def check_required(self, rec: Record) -> None:
        for spec in self.fields:
            if spec.required and rec.get(spec.name) in (None, ""):
                # NetSuite's wording for a missing mandatory field (unverified).
                raise UserError(f"Please enter value(s) for: {spec.name}", spec.name)
        for sub in self.sublists:
            for index, line in enumerate(rec.get(sub.name, {}).get("items", [])):
                for spec in sub.fields:
                    if spec.required and line.get(spec.name) in (None, ""):
                        raise UserError(
                            f"Please enter value(s) for: {spec.name}",
                            f"{sub.name}.items[{index}].{spec.name}",
                        )

    def resolve_refs(self, ctx: Ctx, rec: Record) -> None:
        """Resolve every reference (``externalId`` ones to ids): a missing record is
        INVALID_KEY_OR_REF on the body, INVALID_CONTENT on a sublist line (Oracle, "Error
        Handling in REST Web Services": its example answers a missing item on an invoice
        line with 400 INVALID_CONTENT and ``"o:errorPath": "item.items[0].item"``)."""
        for spec in self.fields:
            if spec.kind == "ref" and rec.get(spec.name) is not None:
                assert spec.ref is not None
                target = ctx.resolve(spec.ref, rec[spec.name], spec.name, spec.name)
                rec[spec.name] = {"id": target["id"]}
        for sub in self.sublists:
            for index, line in enumerate(rec.get(sub.name, {}).get("items", [])):
                for spec in sub.fields:
                    if spec.kind == "ref" and line.get(spec.name) is not None:
                        assert spec.ref is not None
                        path = f"{sub.name}.items[{index}].{spec.name}"
                        try:
                            target = ctx.resolve(spec.ref, line[spec.name], path, spec.name)
                        except InvalidKeyOrRef:
                            raise invalid_line_value(line[spec.name], spec.name,
                                                     path) from None
                        line[spec.name] = {"id": target["id"]}

    def check_external_id(self, ctx: Ctx, rec: Record) -> None:
        external = rec.get("externalId")
        if external is None:
            return
        other = ctx.by_external_id(self.kind, external)
        if other is not None and other["id"] != rec.get("id"):
            # DUP_RCRD for a second record with one external id (wording unverified).
            raise DupRcrd(
                f"A record with the same external ID already exists: {external}.", "externalId"
            )

    # -- behaviour subclasses override -----------------------------------------
    def line_updated(self, sublist: str, line: dict[str, Any], update: dict[str, Any]) -> None:
        """A PATCH changes ``line`` with ``update``: drop values derived from what changed."""

    def prepare(self, ctx: Ctx, rec: Record, old: Record | None) -> None:
        """Fill defaults and derived fields (after references are resolved)."""

    def plan(self, ctx: Ctx, rec: Record, old: Record | None) -> WritePlan:
        """Check the business rules and return what to write (``rec`` included)."""
        plan = WritePlan()
        plan.put(self.kind, rec)
        return plan

    def plan_delete(self, ctx: Ctx, rec: Record) -> WritePlan:
        plan = WritePlan()
        plan.deletes.append((self.kind, rec["id"]))
        return plan

    def ref_name(self, rec: Record) -> str:
        return str(rec.get("name") or rec["id"])

    # -- operations ------------------------------------------------------------
    def build(
        self,
        ctx: Ctx,
        body: Any,
        old: Record | None,
        *,
        replace: set[str],
        strict: bool,
        external_id: str | None = None,
    ) -> tuple[Record, WritePlan]:
        values, lines = self.parse(body, strict=strict)
        rec = self.merged(old, values, lines, replace)
        if external_id is not None:
            rec["externalId"] = external_id
        if old is None:
            rec["id"] = "pending"
        self.check_required(rec)
        self.resolve_refs(ctx, rec)
        if old is not None:
            for name in self.fixed:
                if old.get(name) is not None and rec.get(name) != old.get(name):
                    raise UserError(f"You cannot change the {name} of this record.", name)
        self.check_external_id(ctx, rec)
        if old is None:
            # Ids are taken only once everything that parses has been checked,
            # so a refused request does not use up an id... but business rules
            # below may still refuse; NetSuite also skips ids, so that is fine.
            rec["id"] = ctx.next_id(self.id_stream or self.kind)
            rec["createdDate"] = ctx.timestamp()
        rec["lastModifiedDate"] = ctx.timestamp()
        self.prepare(ctx, rec, old)
        return rec, self.plan(ctx, rec, old)

    # -- rendering -------------------------------------------------------------
    def render(
        self,
        ctx: Ctx,
        rec: Record,
        *,
        expand: bool,
        fields: set[str] | None = None,
        simple_enum: bool = False,
    ) -> dict[str, Any]:
        """The GET body. ``simple_enum`` (``simpleEnumFormat=true``) renders enum
        values as their bare id instead of ``{id, refName}`` (Oracle, "Format of
        Enumeration Values")."""
        url = ctx.record_url(self.name, rec["id"])
        out: dict[str, Any] = {"links": [{"rel": "self", "href": url}]}
        for key, value in rec.items():
            if key.startswith("_"):
                continue
            if fields is not None and key not in fields and key != "id":
                continue
            sub = self.sublist(key)
            if sub is not None:
                sub_url = f"{url}/{key}"
                if expand:
                    items = [
                        self._render_line(ctx, sub, line, simple_enum) for line in value["items"]
                    ]
                    out[key] = {
                        "links": [{"rel": "self", "href": sub_url}],
                        "items": items,
                        "totalResults": len(items),
                        "count": len(items),
                        "hasMore": False,
                        "offset": 0,
                    }
                else:
                    out[key] = {"links": [{"rel": "self", "href": sub_url}]}
                continue
            spec = self.field(key)
            out[key] = self._render_value(ctx, spec, value, simple_enum)
        return out

    def _render_line(
        self, ctx: Ctx, sub: Sublist, line: dict[str, Any], simple_enum: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"links": []}
        for key, value in line.items():
            out[key] = self._render_value(ctx, sub.field(key), value, simple_enum)
        return out

    def _render_value(
        self, ctx: Ctx, spec: Field | None, value: Any, simple_enum: bool = False
    ) -> Any:
        if spec is None:
            return value
        if spec.kind == "country":
            # Stored as the ISO code; rendered as NetSuite's enum {id, refName}.
            if simple_enum:
                return value
            return {"id": value, "refName": COUNTRIES.get(value, value)}
        if simple_enum and spec.kind != "ref" and isinstance(value, dict) and "refName" in value:
            return value.get("id")  # an enum such as a transaction's status
        if spec.kind == "ref" and isinstance(value, dict) and spec.ref is not None:
            target_type = type_for_kind(spec.ref)
            target = ctx.get(spec.ref, str(value.get("id")))
            out: dict[str, Any] = {
                "links": [
                    {"rel": "self", "href": ctx.record_url(target_type.name, str(value.get("id")))}
                ],
                "id": value.get("id"),
            }
            if target is not None:
                out["refName"] = type_for_kind(spec.ref).ref_name(target)
            return out
        if spec.kind in ("money", "number"):
            # NetSuite writes amounts as JSON numbers; a Decimal is written
            # exactly by the renderer (orjson Fragment), never through float.
            return Decimal(value)
        return value


# The record type that renders each store kind (what a reference's ``links`` and
# ``refName`` come from). Filled by ``records/__init__`` from its list of types (the
# first of a kind wins: items render as the generic item), so this module needs no
# import of the types built on it.
_BY_KIND: dict[str, RecordType] = {}


def register(rtype: RecordType) -> None:
    _BY_KIND.setdefault(rtype.kind, rtype)


def type_for_kind(kind: str) -> RecordType:
    return _BY_KIND[kind]


def invalid_line_value(ref: Any, name: str, path: str) -> InvalidContent:
    """A sublist line's reference to a record that does not exist, in the words of
    Oracle's example ("Error Handling in REST Web Services")."""
    shown = ref.get("id", ref.get("externalId", "")) if isinstance(ref, dict) else ref
    return InvalidContent(
        "Error while accessing a resource. You have entered an Invalid Field Value "
        f"{shown} for the following field: {name}", path)
