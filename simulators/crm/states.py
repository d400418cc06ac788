"""The CRM fake's provider-state vocabulary (``POST /_sim/provider-states``).

Business situations a Salesforce consumer's pact may assume, written through the record
layer (so derived fields, roll-ups and change events are what the REST API would have
made). Record ids are the ones the parameters name when they are valid Salesforce ids
with the object's key prefix (Account 001, Opportunity 006, Contract 800, Order 801), in
their 15- or 18-character form. The tenant is named by an OAuth client id (each client id
is its own org); the answer carries a session token of that org (``accessToken``, and
``authorization`` as a whole header value).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from simulators.crm import records
from simulators.crm.auth import mint, org_id_for
from simulators.crm.ids import normalise
from simulators.engine.provider_states import (
    Param,
    StateContext,
    StateError,
    Vocabulary,
    named_ids,
)
from simulators.engine.runtime import Simulation
from simulators.engine.store import Record
from simulators.engine.tenancy import Tenant


def session(sim: Simulation, ref: str, options: Mapping[str, str]
            ) -> tuple[Tenant, dict[str, str]]:
    if not ref or "!" in ref:
        raise ValueError("A CRM tenant is named by an OAuth client id (each is its own org)")
    tenant = sim.tenant(org_id_for(sim, ref))
    token = mint(sim, tenant, ref)
    return tenant, {"accessToken": token, "authorization": f"Bearer {token}",
                    "orgId": tenant.id}


VOCABULARY = Vocabulary("crm", session)
state = VOCABULARY.state

ACCOUNT = Param("account", "the Account's id (001...)", "001000000000AcmAAE")
ACCOUNT_FIELDS = (
    Param("name", "Account.Name", "Acme Corp", required=False),
    Param("legal_entity", "Account.Legal_Entity__c (a country code)", "US", required=False),
    Param("currency", "Account.CurrencyIsoCode", "USD", required=False),
    Param("billing_customer", "Account.Billing_Customer_Id__c", None, required=False),
    Param("erp_customer", "Account.ERP_Customer_Id__c", None, required=False),
    Param("billing_status", "Account.Billing_Status__c", None, required=False),
    Param("fields", "more of the Account's fields", {"Industry": "Retail"}, required=False),
)
OPPORTUNITY = Param("opportunity", "the Opportunity's id (006...)", "006000000000AcmAAE")
LINES = Param("lines", "the line items: [{product_code, quantity}]",
              [{"product_code": "PLAT", "quantity": 2}], required=False)
CONTRACT = Param("contract", "the Contract's id (800...)", "800000000000AcmAAE")
SUBSCRIPTION = Param("subscription", "the billing subscription id the Contract carries "
                     "(External_Id__c and Billing_Subscription_Id__c)", "sub_FintwinAcme01")
ORDER = Param("order", "the Order's id (801...)", "801000000000AcmAAE")


def _id(sc: StateContext, name: str, prefix: str) -> str | None:
    value = sc.optional(name)
    if value is None:
        return None
    canonical = normalise(value)
    if canonical is None or not canonical.startswith(prefix):
        raise StateError(f"Parameter '{name}' must be a Salesforce id starting {prefix} "
                         "(15 characters, or 18 with a matching checksum)", name)
    return canonical


def _ids(prefix: str, record_id: str | None) -> dict[str, list[str]]:
    return {prefix: [record_id[:15]] if record_id else []}


def _extra(sc: StateContext, txn: records.Txn, sobject: str, param: str) -> dict[str, Any]:
    """More field values for a record (``fields`` of an account, ``opportunity_fields``...):
    those the object has and a create may set; the others are the org's to derive."""
    given = sc.params.get(param) or {}
    if not isinstance(given, dict):
        raise StateError(f"Parameter '{param}' must be an object of field values", param)
    obj = txn.org.schema.object(sobject)
    out = {}
    for name, value in given.items():
        field = obj.find_field(str(name))
        if field is not None and field.createable and not isinstance(value, dict | list):
            # Numbers as the REST API reads them from JSON (decimals, not floats).
            out[field.name] = Decimal(str(value)) if isinstance(value, float) else value
    return out


