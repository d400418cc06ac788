"""The provider states a recorded run implied, in the fakes' vocabulary.

A recorded request only makes sense with what the vendor held when it came: reading a
customer needs that customer; posting an ERP invoice needs its customer and items. What
the run told about each object (every answer, request body and webhook of the tenant,
kept by id in an :class:`Index`) picks the business situation that holds it, and its
parameters (the ids and values seen), so that a verifier sets the same situation up.

A request or message no state in the vocabulary can set up is left out of the recorded
contract (and counted, with the reason).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from harness.contracts.shapes import body_of, header, query_pairs
from harness.contracts.traffic import Delivered, Exchange

State = tuple[str, dict[str, Any]]
_WHERE_ID = re.compile(r"FROM\s+(\w+)\s+WHERE\s+(\w+)\s*=\s*'([^']*)'", re.I)
_FROM = re.compile(r"\bFROM\s+(\w+)", re.I)
_LOCATION = re.compile(r"/record/v1/(\w+)/(\d+)$")


class Unrecordable(Exception):
    """No state in the vocabulary sets this request's situation up."""


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value["id"]) if value.get("id") else None
    return str(value) if value else None


class Index:
    """Everything one tenant's traffic said about its objects, by provider and id."""

    def __init__(self, exchanges: list[Exchange], delivered: list[Delivered]) -> None:
        self.objects: dict[str, dict[str, Any]] = {}  # billing: Stripe id -> object
        self.records: dict[str, dict[str, Any]] = {}  # crm: 15-char id -> fields
        self.lines: dict[str, list[dict[str, Any]]] = {}  # crm: parent id -> line rows
        self.erp: dict[tuple[str, str], dict[str, Any]] = {}  # erp: (type, id) -> body
        self.items: dict[str, str] = {}  # erp: item id -> itemid
        for ex in sorted(exchanges, key=lambda e: e.seq):
            request = body_of(ex.request_body, header(ex.request_headers, "content-type"))
            response = body_of(ex.response_body, header(ex.response_headers, "content-type"))
            getattr(self, f"_learn_{ex.provider}")(ex, request, response)
        for message in delivered:
            body = body_of(message.body, "application/json")
            if message.provider == "billing" and isinstance(body, dict):
                self._objects(body.get("data"))
            elif message.provider == "crm" and isinstance(body, dict):
                payload = body.get("payload") or {}
                ids = (payload.get("ChangeEventHeader") or {}).get("recordIds") or []
                for record_id in ids:
                    self._record(record_id, {k: v for k, v in payload.items()
                                             if k != "ChangeEventHeader"})

    # -- billing -----------------------------------------------------------------------
    def _objects(self, value: Any) -> None:
        for obj in _walk(value):
            if isinstance(obj.get("id"), str) and isinstance(obj.get("object"), str):
                self.objects[obj["id"]] = {**self.objects.get(obj["id"], {}), **obj}

    def _learn_billing(self, ex: Exchange, request: Any, response: Any) -> None:
        self._objects(response)

    def subscription_of_customer(self, customer: str) -> str | None:
        for obj in self.objects.values():
            if obj.get("object") == "subscription" and _id(obj.get("customer")) == customer:
                return str(obj["id"])
        return None

    def invoice_subscription(self, invoice: Mapping[str, Any]) -> str | None:
        parent = (invoice.get("parent") or {}).get("subscription_details") or {}
        return _id(parent.get("subscription")) or _id(invoice.get("subscription"))

    def subscription_params(self, sub_id: str | None, customer: str | None = None
                            ) -> dict[str, Any]:
        sub = self.objects.get(sub_id or "", {})
        customer = customer or _id(sub.get("customer"))
        params: dict[str, Any] = {}
        if sub_id:
            params["subscription"] = sub_id
        if customer:
            params["customer"] = customer
            cust = self.objects.get(customer, {})
            if cust.get("metadata"):
                params["customer_metadata"] = cust["metadata"]
            if cust.get("name"):
                params["name"] = cust["name"]
        if sub.get("metadata"):
            params["metadata"] = sub["metadata"]
        items = (sub.get("items") or {}).get("data") or []
        if items:
            item = items[0]
            params["item"] = item.get("id")
            params["quantity"] = item.get("quantity") or 1
            price = _id(item.get("price"))
            if price:
                params["price"] = price
                metadata = (self.objects.get(price) or item.get("price") or {}).get("metadata")
                if isinstance(metadata, dict) and metadata:
                    params["price_metadata"] = metadata
                key = (self.objects.get(price) or {}).get("lookup_key") or \
                    (item.get("price") or {}).get("lookup_key")
                if key:
                    params["lookup_key"] = key
        return {k: v for k, v in params.items() if v is not None}

    # -- crm ---------------------------------------------------------------------------
    def _record(self, record_id: Any, fields: Mapping[str, Any]) -> None:
        if isinstance(record_id, str) and len(record_id) in (15, 18):
            key = record_id[:15]
            self.records[key] = {**self.records.get(key, {}), **fields, "Id": record_id}

    def record(self, record_id: str) -> dict[str, Any]:
        return self.records.get(record_id[:15], {})

    def _learn_crm(self, ex: Exchange, request: Any, response: Any) -> None:
        parts = ex.path.split("/")
        if "sobjects" in parts:
            at = parts.index("sobjects")
            obj = parts[at + 1] if len(parts) > at + 1 else ""
            if len(parts) == at + 3 and isinstance(request, dict):
                self._record(parts[at + 2], request)
            if len(parts) == at + 4 and isinstance(response, dict) and response.get("id"):
                self._record(response["id"], {**(request if isinstance(request, dict) else {}),
                                               parts[at + 2]: parts[at + 3], "_type": obj})
        for row in _walk(response):
            if isinstance(row.get("Id"), str):
                self._record(row["Id"], {k: v for k, v in row.items() if k != "attributes"})
        soql = dict(query_pairs(ex.query)).get("q", "")
        found = _WHERE_ID.search(soql)
        if found and found.group(1) in ("OpportunityLineItem", "OrderItem") and \
                isinstance(response, dict):
            self.lines[found.group(3)[:15]] = list(response.get("records") or [])

    def lines_param(self, parent: str) -> list[dict[str, Any]] | None:
        rows = self.lines.get(parent[:15])
        if not rows:
            return None
        return [{"product_code": (r.get("Product2") or {}).get("ProductCode"),
                 "quantity": int(float(r.get("Quantity") or 1))}
                for r in rows if (r.get("Product2") or {}).get("ProductCode")] or None

    # -- erp ---------------------------------------------------------------------------
    def _learn_erp(self, ex: Exchange, request: Any, response: Any) -> None:
        location = header(ex.response_headers, "location") or ""
        made = _LOCATION.search(location)
        parts = ex.path.split("/")
        if made and isinstance(request, dict):
            kind, rec_id = made.group(1).lower(), made.group(2)
            external = parts[-1][4:] if parts[-1].startswith("eid:") else request.get("externalId")
            self.erp[(kind, rec_id)] = {**request, **({"externalId": external} if external else {})}
        if isinstance(response, dict) and response.get("id") and len(parts) >= 2:
            self.erp[(parts[-2].lower(), str(response["id"]))] = response
        q = (request or {}).get("q", "") if isinstance(request, dict) else ""
        if _FROM.search(q) and _FROM.search(q).group(1).lower() == "item":  # type: ignore[union-attr]
            for row in (response or {}).get("items") or []:
                if row.get("id") and row.get("itemid"):
                    self.items[str(row["id"])] = str(row["itemid"])

    def erp_record(self, kind: str, rec_id: str) -> dict[str, Any]:
        return self.erp.get((kind.lower(), rec_id), {})


