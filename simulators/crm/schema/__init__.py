"""The org schema of the Salesforce-shaped CRM fake: objects, fields, relationships.

- ``fields``: fields and objects as the describe call reports them, and the
  constructors the tables are written with;
- ``standard``: the standard objects, as tables of fields (declarative data);
- ``org``: an org's schema, the standard objects plus custom fields.
"""

from __future__ import annotations

from simulators.crm.schema.fields import (
    DEFAULT_CURRENCIES,
    ID_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    ChildRelationship,
    FieldDef,
    FieldType,
    ObjectDef,
    UnknownFieldError,
    UnknownObjectError,
)
from simulators.crm.schema.org import OrgSchema
from simulators.crm.schema.standard import (
    BILLING_STATUSES,
    CONTRACT_STATUSES,
    OPPORTUNITY_STAGES,
    ORDER_STATUSES,
    QUOTE_STATUSES,
    STANDARD_OBJECTS,
)

__all__ = ["BILLING_STATUSES", "CONTRACT_STATUSES", "DEFAULT_CURRENCIES", "ID_TYPES",
           "NUMBER_TYPES", "OPPORTUNITY_STAGES", "ORDER_STATUSES", "QUOTE_STATUSES",
           "STANDARD_OBJECTS", "TEXT_TYPES", "ChildRelationship", "FieldDef", "FieldType",
           "ObjectDef", "OrgSchema", "UnknownFieldError", "UnknownObjectError"]
