"""The org schema: standard objects, custom fields, relationships, describe."""

from __future__ import annotations

import pytest

from simulators.crm.schema import (
    FieldType,
    OrgSchema,
    UnknownFieldError,
    UnknownObjectError,
)


@pytest.fixture
def schema() -> OrgSchema:
    return OrgSchema()


@pytest.mark.parametrize(
    ("sobject", "prefix"),
    [
        ("Account", "001"),
        ("Contact", "003"),
        ("Opportunity", "006"),
        ("Product2", "01t"),
        ("Pricebook2", "01s"),
        ("PricebookEntry", "01u"),
        ("OpportunityLineItem", "00k"),
        ("Quote", "0Q0"),
        ("QuoteLineItem", "0QL"),
        ("Contract", "800"),
        ("Order", "801"),
        ("OrderItem", "802"),
        ("User", "005"),
    ],
)
def test_key_prefixes(schema: OrgSchema, sobject: str, prefix: str) -> None:
    assert schema.object(sobject).key_prefix == prefix
    assert schema.describe(sobject)["keyPrefix"] == prefix
    assert schema.object_for_id(prefix + "000000000001AAA") is schema.object(sobject)


@pytest.mark.parametrize(
    ("path", "values"),
    [
        (
            "Opportunity.StageName",
            [
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
            ],
        ),
        ("Contract.Status", ["Draft", "In Approval Process", "Activated"]),
        ("Order.Status", ["Draft", "Activated"]),
        (
            "Quote.Status",
            [
                "Draft",
                "Needs Review",
                "In Review",
                "Approved",
                "Rejected",
                "Presented",
                "Accepted",
                "Denied",
            ],
        ),
        ("Account.Billing_Status__c", ["Active", "Delinquent", "Churned"]),
    ],
)
def test_picklist_values(schema: OrgSchema, path: str, values: list[str]) -> None:
    sobject, name = path.split(".")
    described = next(f for f in schema.describe(sobject)["fields"] if f["name"] == name)
    assert described["type"] == "picklist"
    assert [v["value"] for v in described["picklistValues"]] == values


@pytest.mark.parametrize(
    "path",
    [
        "Account.Id",
        "Account.CreatedDate",
        "Account.LastModifiedDate",
        "Account.SystemModstamp",
        "Account.IsDeleted",
        "Opportunity.IsClosed",
        "Opportunity.IsWon",
        "Opportunity.ExpectedRevenue",
        "Quote.GrandTotal",
        "OrderItem.TotalPrice",
        "Contract.EndDate",
        "Contact.Name",
    ],
)
def test_system_and_computed_fields_are_not_writable(schema: OrgSchema, path: str) -> None:
    field = schema.field(*path.split("."))
    assert not field.createable
    assert not field.updateable


@pytest.mark.parametrize(
    "path",
    [
        "Account.Name",
        "Contact.LastName",
        "Opportunity.Name",
        "Opportunity.StageName",
        "Opportunity.CloseDate",
        "Contract.AccountId",
        "Order.EffectiveDate",
        "OpportunityLineItem.OpportunityId",
        "PricebookEntry.UnitPrice",
    ],
)
def test_required_on_create(schema: OrgSchema, path: str) -> None:
    field = schema.field(*path.split("."))
    assert field.required
    assert field.createable
    assert not field.nillable


def test_optional_fields_are_not_required(schema: OrgSchema) -> None:
    assert not schema.field("Opportunity", "Amount").required
    assert schema.field("Opportunity", "Amount").type is FieldType.CURRENCY