# -- billing ---------------------------------------------------------------------------

def _billing(ex: Exchange, index: Index) -> list[State]:
    parts = [p for p in ex.path.split("/") if p]
    query = dict(query_pairs(ex.query))
    response = body_of(ex.response_body, "application/json")
    response = response if isinstance(response, dict) else {}
    noun = parts[1] if len(parts) > 1 else ""
    obj_id = parts[2] if len(parts) > 2 else None
    if noun == "customers" and obj_id:
        sub = index.subscription_of_customer(obj_id)
        if sub:
            return [_active(index, sub)]
        params = index.subscription_params(None, obj_id)
        return [("a customer {customer} with a default card exists", params)]
    if noun == "customers" and ex.method == "POST":
        return []
    if noun == "subscriptions" and obj_id:
        return [_active(index, obj_id)]
    if noun == "subscriptions" and ex.method == "GET" and query.get("customer"):
        sub = index.subscription_of_customer(query["customer"])
        if sub:
            return [_active(index, sub)]
        return [("a customer {customer} with a default card exists",
                 index.subscription_params(None, query["customer"]))]
    if noun == "subscriptions" and ex.method == "POST":
        form = dict(parse_qsl(ex.request_body, keep_blank_values=True))
        prices = [v for k, v in form.items() if re.fullmatch(r"items\[\d+\]\[price\]", k)]
        return [("a customer {customer} with a default card exists",
                 index.subscription_params(None, form.get("customer"))), _prices(index, prices)]
    if noun == "prices":
        ids = [obj_id] if obj_id else [str(p["id"]) for p in response.get("data") or []]
        return [_prices(index, ids)] if ids else []
    if noun == "invoices" and obj_id:
        return [_invoice(index, obj_id, parts[3] if len(parts) > 3 else None, ex.method)]
    if noun == "credit_notes" and obj_id:
        note = index.objects.get(obj_id, response)
        inv = index.objects.get(_id(note.get("invoice")) or "", {})
        return [("a credit note {credit_note} was issued for invoice {invoice}",
                 {**index.subscription_params(index.invoice_subscription(inv)),
                  "credit_note": obj_id, "invoice": _id(note.get("invoice")),
                  "amount": note.get("amount") or 100})]
    raise Unrecordable(f"no billing state sets up {ex.method} /{'/'.join(parts[:2])}")


