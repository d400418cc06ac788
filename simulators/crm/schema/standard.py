"""The standard objects, declared as tables of fields (declarative data).

Vendor facts come from the Salesforce *Object Reference* (one page per object, e.g.
"Opportunity | Object Reference for the Salesforce Platform", field properties
Create/Update/Nillable/Filter/Group/Sort). Only the fields an integration layer for
quote-to-cash is likely to touch are declared; the real objects have more.
"""

from __future__ import annotations

from simulators.crm.schema.fields import (
    FieldDef,
    FieldType,
    ObjectDef,
    _label,
    day,
    flag,
    lookup,
    number,
    picklist,
    stamp,
    text,
)


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
        # The quote that syncs its line items to the opportunity (records/quote_sync.py).
        lookup("SyncedQuoteId", "Quote"),
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