@pytest.mark.parametrize(
    ("path", "target", "relationship"),
    [
        ("Opportunity.AccountId", "Account", "Account"),
        ("Opportunity.Pricebook2Id", "Pricebook2", "Pricebook2"),
        ("OpportunityLineItem.OpportunityId", "Opportunity", "Opportunity"),
        ("OpportunityLineItem.PricebookEntryId", "PricebookEntry", "PricebookEntry"),
        ("OpportunityLineItem.Product2Id", "Product2", "Product2"),
        ("Quote.OpportunityId", "Opportunity", "Opportunity"),
        ("Quote.Pricebook2Id", "Pricebook2", "Pricebook2"),
        ("QuoteLineItem.QuoteId", "Quote", "Quote"),
        ("Contract.AccountId", "Account", "Account"),
        ("Order.AccountId", "Account", "Account"),
        ("Order.ContractId", "Contract", "Contract"),
        ("OrderItem.OrderId", "Order", "Order"),
        ("Contact.AccountId", "Account", "Account"),
        ("PricebookEntry.Pricebook2Id", "Pricebook2", "Pricebook2"),
        ("PricebookEntry.Product2Id", "Product2", "Product2"),
        ("Account.OwnerId", "User", "Owner"),
        ("Account.ParentId", "Account", "Parent"),
    ],
)
def test_parent_relationships(schema: OrgSchema, path: str, target: str, relationship: str) -> None:
    sobject, name = path.split(".")
    described = next(f for f in schema.describe(sobject)["fields"] if f["name"] == name)
    assert described["type"] == "reference"
    assert described["referenceTo"] == [target]
    assert described["relationshipName"] == relationship
    found = schema.object(sobject).find_parent_relationship(relationship.lower())
    assert found is not None and found.name == name


@pytest.mark.parametrize(
    ("parent", "relationship", "child", "field"),
    [
        ("Account", "Opportunities", "Opportunity", "AccountId"),
        ("Account", "Contacts", "Contact", "AccountId"),
        ("Account", "Contracts", "Contract", "AccountId"),
        ("Account", "Orders", "Order", "AccountId"),
        ("Opportunity", "OpportunityLineItems", "OpportunityLineItem", "OpportunityId"),
        ("Opportunity", "Quotes", "Quote", "OpportunityId"),
        ("Quote", "QuoteLineItems", "QuoteLineItem", "QuoteId"),
        ("Order", "OrderItems", "OrderItem", "OrderId"),
        ("Contract", "Orders", "Order", "ContractId"),
        ("Pricebook2", "PricebookEntries", "PricebookEntry", "Pricebook2Id"),
    ],
)
def test_child_relationships(
    schema: OrgSchema, parent: str, relationship: str, child: str, field: str
) -> None:
    described = schema.describe(parent)["childRelationships"]
    assert {"childSObject": child, "field": field, "relationshipName": relationship}.items() <= (
        next(r for r in described if r["relationshipName"] == relationship).items()
    )
    rel = schema.find_child_relationship(parent, relationship.upper())
    assert rel is not None and (rel.child_sobject, rel.field) == (child, field)


@pytest.mark.parametrize("sobject", ["Account", "Product2", "Opportunity", "Contract"])
def test_every_org_has_an_external_id(schema: OrgSchema, sobject: str) -> None:
    field = schema.field(sobject, "External_Id__c")
    assert field.type is FieldType.STRING
    assert (field.length, field.external_id, field.unique, field.custom) == (255, True, True, True)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("Account.Billing_Customer_Id__c", FieldType.STRING),
        ("Account.ERP_Customer_Id__c", FieldType.STRING),
        ("Account.Billing_Status__c", FieldType.PICKLIST),
        ("Account.Legal_Entity__c", FieldType.STRING),
        ("Account.CurrencyIsoCode", FieldType.PICKLIST),
        ("Opportunity.CurrencyIsoCode", FieldType.PICKLIST),
        ("Opportunity.Billing_Subscription_Id__c", FieldType.STRING),
        ("Contract.Billing_Subscription_Id__c", FieldType.STRING),
        ("Product2.ProductCode", FieldType.STRING),
    ],
)
def test_integration_fields(schema: OrgSchema, path: str, kind: FieldType) -> None:
    field = schema.field(*path.split("."))
    assert field.type is kind
    assert field.createable and field.updateable
    assert field.custom == path.endswith("__c")