def _active(index: Index, sub: str) -> State:
    return ("an active subscription {subscription} exists for customer {customer}",
            index.subscription_params(sub))


def _prices(index: Index, ids: list[str]) -> State:
    keys = [str((index.objects.get(i) or {}).get("lookup_key") or "") for i in ids]
    if not all(keys):
        raise Unrecordable("a price without a lookup key (no state makes one)")
    params: dict[str, Any] = {"lookup_keys": keys, "prices": ids}
    metadata = (index.objects.get(ids[0]) or {}).get("metadata")
    if metadata:
        params["price_metadata"] = metadata
    return ("prices exist for lookup keys {lookup_keys}", params)


def _invoice(index: Index, invoice_id: str, action: str | None, method: str) -> State:
    inv = index.objects.get(invoice_id, {})
    sub = index.invoice_subscription(inv)
    params = {**index.subscription_params(sub, _id(inv.get("customer"))), "invoice": invoice_id}
    if "subscription" not in params:
        raise Unrecordable("an invoice without a subscription (no state makes one)")
    status = {"finalize": "held", "pay": "open", None: "draft" if method == "POST" else None
              }.get(action, inv.get("status"))
    if status is None:
        status = inv.get("status")
    if status == "draft" and inv.get("auto_advance") is False and method == "GET":
        status = "held"
    name = {"draft": "a draft invoice {invoice} exists for subscription {subscription}",
            "held": "a held draft invoice {invoice} exists for subscription {subscription}",
            "open": "an open invoice {invoice} exists for subscription {subscription}",
            }.get(str(status), "a paid invoice {invoice} exists for subscription {subscription}")
    return (name, params)


