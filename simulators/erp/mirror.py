"""The SuiteQL mirror: a tenant's records as rows of NetSuite's analytics tables.

The store holds the truth (JSON records, snapshot and restore); the SQLite
database behind SuiteQL is derived from it, kept in ``tenant.transient`` and
rebuilt from the store after a restore or restart. Record writes update both in
one go (see :class:`simulators.erp.records.base.WritePlan`).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from simulators.engine.store import Record
from simulators.engine.tenancy import Tenant
from simulators.erp.ledger import GLLine, Posting, write_posting
from simulators.erp.suiteql import SuiteQLEngine

ENGINE = "suiteql"

# transaction.type codes (SuitePortal "SuiteQL Gotchas" lists CustInvc; the
# others follow NetSuite's internal type ids, unverified).
TYPE_CODES = {
    "invoice": "CustInvc",
    "creditmemo": "CustCred",
    "customerpayment": "CustPymt",
    "journalentry": "Journal",
}


def engine_for(tenant: Tenant) -> SuiteQLEngine:
    engine = tenant.transient.get(ENGINE)
    if engine is None:
        engine = rebuild(tenant)
    assert isinstance(engine, SuiteQLEngine)
    return engine


def rebuild(tenant: Tenant) -> SuiteQLEngine:
    engine = SuiteQLEngine()
    with engine.transaction():
        for kind in (*NON_TRANSACTION, *TYPE_CODES):
            for rec in tenant.store.all(kind):
                write(engine, kind, rec)
    tenant.transient[ENGINE] = engine
    return engine


def _id(ref: Any) -> int | None:
    if isinstance(ref, dict) and ref.get("id") is not None:
        return int(ref["id"])
    return None


def _bool(value: Any) -> bool:
    return bool(value)


def _customer(rec: Record) -> Iterable[tuple[str, dict[str, Any]]]:
    yield (
        "customer",
        {
            "id": int(rec["id"]),
            "entityid": rec.get("entityId"),
            "companyname": rec.get("companyName"),
            "email": rec.get("email"),
            "externalid": rec.get("externalId"),
            "subsidiary": _id(rec.get("subsidiary")),
            "currency": _id(rec.get("currency")),
            "terms": _id(rec.get("terms")),
            "isinactive": _bool(rec.get("isInactive")),
            "datecreated": rec.get("dateCreated", "").rstrip("Z") or None,
            "lastmodifieddate": rec.get("lastModifiedDate", "").rstrip("Z") or None,
        },
    )


def _account(rec: Record) -> Iterable[tuple[str, dict[str, Any]]]:
    number = rec.get("acctNumber") or ""
    name = rec.get("acctName") or ""
    display = f"{number} {name}".strip()
    yield (
        "account",
        {
            "id": int(rec["id"]),
            "acctnumber": number or None,
            "accountsearchdisplayname": display,
            "accountsearchdisplaynamecopy": display,
            "fullname": name,
            "accttype": rec.get("acctType"),
            "currency": _id(rec.get("currency")),
            "issummary": _bool(rec.get("isSummary")),
            "isinactive": _bool(rec.get("isInactive")),
        },
    )


def _subsidiary(rec: Record) -> Iterable[tuple[str, dict[str, Any]]]:
    yield (
        "subsidiary",
        {
            "id": int(rec["id"]),
            "name": rec.get("name"),
            "currency": _id(rec.get("currency")),
            "parent": _id(rec.get("parent")),
            "country": rec.get("country"),
            "iselimination": _bool(rec.get("isElimination")),
            "isinactive": _bool(rec.get("isInactive")),
        },
    )


def _period(rec: Record) -> Iterable[tuple[str, dict[str, Any]]]:
    yield (
        "accountingPeriod",
        {
            "id": int(rec["id"]),
            "periodname": rec.get("periodName"),
            "startdate": rec.get("startDate"),
            "enddate": rec.get("endDate"),
            "closed": _bool(rec.get("closed")),
            "alllocked": _bool(rec.get("allLocked")),
            "isquarter": _bool(rec.get("isQuarter")),
            "isyear": _bool(rec.get("isYear")),
            "isadjust": _bool(rec.get("isAdjust")),
        },
    )


def _item(rec: Record) -> Iterable[tuple[str, dict[str, Any]]]:
    yield (
        "item",
        {
            "id": int(rec["id"]),
            "itemid": rec.get("itemId"),
            "displayname": rec.get("displayName"),
            "itemtype": rec.get("itemType"),
            "incomeaccount": _id(rec.get("incomeAccount") or rec.get("account")),
            "isinactive": _bool(rec.get("isInactive")),
        },
    )


def _currency(rec: Record) -> Iterable[tuple[str, dict[str, Any]]]:
    yield (
        "currency",
        {
            "id": int(rec["id"]),
            "symbol": rec.get("symbol"),
            "name": rec.get("name"),
            "exchangerate": Decimal(rec.get("exchangeRate") or "1"),
        },
    )


NON_TRANSACTION = {
    "subsidiary": _subsidiary,
    "currency": _currency,
    "account": _account,
    "accountingperiod": _period,
    "item": _item,
    "customer": _customer,
    "term": None,
}
TABLE_OF = {
    "subsidiary": "subsidiary",
    "currency": "currency",
    "account": "account",
    "accountingperiod": "accountingPeriod",
    "item": "item",
    "customer": "customer",
}


def posting_of(rec: Record) -> Posting:
    """The posting a transaction record holds in ``_gl`` (JSON) as ledger objects."""
    gl = rec["_gl"]
    lines = tuple(
        GLLine(
            account_id=int(line["account"]),
            debit=Decimal(line["debit"]),
            credit=Decimal(line["credit"]),
            subsidiary_id=int(line["subsidiary"]),
            memo=line.get("memo"),
            entity_id=line.get("entity"),
            item_id=line.get("item"),
            quantity=Decimal(line["quantity"]) if line.get("quantity") is not None else None,
            rate=Decimal(line["rate"]) if line.get("rate") is not None else None,
            foreign_amount=Decimal(line["foreign"]) if line.get("foreign") is not None else None,
            mainline=bool(line.get("mainline")),
            taxline=bool(line.get("taxline")),
        )
        for line in gl["lines"]
    )
    return Posting(
        lines=lines,
        currency=gl["currency"],
        exchange_rate=Decimal(gl["rate"]),
        foreign_total=Decimal(gl["foreignTotal"]),
        subsidiary_id=gl["subsidiary"],
        memo=gl.get("memo"),
    )


def posting_json(posting: Posting) -> dict[str, Any]:
    """A posting as JSON-able data (Decimal as str) for the store."""
    return {
        "currency": posting.currency,
        "rate": str(posting.exchange_rate),
        "foreignTotal": str(posting.foreign_total),
        "subsidiary": posting.subsidiary_id,
        "memo": posting.memo,
        "lines": [
            {
                "account": g.account_id,
                "debit": str(g.debit),
                "credit": str(g.credit),
                "subsidiary": g.subsidiary_id,
                "memo": g.memo,
                "entity": g.entity_id,
                "item": g.item_id,
                "quantity": None if g.quantity is None else str(g.quantity),
                "rate": None if g.rate is None else str(g.rate),
                "foreign": None if g.foreign_amount is None else str(g.foreign_amount),
                "mainline": g.mainline,
                "taxline": g.taxline,
            }
            for g in posting.lines
        ],
    }


def transaction_header(kind: str, rec: Record) -> dict[str, Any]:
    return {
        "id": int(rec["id"]),
        "tranid": rec.get("tranId"),
        "type": TYPE_CODES[kind],
        "recordtype": kind,
        "trandate": rec.get("tranDate"),
        "postingperiod": _id(rec.get("postingPeriod")),
        "entity": _id(rec.get("entity") or rec.get("customer")),
        "currency": _id(rec.get("currency")),
        "status": rec.get("_statusCode"),
        "externalid": rec.get("externalId"),
        "memo": rec.get("memo"),
        "duedate": rec.get("dueDate"),
        "createddate": (rec.get("createdDate") or "").rstrip("Z") or None,
        "lastmodifieddate": (rec.get("lastModifiedDate") or "").rstrip("Z") or None,
        "subsidiary": _id(rec.get("subsidiary")),
    }


def write(engine: SuiteQLEngine, kind: str, rec: Record) -> None:
    """Insert or replace ``rec``'s rows (inside the caller's engine transaction)."""
    if kind in TYPE_CODES:
        write_posting(engine, transaction_header(kind, rec), posting_of(rec))
        return
    rows = NON_TRANSACTION.get(kind)
    if rows is None:
        return
    for table, row in rows(rec):
        engine.upsert(table, row)


def remove(engine: SuiteQLEngine, kind: str, obj_id: str) -> None:
    if kind in TYPE_CODES:
        for table in ("transactionAccountingLine", "transactionLine", "transaction"):
            key = "transaction" if table != "transaction" else "id"
            engine.delete(table, {key: int(obj_id)})
        return
    name = TABLE_OF.get(kind)
    if name is not None:
        engine.delete(name, {"id": int(obj_id)})
