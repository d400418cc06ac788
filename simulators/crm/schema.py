"""The org schema of the Salesforce-shaped CRM fake: objects, fields, relationships.

The standard objects are declared as tables of fields below; an `OrgSchema` copies them
and adds the custom fields every fintwin org carries, and can declare more.

Vendor facts come from the Salesforce *Object Reference* (one page per object, e.g.
"Opportunity | Object Reference for the Salesforce Platform", field properties
Create/Update/Nillable/Filter/Group/Sort) and from the *REST API Developer Guide*
("sObject Describe", "Describe Global"). Only the fields an integration layer for
quote-to-cash is likely to touch are declared; the real objects have more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
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

# Custom field types allowed as External ID (Salesforce Help, "Custom Field Attributes":
# Text, Number, Email and Auto Number fields can be External IDs).
_EXTERNAL_ID_TYPES = frozenset({FieldType.STRING, FieldType.INT, FieldType.DOUBLE, FieldType.EMAIL})

# Custom field API names: start with a letter, letters/digits/single underscores, end with
# "__c" (Salesforce Help, "Custom Field Attributes" — Field Name rules).
_CUSTOM_FIELD_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)__c$")

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


def _system_fields(*, owner: bool = True) -> tuple[FieldDef, ...]:
    # Present on every object; none of them is writable through the API (Object Reference,
    # "System Fields").
    fields = [
        FieldDef(
            "Id",
            FieldType.ID,
            "Record ID",
            length=18,
            nillable=False,
            createable=False,
            updateable=False,
        ),
        flag("IsDeleted", writable=False),
        stamp("CreatedDate"),
        lookup("CreatedById", "User", createable=False, updateable=False),
        stamp("LastModifiedDate"),
        lookup("LastModifiedById", "User", createable=False, updateable=False),
        stamp("SystemModstamp"),
    ]
    if owner:
        fields.append(lookup("OwnerId", "User", relationship="Owner"))
    return tuple(fields)


def _address(prefix: str) -> tuple[FieldDef, ...]:
    return (
        text(f"{prefix}Street", 255, kind=FieldType.TEXTAREA),
        text(f"{prefix}City", 40),
        text(f"{prefix}State", 80),
        text(f"{prefix}PostalCode", 20),
        text(f"{prefix}Country", 80),
    )


def _obj(name: str, prefix: str, plural: str, *fields: FieldDef, owner: bool = True) -> ObjectDef:
    return ObjectDef(
        name=name,
        label=_label(name).replace("2", ""),
        label_plural=plural,
        key_prefix=prefix,
        fields=(*_system_fields(owner=owner), *fields),
    )


#: Opportunity.StageName values of a default org (Object Reference, Opportunity; Setup,
#: "Opportunity Stages"). "Closed Won"/"Closed Lost" are the closed stages.
OPPORTUNITY_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
CONTRACT_STATUSES = ("Draft", "In Approval Process", "Activated")
ORDER_STATUSES = ("Draft", "Activated")
QUOTE_STATUSES = (
    "Draft",
    "Needs Review",
    "In Review",
    "Approved",
    "Rejected",
    "Presented",
    "Accepted",
    "Denied",
)
BILLING_STATUSES = ("Active", "Delinquent", "Churned")

_INDUSTRIES = ("Technology", "Finance", "Manufacturing", "Retail", "Healthcare", "Other")
_ACCOUNT_TYPES = ("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other")
_OPPORTUNITY_TYPES = ("New Business", "Existing Customer - Upgrade", "Existing Customer - Renewal")
_FORECAST_CATEGORIES = ("Omitted", "Pipeline", "BestCase", "Forecast", "Closed")
_PRODUCT_FAMILIES = ("Software", "Services", "Hardware")

# Key prefixes: REST API Developer Guide / Object Reference, "Standard Object Key Prefixes"
# (001 Account, 003 Contact, 006 Opportunity, 01t Product2, 01s Pricebook2,
# 01u PricebookEntry, 00k OpportunityLineItem, 0Q0 Quote, 0QL QuoteLineItem, 800 Contract,
# 801 Order, 802 OrderItem, 005 User).
STANDARD_OBJECTS: tuple[ObjectDef, ...] = (
    _obj(
        "Account",
        "001",
        "Accounts",
        text("Name", 255, required=True),
        picklist("Type", _ACCOUNT_TYPES),
        lookup("ParentId", "Account", relationship="Parent", children="ChildAccounts"),
        text("AccountNumber", 40),
        *_address("Billing"),
        *_address("Shipping"),
        text("Phone", 40, kind=FieldType.PHONE),
        text("Website", 255, kind=FieldType.URL),
        picklist("Industry", _INDUSTRIES),
        number("AnnualRevenue", FieldType.CURRENCY),
        number("NumberOfEmployees", FieldType.INT),
        text("Description", 32000, kind=FieldType.TEXTAREA),
    ),
    _obj(
        "Contact",
        "003",
        "Contacts",
        lookup("AccountId", "Account", children="Contacts"),
        text("FirstName", 40),
        text("LastName", 80, required=True),
        # Name is the compound of FirstName/LastName: read-only (Object Reference, Contact).
        text("Name", 121, writable=False),
        text("Title", 128),
        text("Email", 80, kind=FieldType.EMAIL),
        text("Phone", 40, kind=FieldType.PHONE),
        *_address("Mailing"),
        day("Birthdate"),
    ),
    _obj(
        "Opportunity",
        "006",
        "Opportunities",
        lookup("AccountId", "Account", children="Opportunities"),
        text("Name", 120, required=True),
        text("Description", 32000, kind=FieldType.TEXTAREA),
        picklist("StageName", OPPORTUNITY_STAGES, required=True),
        number("Amount", FieldType.CURRENCY),
        number("Probability", FieldType.PERCENT, precision=3, scale=0),
        # ExpectedRevenue = Amount * Probability; IsClosed/IsWon follow the stage;
        # HasOpportunityLineItem is maintained by the platform (Object Reference).
        number("ExpectedRevenue", FieldType.CURRENCY, writable=False),
        day("CloseDate", required=True),
        picklist("Type", _OPPORTUNITY_TYPES),
        text("NextStep", 255),
        picklist("LeadSource", ("Web", "Phone Inquiry", "Partner Referral", "Other")),
        flag("IsClosed", writable=False),
        flag("IsWon", writable=False),
        picklist("ForecastCategoryName", _FORECAST_CATEGORIES),
        lookup("Pricebook2Id", "Pricebook2", children="Opportunities"),
        lookup("ContractId", "Contract"),
        flag("HasOpportunityLineItem", writable=False),
        number("TotalOpportunityQuantity", FieldType.DOUBLE),
        number("FiscalYear", FieldType.INT, writable=False),
        number("FiscalQuarter", FieldType.INT, writable=False),
    ),
    _obj(
        "Product2",
        "01t",
        "Products",
        text("Name", 255, required=True),
        text("ProductCode", 255),
        text("Description", 4000, kind=FieldType.TEXTAREA),
        flag("IsActive"),
        picklist("Family", _PRODUCT_FAMILIES),
        text("QuantityUnitOfMeasure", 255),
        text("StockKeepingUnit", 180),
    ),
    _obj(
        "Pricebook2",
        "01s",
        "Price Books",
        text("Name", 255, required=True),
        text("Description", 255),
        flag("IsActive"),
        # IsStandard is set by the platform for the one standard price book.
        flag("IsStandard", writable=False),
        owner=False,
    ),
    _obj(
        "PricebookEntry",
        "01u",
        "Price Book Entries",
        text("Name", 255, writable=False),
        lookup(
            "Pricebook2Id",
            "Pricebook2",
            children="PricebookEntries",
            required=True,
            updateable=False,
        ),
        lookup(
            "Product2Id", "Product2", children="PricebookEntries", required=True, updateable=False
        ),
        number("UnitPrice", FieldType.CURRENCY, required=True),
        flag("IsActive"),
        flag("UseStandardPrice"),
        text("ProductCode", 255, writable=False),
        owner=False,
    ),
    _obj(
        "OpportunityLineItem",
        "00k",
        "Opportunity Product",
        lookup(
            "OpportunityId",
            "Opportunity",
            children="OpportunityLineItems",
            required=True,
            updateable=False,
        ),
        lookup(
            "PricebookEntryId", "PricebookEntry", children="OpportunityLineItems", updateable=False
        ),
        lookup("Product2Id", "Product2", updateable=False),
        text("Name", 376, writable=False),
        text("ProductCode", 255, writable=False),
        number("Quantity", FieldType.DOUBLE, required=True),
        number("UnitPrice", FieldType.CURRENCY),
        number("ListPrice", FieldType.CURRENCY, writable=False),
        number("TotalPrice", FieldType.CURRENCY),
        number("Subtotal", FieldType.CURRENCY, writable=False),
        number("Discount", FieldType.PERCENT),
        day("ServiceDate"),
        text("Description", 255),
        number("SortOrder", FieldType.INT),
        owner=False,
    ),
    _obj(
        "Quote",
        "0Q0",
        "Quotes",
        text("Name", 255, required=True),
        lookup("OpportunityId", "Opportunity", children="Quotes", required=True, updateable=False),
        # Quote.AccountId is derived from the opportunity (Object Reference, Quote).
        lookup("AccountId", "Account", children="Quotes", createable=False, updateable=False),
        lookup("Pricebook2Id", "Pricebook2", children="Quotes"),
        lookup("ContactId", "Contact", children="Quotes"),
        picklist("Status", QUOTE_STATUSES),
        day("ExpirationDate"),
        text("Description", 32000, kind=FieldType.TEXTAREA),
        text("QuoteNumber", 30, writable=False),
        flag("IsSyncing", writable=False),
        number("Subtotal", FieldType.CURRENCY, writable=False),
        number("Discount", FieldType.PERCENT, writable=False),
        number("TotalPrice", FieldType.CURRENCY, writable=False),
        number("GrandTotal", FieldType.CURRENCY, writable=False),
        number("Tax", FieldType.CURRENCY),
        number("ShippingHandling", FieldType.CURRENCY),
        number("LineItemCount", FieldType.INT, writable=False),
        text("BillingName", 255),
        *_address("Billing"),
    ),
    _obj(
        "QuoteLineItem",
        "0QL",
        "Quote Line Items",
        lookup("QuoteId", "Quote", children="QuoteLineItems", required=True, updateable=False),
        lookup(
            "PricebookEntryId",
            "PricebookEntry",
            children="QuoteLineItems",
            required=True,
            updateable=False,
        ),
        lookup("Product2Id", "Product2", updateable=False),
        lookup("OpportunityLineItemId", "OpportunityLineItem", updateable=False),
        text("LineNumber", 255, writable=False),
        number("Quantity", FieldType.DOUBLE, required=True),
        number("UnitPrice", FieldType.CURRENCY, required=True),
        number("ListPrice", FieldType.CURRENCY, writable=False),
        number("Subtotal", FieldType.CURRENCY, writable=False),
        number("TotalPrice", FieldType.CURRENCY, writable=False),
        number("Discount", FieldType.PERCENT),
        day("ServiceDate"),
        text("Description", 255),
        number("SortOrder", FieldType.INT),
        owner=False,
    ),
    _obj(
        "Contract",
        "800",
        "Contracts",
        lookup("AccountId", "Account", children="Contracts", required=True),
        lookup("Pricebook2Id", "Pricebook2"),
        picklist("Status", CONTRACT_STATUSES, required=True),
        # StatusCode is the category of Status (Draft/InApproval/Activated), read-only.
        picklist("StatusCode", ("Draft", "InApproval", "Activated"), writable=False),
        day("StartDate"),
        number("ContractTerm", FieldType.INT),
        # EndDate is computed from StartDate + ContractTerm (Object Reference, Contract).
        day("EndDate", writable=False),
        text("ContractNumber", 30, writable=False),
        text("Description", 32000, kind=FieldType.TEXTAREA),
        text("SpecialTerms", 4000, kind=FieldType.TEXTAREA),
        day("CustomerSignedDate"),
        day("CompanySignedDate"),
        stamp("ActivatedDate"),
        *_address("Billing"),
    ),
    _obj(
        "Order",
        "801",
        "Orders",
        lookup("AccountId", "Account", children="Orders", required=True),
        lookup("ContractId", "Contract", children="Orders"),
        lookup("OpportunityId", "Opportunity", children="Orders"),
        lookup("QuoteId", "Quote", children="Orders"),
        lookup("Pricebook2Id", "Pricebook2", children="Orders"),
        picklist("Status", ORDER_STATUSES, required=True),
        picklist("StatusCode", ("Draft", "Activated"), writable=False),
        day("EffectiveDate", required=True),
        day("EndDate"),
        text("OrderNumber", 30, writable=False),
        picklist("Type", ("New", "Renewal", "Upgrade")),
        text("Description", 32000, kind=FieldType.TEXTAREA),
        text("PoNumber", 80),
        number("TotalAmount", FieldType.CURRENCY, writable=False),
        stamp("ActivatedDate"),
        *_address("Billing"),
    ),
    _obj(
        "OrderItem",
        "802",
        "Order Products",
        lookup("OrderId", "Order", children="OrderItems", required=True, updateable=False),
        lookup(
            "PricebookEntryId",
            "PricebookEntry",
            children="OrderItems",
            required=True,
            updateable=False,
        ),
        lookup("Product2Id", "Product2", updateable=False),
        lookup("QuoteLineItemId", "QuoteLineItem", updateable=False),
        text("OrderItemNumber", 30, writable=False),
        number("Quantity", FieldType.DOUBLE, required=True),
        number("UnitPrice", FieldType.CURRENCY, required=True),
        number("ListPrice", FieldType.CURRENCY),
        number("TotalPrice", FieldType.CURRENCY, writable=False),
        day("ServiceDate"),
        day("EndDate"),
        text("Description", 255),
        owner=False,
    ),
    _obj(
        "User",
        "005",
        "Users",
        text("Username", 80, required=True),
        text("FirstName", 40),
        text("LastName", 80, required=True),
        text("Name", 121, writable=False),
        text("Email", 128, required=True, kind=FieldType.EMAIL),
        text("Alias", 8, required=True),
        flag("IsActive"),
        text("TimeZoneSidKey", 40, required=True),
        owner=False,
    ),
)


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
