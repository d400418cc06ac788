"""Fields and objects as the describe call reports them, and the constructors the
standard objects' tables are written with (one row each)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    """The `type` of a field as the describe call spells it (REST API Developer Guide,
    "Field" in the describe result / SOAP API "Field Types")."""

    ID = "id"
    STRING = "string"
    TEXTAREA = "textarea"
    PICKLIST = "picklist"
    BOOLEAN = "boolean"
    INT = "int"
    DOUBLE = "double"
    CURRENCY = "currency"
    PERCENT = "percent"
    DATE = "date"
    DATETIME = "datetime"
    REFERENCE = "reference"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"


#: Types whose values are text: compared case-insensitively and matched by LIKE.
TEXT_TYPES = frozenset(
    {
        FieldType.STRING,
        FieldType.TEXTAREA,
        FieldType.PICKLIST,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
    }
)
#: Types holding Salesforce ids (15/18 characters, case-sensitive).
ID_TYPES = frozenset({FieldType.ID, FieldType.REFERENCE})
#: Numeric types; values are `Decimal` (or `int`) in the store, never float.
NUMBER_TYPES = frozenset({FieldType.INT, FieldType.DOUBLE, FieldType.CURRENCY, FieldType.PERCENT})

#: ISO currency codes of a fintwin multi-currency org unless the org says otherwise.
DEFAULT_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF")


@dataclass(frozen=True)
class FieldDef:
    """One field of an sObject, with the properties the describe call reports."""

    name: str
    type: FieldType
    label: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    nillable: bool = True
    #: Required on create (describe: createable and not nillable and not defaultedOnCreate).
    required: bool = False
    createable: bool = True
    updateable: bool = True
    #: Computed by the platform (formula, roll-up summary, system-maintained).
    calculated: bool = False
    external_id: bool = False
    unique: bool = False
    custom: bool = False
    picklist_values: tuple[str, ...] = ()
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    #: Name of the child relationship this lookup creates on the parent (e.g. AccountId on
    #: Opportunity creates Account.Opportunities). None: not exposed for subqueries.
    child_relationship_name: str | None = None

    @property
    def is_reference(self) -> bool:
        return self.type is FieldType.REFERENCE

    @property
    def is_unique_key(self) -> bool:
        """An Id, External ID or unique field: an equality filter finds at most a few rows."""
        return self.type is FieldType.ID or self.external_id or self.unique

    def describe(self) -> dict[str, Any]:
        """This field in the describe result shape (REST API Developer Guide, sObject
        Describe; Field properties of the SOAP API DescribeSObjectResult)."""
        return {
            "name": self.name,
            "type": self.type.value,
            "label": self.label,
            "length": self.length,
            "precision": self.precision,
            "scale": self.scale,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "calculated": self.calculated,
            "defaultedOnCreate": not self.createable and not self.nillable,
            "externalId": self.external_id,
            "unique": self.unique,
            "custom": self.custom,
            "idLookup": self.type is FieldType.ID or self.external_id,
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": False,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for value in self.picklist_values
            ],
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
        }


@dataclass(frozen=True)
class ChildRelationship:
    """A child relationship of a parent object, as used in a SOQL subquery."""

    child_sobject: str
    field: str
    relationship_name: str

    def describe(self) -> dict[str, Any]:
        return {
            "childSObject": self.child_sobject,
            "field": self.field,
            "relationshipName": self.relationship_name,
            "cascadeDelete": False,
            "restrictedDelete": False,
            "deprecatedAndHidden": False,
        }


@dataclass(frozen=True)
class ObjectDef:
    """One sObject type: its name, key prefix and fields (in declaration order)."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: tuple[FieldDef, ...]
    custom: bool = False
    _by_lower: Mapping[str, FieldDef] = dc_field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _by_relationship: Mapping[str, FieldDef] = dc_field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        # Frozen, so the lookup tables are set through object.__setattr__ once.
        object.__setattr__(self, "_by_lower", {f.name.lower(): f for f in self.fields})
        object.__setattr__(
            self,
            "_by_relationship",
            {f.relationship_name.lower(): f for f in self.fields if f.relationship_name},
        )

    def find_field(self, name: str) -> FieldDef | None:
        """The field called `name`, case-insensitively (Salesforce API names are)."""
        return self._by_lower.get(name.lower())

    def field(self, name: str) -> FieldDef:
        found = self.find_field(name)
        if found is None:
            raise UnknownFieldError(self.name, name)
        return found

    def find_parent_relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationshipName is `name` (e.g. "account")."""
        return self._by_relationship.get(name.lower())

    def with_field(self, new: FieldDef) -> ObjectDef:
        return replace(self, fields=(*self.fields, new))


class UnknownObjectError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"sObject type '{name}' is not supported.")
        self.name = name


class UnknownFieldError(LookupError):
    def __init__(self, sobject: str, name: str) -> None:
        super().__init__(f"No such column '{name}' on entity '{sobject}'.")
        self.sobject = sobject
        self.name = name



# --- The declarative tables ---------------------------------------------------------------
# Helpers that build one row each, so the tables below read like the Object Reference.


def _label(name: str) -> str:
    if name == "Id":
        return "Record ID"
    base = name.removesuffix("__c").replace("_", " ")
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", base).strip()
    return re.sub(r" Id$", " ID", spaced) or name


def _field(name: str, kind: FieldType, *, required: bool = False, writable: bool = True,
           updateable: bool | None = None, nillable: bool | None = None,
           **more: Any) -> FieldDef:
    """One row with the rules every kind of field shares: a required field is not
    nillable; a field the API cannot write is calculated (maintained by the platform)."""
    return FieldDef(
        name,
        kind,
        _label(name),
        nillable=not required if nillable is None else nillable,
        required=required,
        createable=writable,
        updateable=writable if updateable is None else updateable,
        calculated=not writable,
        **more,
    )


def text(
    name: str,
    length: int = 255,
    *,
    required: bool = False,
    kind: FieldType = FieldType.STRING,
    writable: bool = True,
    updateable: bool | None = None,
) -> FieldDef:
    return _field(name, kind, required=required, writable=writable, updateable=updateable,
                  length=length)


def picklist(
    name: str, values: Iterable[str], *, required: bool = False, writable: bool = True
) -> FieldDef:
    return _field(name, FieldType.PICKLIST, required=required, writable=writable, length=255,
                  picklist_values=tuple(values))


def number(
    name: str,
    kind: FieldType = FieldType.DOUBLE,
    *,
    required: bool = False,
    writable: bool = True,
    precision: int = 18,
    scale: int = 2,
) -> FieldDef:
    if kind is FieldType.INT:
        precision, scale = 9, 0
    return _field(name, kind, required=required, writable=writable, precision=precision,
                  scale=scale)


def flag(name: str, *, writable: bool = True) -> FieldDef:
    # Checkboxes are never nillable: they default to false (Object Reference, "Defaulted
    # on create" on every boolean field).
    return _field(name, FieldType.BOOLEAN, writable=writable, nillable=False)


def day(name: str, *, required: bool = False, writable: bool = True) -> FieldDef:
    return _field(name, FieldType.DATE, required=required, writable=writable)


def stamp(name: str, *, writable: bool = False) -> FieldDef:
    return _field(name, FieldType.DATETIME, writable=writable, nillable=writable)


def lookup(
    name: str,
    to: str,
    *,
    relationship: str | None = None,
    children: str | None = None,
    required: bool = False,
    createable: bool = True,
    updateable: bool = True,
) -> FieldDef:
    """A reference field `XxxId` with relationshipName `Xxx` (unless given)."""
    return _field(name, FieldType.REFERENCE, required=required, writable=createable,
                  updateable=updateable, length=18, reference_to=(to,),
                  relationship_name=relationship or name.removesuffix("Id"),
                  child_relationship_name=children)
