"""Drift of the CRM fake's describe against Salesforce's fields of the standard objects it
implements, as far as a machine-readable source is at hand.

The source: jsforce (the most used JavaScript client) ships TypeScript types of every
standard object, generated from a real org's describe (``src/types/standard-schema.ts``:
``type Fields$Account = { Name: string; Phone: string | null; ... }``). They give each
field's name, its value kind (string, number, boolean, date string, address, location)
and whether it may be null. They do not give lengths, picklist values or createable and
updateable flags, so the report cannot check those.

``python -m harness.crm_drift --schema PATH`` (PATH: that file, e.g. from ``npm pack
jsforce``) prints, per object of the fake: Salesforce fields the fake lacks, fields the
fake has that Salesforce does not (custom ``__c`` fields left out), kind and nullability
differences. ``--strict`` exits 1 when a field is invented or a kind differs.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simulators.crm.schema import FieldType, OrgSchema

_BLOCK = re.compile(r"^type Fields\$(\w+) = \{\n(.*?)^\};", re.M | re.S)
_FIELD = re.compile(r"^\s+(\w+): ([^;]+);", re.M)

#: The fake's describe type -> the value kind jsforce's types use.
KINDS = {
    FieldType.ID: "string", FieldType.STRING: "string", FieldType.TEXTAREA: "string",
    FieldType.PICKLIST: "string", FieldType.EMAIL: "string", FieldType.PHONE: "string",
    FieldType.URL: "string", FieldType.REFERENCE: "string", FieldType.BOOLEAN: "boolean",
    FieldType.INT: "number", FieldType.DOUBLE: "number", FieldType.CURRENCY: "number",
    FieldType.PERCENT: "number", FieldType.DATE: "DateString",
    FieldType.DATETIME: "DateString",
}


@dataclass(frozen=True)
class Documented:
    kind: str
    nullable: bool


@dataclass
class ObjectDrift:
    name: str
    documented: int
    served: int
    missing: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    nullability: list[str] = field(default_factory=list)


def parse_schema(text: str) -> dict[str, dict[str, Documented]]:
    """Each ``Fields$Object`` block of jsforce's standard-schema.ts: field -> kind."""
    out: dict[str, dict[str, Documented]] = {}
    for match in _BLOCK.finditer(text):
        fields: dict[str, Documented] = {}
        for name, typed in _FIELD.findall(match.group(2)):
            parts = [p.strip() for p in typed.split("|")]
            kinds = [p for p in parts if p != "null"]
            fields[name] = Documented(kinds[0] if kinds else "null", "null" in parts)
        out[match.group(1)] = fields
    return out


def compare(documented: dict[str, dict[str, Documented]],
            schema: OrgSchema | None = None) -> list[ObjectDrift]:
    schema = schema or OrgSchema()
    report = []
    for obj in schema.objects():
        theirs = documented.get(obj.name)
        if theirs is None:
            continue
        ours = {f.name: f for f in obj.fields if not f.custom and not f.name.endswith("__c")}
        drift = ObjectDrift(obj.name, len(theirs), len(ours))
        drift.missing = sorted(set(theirs) - set(ours))
        drift.invented = sorted(set(ours) - set(theirs))
        for name in sorted(set(ours) & set(theirs)):
            mine, doc = ours[name], theirs[name]
            kind = KINDS.get(mine.type, mine.type.value)
            if kind != doc.kind:
                drift.kind.append(f"{name}: {kind} (Salesforce {doc.kind})")
            if mine.nillable != doc.nullable:
                drift.nullability.append(
                    f"{name}: {'nillable' if mine.nillable else 'not nillable'} "
                    f"(Salesforce {'nullable' if doc.nullable else 'never null'})")
        report.append(drift)
    return report


def render(report: Iterable[ObjectDrift], *, details: bool = True) -> str:
    rows = list(report)
    lines = ["| object | Salesforce fields | fake fields | missing | invented | kind | "
             "nullability |", "|---|---|---|---|---|---|---|"]
    for d in rows:
        lines.append(f"| {d.name} | {d.documented} | {d.served} | {len(d.missing)} | "
                     f"{len(d.invented)} | {len(d.kind)} | {len(d.nullability)} |")
    if details:
        for d in rows:
            for label, items in (("invented", d.invented), ("kind", d.kind),
                                 ("nullability", d.nullability)):
                if items:
                    lines.append(f"\n{d.name} {label}: " + "; ".join(items))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.crm_drift",
                                     description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--schema", type=Path, required=True,
                        help="jsforce's src/types/standard-schema.ts")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a field is invented or its kind differs")
    args = parser.parse_args(argv)
    report = compare(parse_schema(args.schema.read_text("utf-8")))
    print(render(report))
    bad = any(d.invented or d.kind for d in report)
    return 1 if args.strict and bad else 0


if __name__ == "__main__":
    sys.exit(main())