def _create(txn: records.Txn, sobject: str, body: dict[str, Any],
            record_id: str | None = None, prefix: str = "") -> Record:
    if record_id is not None:
        found = records.live(txn.org, sobject, record_id)
        if found is not None:
            return found
    obj = txn.org.schema.object(sobject)
    with named_ids(txn.tenant, _ids(prefix or obj.key_prefix, record_id)):
        return records.create(txn, obj, body)


def _update(txn: records.Txn, sobject: str, record: Record, body: dict[str, Any]) -> Record:
    return records.update(txn, txn.org.schema.object(sobject), record, body)


def _account(sc: StateContext, txn: records.Txn) -> Record:
    fields = {**_extra(sc, txn, "Account", "fields"), "Name": sc.text("name", "Acme Corp"),
              "Legal_Entity__c": sc.text("legal_entity", "US"),
              "CurrencyIsoCode": sc.text("currency", "USD")}
    for param, field in (("billing_customer", "Billing_Customer_Id__c"),
                         ("erp_customer", "ERP_Customer_Id__c"),
                         ("billing_status", "Billing_Status__c")):
        if sc.optional(param):
            fields[field] = sc.text(param)
    return _create(txn, "Account", fields, _id(sc, "account", "001"))


def _entries(sc: StateContext, txn: records.Txn, currency: str) -> list[tuple[Record, int]]:
    """(PricebookEntry, quantity) per line, the product and its standard entry made first."""
    book = str(txn.tenant.meta["standard_pricebook_id"])
    out = []
    for n, line in enumerate(sc.items("lines") if sc.params.get("lines") else LINES.example):
        if not isinstance(line, dict) or not line.get("product_code"):
            raise StateError(f"lines[{n}] needs product_code and quantity", "lines")
        code = str(line["product_code"])
        found = [e for e in txn.tenant.store.all("PricebookEntry")
                 if e.get("ProductCode") == code and e.get("CurrencyIsoCode") == currency]
        if found:
            entry = found[0]
        else:
            product = _create(txn, "Product2", {"Name": code, "ProductCode": code,
                                                "IsActive": True})
            entry = _create(txn, "PricebookEntry", {
                "Pricebook2Id": book, "Product2Id": product["Id"], "UnitPrice": 120,
                "CurrencyIsoCode": currency, "IsActive": True})
        try:
            quantity = int(line.get("quantity", 1))
        except (TypeError, ValueError):
            raise StateError(f"lines[{n}].quantity must be an integer", "lines") from None
        out.append((entry, quantity))
    return out


def _in_txn(sc: StateContext) -> records.Txn:
    return records.begin(sc.sim, sc.tenant)


def _lines_then(sc: StateContext, txn: records.Txn, sobject: str, parent: Record,
                line_sobject: str, link: str, entries: list[tuple[Record, int]],
                change: dict[str, Any]) -> Record:
    """Line items under ``parent``, committed; then ``change`` on it in a transaction of
    its own, so that its change event is an UPDATE of what changed."""
    for entry, quantity in entries:
        _create(txn, line_sobject, {link: parent["Id"], "PricebookEntryId": entry["Id"],
                                    "Quantity": quantity, "UnitPrice": entry["UnitPrice"]})
    txn.commit()
    txn = _in_txn(sc)
    changed = _update(txn, sobject, records.live(txn.org, sobject, parent["Id"]) or parent,
                      change)
    txn.commit()
    return changed


@state("an account {account} exists",
       "An Account with a legal entity and currency (and the integration's ids, when given).",
       ACCOUNT, *ACCOUNT_FIELDS)
def account(sc: StateContext) -> dict[str, Any]:
    txn = _in_txn(sc)
    made = _account(sc, txn)
    txn.commit()
    return {"account": made["Id"]}


VOCABULARY.alias("an account {account} was created",
                 "An Account was created (its CREATE change event was published).",
                 account, ACCOUNT, *ACCOUNT_FIELDS)


@state("an opportunity {opportunity} of account {account} is closed won",
       "An Account, an Opportunity with line items from the standard price book, moved to "
       "Closed Won (an UPDATE change event with StageName).",
       OPPORTUNITY, ACCOUNT, LINES, *ACCOUNT_FIELDS,
       Param("close_date", "Opportunity.CloseDate", "2026-01-15", required=False),
       Param("opportunity_fields", "more of the Opportunity's fields",
             {"Type": "New Business"}, required=False))