def _billing_message(message: Delivered, index: Index) -> list[State]:
    body = body_of(message.body, "application/json")
    obj = ((body or {}).get("data") or {}).get("object") or {} if isinstance(body, dict) else {}
    kind = message.event_type
    customer = _id(obj.get("customer"))
    if kind.startswith("invoice."):
        sub = index.invoice_subscription(obj)
        params = {**index.subscription_params(sub, customer), "invoice": obj.get("id")}
        name = {"invoice.created": "an invoice for subscription {subscription} was created",
                "invoice.finalized": "an invoice for subscription {subscription} was finalized",
                "invoice.paid": "an invoice for subscription {subscription} was paid",
                "invoice.payment_succeeded": "an invoice for subscription {subscription} was paid",
                "invoice.payment_failed":
                    "a payment failed for an invoice of subscription {subscription}"}.get(kind)
        if name is None or sub is None:
            raise Unrecordable(f"no billing state sends {kind} (of this invoice)")
        return [(name, params)]
    if kind in ("customer.subscription.created", "customer.subscription.updated"):
        return [_active(index, str(obj.get("id")))]
    if kind == "customer.subscription.deleted":
        return [("subscription {subscription} was cancelled",
                 index.subscription_params(str(obj.get("id"))))]
    if kind in ("customer.created", "payment_method.attached"):
        cust = customer if kind != "customer.created" else str(obj.get("id"))
        return [("a customer {customer} with a default card exists",
                 index.subscription_params(None, cust))]
    if kind in ("payment_intent.created", "payment_intent.succeeded", "charge.succeeded"):
        sub = index.subscription_of_customer(customer or "")
        if sub is None:
            raise Unrecordable(f"{kind} of a customer without a subscription")
        return [("an invoice for subscription {subscription} was paid",
                 index.subscription_params(sub))]
    if kind == "credit_note.created":
        inv = index.objects.get(_id(obj.get("invoice")) or "", {})
        return [("a credit note {credit_note} was issued for invoice {invoice}",
                 {**index.subscription_params(index.invoice_subscription(inv)),
                  "credit_note": obj.get("id"), "invoice": _id(obj.get("invoice")),
                  "amount": obj.get("amount") or 100})]
    if kind in ("price.created", "product.created"):
        price = str(obj.get("id")) if kind == "price.created" else None
        if price and (obj.get("lookup_key") or index.objects.get(price, {}).get("lookup_key")):
            return [_prices(index, [price])]
    raise Unrecordable(f"no billing state sends {kind}")


# -- crm -------------------------------------------------------------------------------

_ACCOUNT_FIELDS = {"Name": "name", "Legal_Entity__c": "legal_entity",
                   "CurrencyIsoCode": "currency", "Billing_Customer_Id__c": "billing_customer",
                   "ERP_Customer_Id__c": "erp_customer", "Billing_Status__c": "billing_status"}


_AUDIT = {"CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted"}
# What the closed-won state's stage change and line items derive (Salesforce sets them from
# StageName and the lines): left to it, so that its change event changes them.
_DERIVED_BY_STATE = {"StageName", "Probability", "ForecastCategoryName", "IsClosed", "IsWon",
                     "ExpectedRevenue", "Amount", "TotalOpportunityQuantity",
                     "HasOpportunityLineItem"}


