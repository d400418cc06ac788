"""An org's schema: the standard objects, the custom fields every fintwin org carries,
and those declared since ("sObject Describe", "Describe Global" in the REST API
Developer Guide)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from simulators.crm.schema.fields import (
    DEFAULT_CURRENCIES,
    NUMBER_TYPES,
    TEXT_TYPES,
    ChildRelationship,
    FieldDef,
    FieldType,
    ObjectDef,
    UnknownObjectError,
    _label,
)
from simulators.crm.schema.standard import BILLING_STATUSES, STANDARD_OBJECTS

# Custom field types allowed as External ID (Salesforce Help, "Custom Field Attributes":
# Text, Number, Email and Auto Number fields can be External IDs).
_EXTERNAL_ID_TYPES = frozenset({FieldType.STRING, FieldType.INT, FieldType.DOUBLE, FieldType.EMAIL})

# Custom field API names: start with a letter, letters/digits/single underscores, end with
# "__c" (Salesforce Help, "Custom Field Attributes" — Field Name rules).
_CUSTOM_FIELD_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)__c$")


def _custom(
    name: str,
    type_: FieldType,
    *,
    length: int = 0,
    external_id: bool = False,
    unique: bool = False,
    picklist_values: Iterable[str] = (),
    required: bool = False,
    label: str | None = None,
) -> FieldDef:
    if not _CUSTOM_FIELD_NAME.match(name):
        raise ValueError(f"invalid custom field API name {name!r}: must look like Name__c")
    if external_id and type_ not in _EXTERNAL_ID_TYPES:
        raise ValueError(f"a {type_.value} field cannot be an External ID")
    values = tuple(picklist_values)
    if type_ is FieldType.PICKLIST and not values:
        raise ValueError("a picklist needs values")
    if type_ in TEXT_TYPES and not length:
        length = 255
    precision, scale = (18, 2) if type_ in NUMBER_TYPES else (0, 0)
    return FieldDef(
        name,
        type_,
        label or _label(name),
        length=length,
        precision=precision,
        scale=scale,
        nillable=not required,
        required=required,
        external_id=external_id,
        unique=unique,
        custom=True,
        picklist_values=values,
    )


class OrgSchema:
    """The schema of one org: the standard objects plus the org's custom fields.

    Every org starts with the fields fintwin's integration layer writes back (External
    IDs and billing/ERP ids) and with multi-currency enabled (`CurrencyIsoCode`).
    """

    #: Objects that carry External_Id__c in every fintwin org.
    EXTERNAL_ID_OBJECTS = ("Account", "Product2", "Opportunity", "Contract")

    def __init__(self, currencies: Iterable[str] = DEFAULT_CURRENCIES) -> None:
        self.currencies: tuple[str, ...] = tuple(currencies)
        self._objects: dict[str, ObjectDef] = {o.name.lower(): o for o in STANDARD_OBJECTS}
        self._add_multicurrency()
        for name in self.EXTERNAL_ID_OBJECTS:
            self.add_custom_field(
                name, "External_Id__c", FieldType.STRING, length=255, external_id=True, unique=True
            )
        s = FieldType.STRING
        self.add_custom_field("Account", "Billing_Customer_Id__c", s, length=255)
        self.add_custom_field("Account", "ERP_Customer_Id__c", s, length=255)
        self.add_custom_field(
            "Account", "Billing_Status__c", FieldType.PICKLIST, picklist_values=BILLING_STATUSES
        )
        # The legal entity, i.e. the ERP subsidiary the customer is invoiced from.
        self.add_custom_field("Account", "Legal_Entity__c", s, length=80)
        self.add_custom_field("Opportunity", "Billing_Subscription_Id__c", s, length=255)
        self.add_custom_field("Contract", "Billing_Subscription_Id__c", s, length=255)
        # Set by a user to end the contract's subscription at the end of its period.
        self.add_custom_field("Contract", "Cancel_At_Period_End__c", FieldType.BOOLEAN)

    def _add_multicurrency(self) -> None:
        # With multi-currency enabled every object with amounts gets a standard
        # CurrencyIsoCode picklist (Salesforce Help, "Considerations for Enabling Multiple
        # Currencies"); line items inherit the parent's currency and cannot set it.
        writable = (
            "Account",
            "Opportunity",
            "Contract",
            "Order",
            "Quote",
            "PricebookEntry",
            "Product2",
            "Contact",
        )
        inherited = ("OpportunityLineItem", "QuoteLineItem", "OrderItem")
        for name in (*writable, *inherited):
            currency = FieldDef(
                "CurrencyIsoCode",
                FieldType.PICKLIST,
                "Currency ISO Code",
                length=3,
                createable=name in writable,
                updateable=name in writable and name != "PricebookEntry",
                picklist_values=self.currencies,
            )
            self._put(self.object(name).with_field(currency))

    def _put(self, obj: ObjectDef) -> None:
        self._objects[obj.name.lower()] = obj

    # --- lookup -------------------------------------------------------------------------

    def objects(self) -> Iterator[ObjectDef]:
        return iter(self._objects.values())

    def find_object(self, name: str) -> ObjectDef | None:
        """The object called `name`, case-insensitively; None if the org has none."""
        return self._objects.get(name.lower())

    def object(self, name: str) -> ObjectDef:
        found = self.find_object(name)
        if found is None:
            raise UnknownObjectError(name)
        return found

    def field(self, sobject: str, name: str) -> FieldDef:
        return self.object(sobject).field(name)

    def resolve(self, path: str) -> str:
        """The canonical spelling of "Object" or "Object.Field" (case-insensitive input):
        `resolve("account.name") == "Account.Name"`. Raises UnknownObjectError or
        UnknownFieldError."""
        sobject, _, field_name = path.partition(".")
        obj = self.object(sobject)
        if not field_name:
            return obj.name
        return f"{obj.name}.{obj.field(field_name).name}"

    def child_relationships(self, sobject: str) -> list[ChildRelationship]:
        """Relationships from other objects' lookups onto `sobject` (Account.Opportunities)."""
        parent = self.object(sobject).name
        return [
            ChildRelationship(obj.name, f.name, f.child_relationship_name)
            for obj in self._objects.values()
            for f in obj.fields
            if f.child_relationship_name and parent in f.reference_to
        ]

    def find_child_relationship(self, sobject: str, name: str) -> ChildRelationship | None:
        lowered = name.lower()
        for rel in self.child_relationships(sobject):
            if rel.relationship_name.lower() == lowered:
                return rel
        return None

    def object_for_id(self, record_id: str) -> ObjectDef | None:
        """The object whose key prefix starts `record_id` (the first three characters)."""
        prefix = record_id[:3]
        return next((o for o in self._objects.values() if o.key_prefix == prefix), None)

    # --- custom fields ------------------------------------------------------------------

    def add_custom_field(
        self,
        sobject: str,
        name: str,
        type_: FieldType,
        *,
        length: int = 0,
        external_id: bool = False,
        unique: bool = False,
        picklist_values: Iterable[str] = (),
        required: bool = False,
        label: str | None = None,
    ) -> FieldDef:
        """Declare a custom field `Name__c` on `sobject` and return it."""
        obj = self.object(sobject)
        if obj.find_field(name) is not None:
            raise ValueError(f"{obj.name}.{name} already exists")
        new = _custom(
            name,
            type_,
            length=length,
            external_id=external_id,
            unique=unique,
            picklist_values=picklist_values,
            required=required,
            label=label,
        )
        self._put(obj.with_field(new))
        return new

    # --- describe -----------------------------------------------------------------------

    def describe(self, sobject: str, api_version: str = "59.0") -> dict[str, Any]:
        """`GET /services/data/vXX.X/sobjects/{sobject}/describe` (REST API Developer Guide,
        "sObject Describe")."""
        obj = self.object(sobject)
        return {
            **self._summary(obj, api_version),
            "fields": [f.describe() for f in obj.fields],
            "childRelationships": [r.describe() for r in self.child_relationships(obj.name)],
        }

    def describe_global(self, api_version: str = "59.0") -> dict[str, Any]:
        """`GET /services/data/vXX.X/sobjects/` (REST API Developer Guide, "Describe
        Global"): encoding, maxBatchSize (200, the SOAP/REST batch limit) and sobjects."""
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [self._summary(o, api_version) for o in self._objects.values()],
        }

    @staticmethod
    def _summary(obj: ObjectDef, api_version: str) -> dict[str, Any]:
        base = f"/services/data/v{api_version.removeprefix('v')}/sobjects/{obj.name}"
        return {
            "name": obj.name,
            "label": obj.label,
            "labelPlural": obj.label_plural,
            "keyPrefix": obj.key_prefix,
            "custom": obj.custom,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "retrieveable": True,
            "searchable": True,
            "urls": {
                "sobject": base,
                "describe": f"{base}/describe",
                "rowTemplate": f"{base}/{{ID}}",
            },
        }
