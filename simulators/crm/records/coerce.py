"""An input value as the store keeps it, by field type, or the error Salesforce answers
(JSON_PARSER_ERROR, STRING_TOO_LONG, restricted picklists, references that must exist)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from simulators.crm import errors as E
from simulators.crm.ids import normalise
from simulators.crm.org import Org
from simulators.crm.records.lookups import Record, live
from simulators.crm.schema import (
    ID_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    FieldDef,
    FieldType,
    ObjectDef,
)
from simulators.crm.wire import parse_datetime, sf_datetime


def _deserialize_error(f: FieldDef, value: Any) -> E.SfError:
    token = (
        "VALUE_STRING"
        if isinstance(value, str)
        else (
            "VALUE_TRUE"
            if value is True
            else "VALUE_FALSE"
            if value is False
            else "START_OBJECT"
            if isinstance(value, dict)
            else "START_ARRAY"
            if isinstance(value, list)
            else "VALUE_NUMBER"
        )
    )
    soap = {
        FieldType.DATE: "date",
        FieldType.DATETIME: "datetime",
        FieldType.BOOLEAN: "boolean",
        FieldType.INT: "int",
    }.get(f.type, "double" if f.type in NUMBER_TYPES else "string")
    return E.bad_request(
        E.JSON_PARSER_ERROR,
        f"Cannot deserialize instance of {soap} from {token} value {value} or "
        f"request may be missing a required field",
        [f.name],
    )


def coerce(org: Org, obj: ObjectDef, f: FieldDef, value: Any) -> Any:
    """An input value as the store keeps it, or the error Salesforce answers."""
    if value is None:
        if f.type is FieldType.BOOLEAN:
            return False
        if f.required:
            raise E.required_missing([f.name])
        return None
    kind = f.type
    if isinstance(value, dict | list):
        raise _deserialize_error(f, value)
    if kind in TEXT_TYPES:
        if isinstance(value, bool):
            raise _deserialize_error(f, value)
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        if text == "":
            # Salesforce stores an empty text value as null: a required field given ""
            # is missing (REQUIRED_FIELD_MISSING), an optional one is cleared.
            return coerce(org, obj, f, None)
        if kind is FieldType.PICKLIST:
            if f.picklist_values and text not in f.picklist_values:
                # Restricted picklists refuse unknown values (Salesforce Help, "Restricted
                # Picklists"); fintwin treats every picklist as restricted.
                raise E.bad_request(
                    E.INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
                    f"{f.label}: bad value for restricted picklist field: {text}",
                    [f.name],
                )
            return text
        if f.length and len(text) > f.length:
            raise E.bad_request(
                E.STRING_TOO_LONG,
                f"{f.label}: data value too large: {text[:80]} (max length={f.length})",
                [f.name],
            )
        return text
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise _deserialize_error(f, value)
        return value
    if kind in NUMBER_TYPES:
        if isinstance(value, bool):
            raise _deserialize_error(f, value)
        try:
            number = Decimal(value) if isinstance(value, int | str) else value
            if not isinstance(number, Decimal) or not number.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            raise _deserialize_error(f, value) from None
        if kind is FieldType.INT:
            if number != number.to_integral_value():
                raise _deserialize_error(f, value)
            if abs(number) >= 2**31:
                # int fields are 32-bit (SOAP API Developer Guide, "Primitive Data Types").
                raise E.bad_request(
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    f"{f.label}: value outside of valid range on numeric field: {value}",
                    [f.name],
                )
            return int(number)
        quantum = Decimal(1).scaleb(-f.scale) if f.scale else Decimal(1)
        digits = f.precision or 18
        if number.adjusted() >= digits - f.scale:
            raise E.bad_request(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{f.label}: value outside of valid range on numeric field: {value}",
                [f.name],
            )
        rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
        return rounded
    if kind is FieldType.DATE:
        if not isinstance(value, str):
            raise _deserialize_error(f, value)
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise _deserialize_error(f, value) from None
    if kind is FieldType.DATETIME:
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            raise _deserialize_error(f, value)
        return sf_datetime(moment.timestamp())
    if kind in ID_TYPES:
        return _reference(org, f, value)
    raise _deserialize_error(f, value)  # pragma: no cover - every type handled above


def _reference(org: Org, f: FieldDef, value: Any) -> str:
    if not isinstance(value, str):
        raise _deserialize_error(f, value)
    canonical = normalise(value)
    if canonical is None:
        raise E.bad_request(
            E.MALFORMED_ID, f"{f.label}: id value of incorrect type: {value}", [f.name]
        )
    targets = [org.schema.find_object(t) for t in f.reference_to]
    target = next((t for t in targets if t is not None and t.key_prefix == canonical[:3]), None)
    if target is None:
        raise E.bad_request(
            E.FIELD_INTEGRITY_EXCEPTION, f"{f.label}: id value of incorrect type: {value}", [f.name]
        )
    if live(org, target.name, canonical) is None:
        raise E.bad_request(
            E.INVALID_CROSS_REFERENCE_KEY, f"invalid cross reference id: {value}", [f.name]
        )
    return canonical


def parse_fields(
    org: Org, obj: ObjectDef, body: Any, *, creating: bool, allow: tuple[str, ...] = ()
) -> Record:
    """The body of a create/update as canonical field names and stored values."""
    if not isinstance(body, dict):
        raise E.bad_request(
            E.JSON_PARSER_ERROR,
            "Cannot deserialize instance of "
            f"{obj.name} from {type(body).__name__} value or request may be "
            "missing a required field",
        )
    out: Record = {}
    for name, value in body.items():
        if name == "attributes":
            continue
        f = obj.find_field(name)
        if f is None:
            raise E.bad_request(
                E.INVALID_FIELD, f"No such column '{name}' on sobject of type {obj.name}"
            )
        if f.name in allow:
            continue
        writable = f.createable if creating else f.updateable
        if not writable:
            raise E.bad_request(
                E.INVALID_FIELD_FOR_INSERT_UPDATE,
                (
                    f"Unable to create/update fields: {f.name}. Please check the security settings "
                    "of this field and verify that it is read/write for your profile or "
                    "permission set."
                ),
                [f.name],
            )
        out[f.name] = coerce(org, obj, f, value)
    return out