def test_currency_codes_are_configurable() -> None:
    schema = OrgSchema(currencies=["USD", "EUR"])
    assert schema.field("Account", "CurrencyIsoCode").picklist_values == ("USD", "EUR")


def test_names_resolve_case_insensitively(schema: OrgSchema) -> None:
    assert schema.resolve("account.name") == "Account.Name"
    assert schema.resolve("OPPORTUNITYLINEITEM") == "OpportunityLineItem"
    assert schema.resolve("account.external_id__C") == "Account.External_Id__c"
    with pytest.raises(UnknownObjectError):
        schema.resolve("Acount.Name")
    with pytest.raises(UnknownFieldError):
        schema.resolve("Account.Nmae")


def test_custom_fields_can_be_declared(schema: OrgSchema) -> None:
    field = schema.add_custom_field(
        "Opportunity", "Sync_Key__c", FieldType.STRING, length=64, external_id=True, unique=True
    )
    assert schema.field("opportunity", "sync_key__c") is field
    described = next(
        f for f in schema.describe("Opportunity")["fields"] if f["name"] == "Sync_Key__c"
    )
    assert (described["length"], described["externalId"], described["unique"]) == (64, True, True)
    assert described["custom"] is True


def test_custom_fields_stay_in_their_org(schema: OrgSchema) -> None:
    schema.add_custom_field("Account", "Tier__c", FieldType.PICKLIST, picklist_values=["Gold"])
    assert OrgSchema().object("Account").find_field("Tier__c") is None


@pytest.mark.parametrize("name", ["NoSuffix", "Two__Underscores__c", "_Leading__c", "9Lives__c"])
def test_custom_field_names_are_checked(schema: OrgSchema, name: str) -> None:
    with pytest.raises(ValueError, match="invalid custom field API name"):
        schema.add_custom_field("Account", name, FieldType.STRING)


def test_custom_field_declarations_are_checked(schema: OrgSchema) -> None:
    with pytest.raises(ValueError, match="already exists"):
        schema.add_custom_field("Account", "external_id__c", FieldType.STRING)
    with pytest.raises(ValueError, match="cannot be an External ID"):
        schema.add_custom_field("Account", "Flag__c", FieldType.BOOLEAN, external_id=True)
    with pytest.raises(ValueError, match="needs values"):
        schema.add_custom_field("Account", "Empty__c", FieldType.PICKLIST)


def test_describe_shape(schema: OrgSchema) -> None:
    described = schema.describe("account", api_version="60.0")
    assert described["name"] == "Account"
    assert described["urls"]["describe"] == "/services/data/v60.0/sobjects/Account/describe"
    name = next(f for f in described["fields"] if f["name"] == "Name")
    assert set(name) >= {
        "name",
        "type",
        "label",
        "length",
        "nillable",
        "createable",
        "updateable",
        "externalId",
        "unique",
        "picklistValues",
        "referenceTo",
        "relationshipName",
    }
    assert (name["type"], name["length"], name["nillable"]) == ("string", 255, False)
    assert name["relationshipName"] is None


def test_describe_global_shape(schema: OrgSchema) -> None:
    described = schema.describe_global()
    assert described["encoding"] == "UTF-8"
    assert described["maxBatchSize"] == 200
    names = {o["name"] for o in described["sobjects"]}
    assert {"Account", "Opportunity", "OrderItem", "User"} <= names
    account = next(o for o in described["sobjects"] if o["name"] == "Account")
    assert account["urls"]["sobject"] == "/services/data/v59.0/sobjects/Account"
    assert account["keyPrefix"] == "001"


def test_unknown_object_describe_raises(schema: OrgSchema) -> None:
    with pytest.raises(UnknownObjectError):
        schema.describe("Invoice")