def closed_won(sc: StateContext) -> dict[str, Any]:
    txn = _in_txn(sc)
    acct = _account(sc, txn)
    currency = str(acct.get("CurrencyIsoCode") or "USD")
    entries = _entries(sc, txn, currency)
    opp = _create(txn, "Opportunity", {
        **_extra(sc, txn, "Opportunity", "opportunity_fields"),
        "AccountId": acct["Id"], "Name": f"{acct['Name']} - new business",
        "StageName": "Negotiation/Review", "CloseDate": sc.text("close_date", "2026-01-15"),
        "CurrencyIsoCode": currency, "Pricebook2Id": txn.tenant.meta["standard_pricebook_id"]},
        _id(sc, "opportunity", "006"))
    if opp.get("StageName") != "Closed Won":
        opp = _lines_then(sc, txn, "Opportunity", opp, "OpportunityLineItem", "OpportunityId",
                          entries, {"StageName": "Closed Won"})
    txn.commit()
    return {"account": acct["Id"], "opportunity": opp["Id"]}


VOCABULARY.alias("an opportunity {opportunity} was closed won",
                 "As 'an opportunity ... of account ... is closed won'.", closed_won,
                 OPPORTUNITY, ACCOUNT, LINES, *ACCOUNT_FIELDS)


def _contract(sc: StateContext, txn: records.Txn, acct: Record, *, activated: bool) -> Record:
    subscription = sc.text("subscription")
    contract = _create(txn, "Contract", {
        "AccountId": acct["Id"], "Status": "Draft", "ContractTerm": 12,
        "StartDate": sc.text("start_date", "2026-01-15"),
        "External_Id__c": subscription, "Billing_Subscription_Id__c": subscription},
        _id(sc, "contract", "800"))
    if activated and contract.get("Status") != "Activated":
        contract = _update(txn, "Contract", contract, {"Status": "Activated"})
    return contract


CONTRACT_PARAMS = (CONTRACT, SUBSCRIPTION, ACCOUNT, *ACCOUNT_FIELDS,
                   Param("start_date", "Contract.StartDate", "2026-01-15", required=False))


@state("a contract {contract} exists for subscription {subscription}",
       "An Account's Contract carrying the billing subscription id; Draft unless "
       "'activated' is true.", *CONTRACT_PARAMS,
       Param("activated", "Status Activated", False, required=False))
def contract(sc: StateContext) -> dict[str, Any]:
    txn = _in_txn(sc)
    acct = _account(sc, txn)
    made = _contract(sc, txn, acct, activated=sc.flag("activated"))
    txn.commit()
    return {"account": acct["Id"], "contract": made["Id"]}


@state("contract {contract} was set to cancel at period end",
       "An activated Contract whose Cancel_At_Period_End__c was set (an UPDATE change "
       "event).", *CONTRACT_PARAMS)
def cancel_requested(sc: StateContext) -> dict[str, Any]:
    txn = _in_txn(sc)
    acct = _account(sc, txn)
    made = _contract(sc, txn, acct, activated=True)
    txn.commit()
    txn = _in_txn(sc)
    made = _update(txn, "Contract", made, {"Cancel_At_Period_End__c": True})
    txn.commit()
    return {"account": acct["Id"], "contract": made["Id"]}


@state("an order {order} amending contract {contract} was activated",
       "An activated Contract and an Upgrade Order on it with the new quantity per product "
       "(0 removes one), moved to Activated (an UPDATE change event with Status).",
       ORDER, *CONTRACT_PARAMS, LINES)
def order_activated(sc: StateContext) -> dict[str, Any]:
    txn = _in_txn(sc)
    acct = _account(sc, txn)
    made = _contract(sc, txn, acct, activated=True)
    currency = str(acct.get("CurrencyIsoCode") or "USD")
    entries = _entries(sc, txn, currency)
    order = _create(txn, "Order", {
        "AccountId": acct["Id"], "ContractId": made["Id"], "Status": "Draft",
        "Pricebook2Id": txn.tenant.meta["standard_pricebook_id"], "Type": "Upgrade",
        "CurrencyIsoCode": currency, "EffectiveDate": sc.text("start_date", "2026-01-15")},
        _id(sc, "order", "801"))
    if order.get("Status") != "Activated":
        order = _lines_then(sc, txn, "Order", order, "OrderItem", "OrderId", entries,
                            {"Status": "Activated"})
    txn.commit()
    return {"account": acct["Id"], "contract": made["Id"], "order": order["Id"]}