def _fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's plain field values as the run showed them, but its id, references (to
    users and other records: another org has its own) and audit fields; the state writes
    those a create may set."""
    return {k: v for k, v in record.items() if not k.startswith("_") and k not in _AUDIT
            and not k.endswith("Id") and v is not None and not isinstance(v, dict | list)}


def _account(index: Index, account: str) -> dict[str, Any]:
    fields = index.record(account)
    params = {"account": account, **{param: fields[name] for name, param in
                                     _ACCOUNT_FIELDS.items() if isinstance(fields.get(name), str)}}
    extra = {k: v for k, v in _fields(fields).items() if k not in _ACCOUNT_FIELDS}
    return {**params, "fields": extra} if extra else params


def _crm_state(index: Index, sobject: str, record_id: str) -> State:
    fields = index.record(record_id)
    if sobject == "Account":
        return ("an account {account} exists", _account(index, record_id))
    if sobject in ("Opportunity", "OpportunityLineItem"):
        opp = record_id if sobject == "Opportunity" else str(fields.get("OpportunityId"))
        account = str(index.record(opp).get("AccountId") or "")
        params: dict[str, Any] = {**(_account(index, account) if account else {}),
                                  "opportunity": opp}
        extra = {k: v for k, v in _fields(index.record(opp)).items()
                 if k not in _DERIVED_BY_STATE}
        if extra:
            params["opportunity_fields"] = extra
        lines = index.lines_param(opp)
        if lines:
            params["lines"] = lines
        if "account" not in params:
            raise Unrecordable("an opportunity whose account the run did not show")
        return ("an opportunity {opportunity} of account {account} is closed won", params)
    if sobject in ("Contract", "Order", "OrderItem"):
        order = record_id if sobject == "Order" else (
            str(fields.get("OrderId")) if sobject == "OrderItem" else None)
        contract = str(index.record(order).get("ContractId")) if order else record_id
        cfields = index.record(contract)
        sub = cfields.get("Billing_Subscription_Id__c") or cfields.get("External_Id__c")
        account = str(cfields.get("AccountId") or "")
        if not sub or not account:
            raise Unrecordable("a contract whose subscription or account the run did not show")
        params = {**_account(index, account), "contract": contract, "subscription": sub}
        if order:
            params["order"] = order
            lines = index.lines_param(order)
            if lines:
                params["lines"] = lines
            return ("an order {order} amending contract {contract} was activated", params)
        if cfields.get("Cancel_At_Period_End__c") is True:
            return ("contract {contract} was set to cancel at period end", params)
        return ("a contract {contract} exists for subscription {subscription}",
                {**params, "activated": cfields.get("Status") == "Activated"})
    raise Unrecordable(f"no CRM state makes a {sobject}")


def _crm(ex: Exchange, index: Index) -> list[State]:
    parts = ex.path.split("/")
    if "sobjects" in parts:
        at = parts.index("sobjects")
        sobject = parts[at + 1] if len(parts) > at + 1 else ""
        if len(parts) == at + 3:
            return [_crm_state(index, sobject, parts[at + 2])]
        if len(parts) == at + 4:  # an upsert: its account must exist
            body = body_of(ex.request_body, "application/json")
            account = body.get("AccountId") if isinstance(body, dict) else None
            return [("an account {account} exists", _account(index, str(account)))] \
                if account else []
    if parts[-1] == "query":
        soql = dict(query_pairs(ex.query)).get("q", "")
        found = _WHERE_ID.search(soql)
        if found is None:
            raise Unrecordable("a SOQL query without a record to set up")
        sobject, column, value = found.groups()
        if sobject == "Contract" and column == "External_Id__c":
            contract = next((k for k, f in index.records.items()
                             if f.get("External_Id__c") == value), None)
            if contract is None:
                raise Unrecordable("a contract the run did not show")
            return [_crm_state(index, "Contract", index.records[contract]["Id"])]
        if column == "Id":
            return [_crm_state(index, sobject, value)]
        if column in ("OpportunityId", "OrderId"):
            return [_crm_state(index, "Opportunity" if column == "OpportunityId" else "Order",
                               value)]
        raise Unrecordable(f"no CRM state for a query of {sobject} by {column}")
    if parts[-1] == "changeEvents":
        accounts = [r["Id"] for r in index.records.values() if str(r["Id"]).startswith("001")]
        if not accounts:
            raise Unrecordable("change events of an org whose accounts the run did not show")
        return [("an account {account} was created", _account(index, accounts[0]))]
    raise Unrecordable(f"no CRM state sets up {ex.method} {ex.path}")


def _crm_message(message: Delivered, index: Index) -> list[State]:
    body = body_of(message.body, "application/json")
    payload = (body or {}).get("payload") or {} if isinstance(body, dict) else {}
    header_ = payload.get("ChangeEventHeader") or {}
    entity, change = header_.get("entityName"), header_.get("changeType")
    record = (header_.get("recordIds") or [""])[0]
    changed = set(header_.get("changedFields") or [])
    if entity == "Account" and change == "CREATE":
        return [("an account {account} was created", _account(index, record))]
    if entity == "Opportunity" and (change == "CREATE" or "StageName" in changed):
        return [_crm_state(index, "Opportunity", record)]
    if entity in ("OpportunityLineItem", "Contract", "Order", "OrderItem") and \
            (change == "CREATE" or (entity == "Order" and "Status" in changed) or
             (entity == "Contract" and "Cancel_At_Period_End__c" in changed)):
        return [_crm_state(index, entity, record)]
    raise Unrecordable(f"no CRM state publishes a {entity} {change} change event"
                       f"{' of ' + ', '.join(sorted(changed)) if changed else ''}")


# -- erp -------------------------------------------------------------------------------

def _erp_customer(index: Index, customer: str) -> State:
    rec = index.erp_record("customer", customer)
    external = rec.get("externalId")
    if not external:
        raise Unrecordable("an ERP customer whose external id the run did not show")
    return ("a customer {customer} with external id {external_id} exists",
            {"customer": customer, "external_id": external,
             **{k: _id(rec.get(k)) for k in ("subsidiary", "currency") if _id(rec.get(k))}})


def _erp_items(index: Index, body: Mapping[str, Any]) -> list[State]:
    out = []
    for line in (body.get("item") or {}).get("items") or []:
        item = _id(line.get("item"))
        if item and item in index.items:
            out.append(("an item {item} with item id {itemid} exists",
                        {"item": item, "itemid": index.items[item]}))
    return out


def _erp_invoice(index: Index, invoice: str) -> State:
    rec = index.erp_record("invoice", invoice)
    customer = _id(rec.get("entity"))
    if not rec.get("externalId") or not customer:
        raise Unrecordable("an ERP invoice the run did not show being made")
    lines = (rec.get("item") or {}).get("items") or []
    cust = index.erp_record("customer", customer)
    params = {"invoice": invoice, "external_id": rec["externalId"], "customer": customer,
              "customer_external_id": cust.get("externalId"),
              "subsidiary": _id(rec.get("subsidiary")) or _id(cust.get("subsidiary")),
              "currency": _id(rec.get("currency")) or _id(cust.get("currency")),
              "tran_date": rec.get("tranDate")}
    known = [line for line in lines if (_id(line.get("item")) or "") in index.items]
    if known and len(known) == len(lines):
        params["lines"] = [{"item": _id(line.get("item")),
                            "itemid": index.items[_id(line.get("item")) or ""],
                            "quantity": int(line.get("quantity") or 1),
                            "rate": str(line.get("rate") or "0")} for line in known]
    return ("an invoice {invoice} with external id {external_id} exists for customer "
            "{customer}", {k: v for k, v in params.items() if v is not None})


def _erp(ex: Exchange, index: Index) -> list[State]:
    parts = ex.path.split("/")
    body = body_of(ex.request_body, "application/json")
    body = body if isinstance(body, dict) else {}
    if parts[-1] == "suiteql":
        table = _FROM.search(str(body.get("q") or ""))
        return [] if table is None or table.group(1).lower() != "item" else [
            ("an item {item} with item id {itemid} exists", {"item": i, "itemid": n})
            for i, n in list(index.items.items())[:1]]
    if "record" not in parts:
        raise Unrecordable(f"no ERP state sets up {ex.method} {ex.path}")
    kind = parts[parts.index("v1") + 1]
    key = parts[parts.index("v1") + 2] if len(parts) > parts.index("v1") + 2 else None
    if key and key.startswith("eid:") and ex.method == "PUT":
        return [(f"no {kind} has external id {{external_id}}", {"external_id": key[4:]})]
    if ex.method == "POST" and key is None:
        applied = [_id(a.get("doc")) for a in (body.get("apply") or {}).get("items") or []]
        if applied and applied[0]:
            return [_erp_invoice(index, str(applied[0]))]
        customer = _id(body.get("entity") or body.get("customer"))
        states = [_erp_customer(index, customer)] if customer else []
        return states + _erp_items(index, body)
    if key and key.isdigit():
        if kind.lower() == "invoice":
            return [_erp_invoice(index, key)]
        if kind.lower() == "customer":
            return [_erp_customer(index, key)]
    raise Unrecordable(f"no ERP state sets up {ex.method} {'/'.join(parts[-3:])}")


RULES = {"billing": _billing, "crm": _crm, "erp": _erp}
MESSAGE_RULES = {"billing": _billing_message, "crm": _crm_message}


def states_for(ex: Exchange, index: Index) -> list[State]:
    return RULES[ex.provider](ex, index)


def states_for_message(message: Delivered, index: Index) -> list[State]:
    rule = MESSAGE_RULES.get(message.provider)
    if rule is None:
        raise Unrecordable(f"the {message.provider} fake sends no messages")
    return rule(message, index)


def describe(state: State) -> str:
    return f"{state[0]} {json.dumps(state[1], sort_keys=True)}"
