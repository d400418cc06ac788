"""The analytics tables and columns SuiteQL exposes, as the fake models them.

Column names follow NetSuite's analytics data source (the "Records Catalog").
Sources, where a name was confirmed in public material:

- ``transactionAccountingLine`` columns ``transaction, transactionline,
  account, debit, credit, amount, netamount, posting, accountingbook`` appear
  together in public SuiteQL (e.g. trial-balance queries joining
  ``tal.transactionline = tl.id AND tal.transaction = tl.transaction``, and
  ``NVL(tal.debit, 0) - NVL(tal.credit, 0)``), found with find_string
  "transactionAccountingLine".
- ``transactionLine`` columns ``id, entity, foreignamount, mainline,
  subsidiary, memo, netamount, quantity, rate, item, linesequencenumber,
  taxline``: a field listing of a live sandbox's TransactionLine table in
  public code lists ``entity``, ``foreignamount``, ``id`` among others; the
  rest are from the brief and are unverified.
- ``transaction.subsidiary`` is NOT exposed to SuiteQL (the line carries the
  subsidiary): "Field 'subsidiary' for record 'transaction' was not found.
  Reason: NOT_EXPOSED" is quoted from live use in an Orderful NetSuite skill.
  The fake stores it (the record layer may find it handy) but refuses to let
  a query read it, as NetSuite does.
- ``transaction.type`` values ``CustInvc``, ``SalesOrd`` ...; booleans are the
  strings ``'T'``/``'F'``; names are case-insensitive and come back lower-case
  (SuitePortal's "SuiteQL Gotchas", cli.suiteportal.io).
- ``account.accttype`` values ``Bank, AcctRec, Income, DeferRevenue,
  OthCurrLiab, Expense, Equity, AcctPay, LongTermLiab, RetainedEarnings``
  appear in public SuiteQL balance-sheet queries.
- customer/account/subsidiary/accountingPeriod/item/currency column lists are
  from the brief plus names seen in public queries (``email``,
  ``accountsearchdisplaynamecopy``, ``isinactive``); otherwise unverified.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ColumnType(Enum):
    """How a column is stored in SQLite and rendered back."""

    ID = "id"  # internal ids and references to other records (INTEGER)
    TEXT = "text"
    BOOL = "bool"  # 'T' / 'F'
    DATE = "date"  # ISO yyyy-mm-dd text, so that text order is date order
    DATETIME = "datetime"  # ISO yyyy-mm-ddThh:mm:ss text
    # Money is stored as an INTEGER count of 1/10**MONEY_SCALE units, so that
    # SUM over any number of lines is exact integer arithmetic in SQLite.
    MONEY = "money"
    NUMBER = "number"  # rates, quantities, exchange rates (REAL): never money

    @property
    def sqlite_type(self) -> str:
        if self in (ColumnType.ID, ColumnType.MONEY):
            return "INTEGER"
        if self is ColumnType.NUMBER:
            return "REAL"
        return "TEXT"


# Two implied decimals covers every currency the ledger supports (JPY has 0).
MONEY_SCALE = 2


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    exposed: bool = True  # False: stored, but SuiteQL refuses to read it


@dataclass(frozen=True)
class Table:
    name: str  # canonical spelling, as the Records Catalog writes it
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    def column(self, name: str) -> Column | None:
        lowered = name.lower()
        for column in self.columns:
            if column.name == lowered:
                return column
        return None

    @property
    def public_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.exposed)


def _cols(spec: str) -> tuple[Column, ...]:
    out = []
    for item in spec.split():
        name, kind = item.split(":")
        hidden = kind.endswith("!")
        out.append(Column(name, ColumnType(kind.rstrip("!")), exposed=not hidden))
    return tuple(out)


TABLES: dict[str, Table] = {
    t.name.lower(): t
    for t in (
        Table(
            "transaction",
            _cols(
                "id:id tranid:text type:text recordtype:text trandate:date "
                "postingperiod:id entity:id currency:id exchangerate:number "
                "foreigntotal:money status:text posting:bool externalid:text "
                "memo:text duedate:date createddate:datetime "
                "lastmodifieddate:datetime subsidiary:id!"
            ),
            key=("id",),
            indexes=(("type",), ("entity",), ("postingperiod",), ("externalid",)),
        ),
        Table(
            "transactionLine",
            _cols(
                "transaction:id id:id linesequencenumber:id mainline:bool "
                "item:id quantity:number rate:number foreignamount:money "
                "netamount:money subsidiary:id entity:id memo:text taxline:bool"
            ),
            key=("transaction", "id"),
            indexes=(("subsidiary",), ("item",)),
        ),
        Table(
            "transactionAccountingLine",
            _cols(
                "transaction:id transactionline:id account:id debit:money "
                "credit:money amount:money netamount:money posting:bool "
                "accountingbook:id"
            ),
            key=("transaction", "transactionline", "accountingbook"),
            indexes=(("account",),),
        ),
        Table(
            "customer",
            _cols(
                "id:id entityid:text companyname:text email:text externalid:text "
                "subsidiary:id currency:id terms:id isinactive:bool "
                "datecreated:datetime lastmodifieddate:datetime"
            ),
            key=("id",),
            indexes=(("externalid",),),
        ),
        Table(
            "account",
            _cols(
                "id:id acctnumber:text accountsearchdisplayname:text "
                "accountsearchdisplaynamecopy:text fullname:text accttype:text "
                "currency:id issummary:bool isinactive:bool"
            ),
            key=("id",),
            indexes=(("accttype",),),
        ),
        Table(
            "subsidiary",
            _cols(
                "id:id name:text currency:id parent:id country:text "
                "iselimination:bool isinactive:bool"
            ),
            key=("id",),
        ),
        Table(
            "accountingPeriod",
            _cols(
                "id:id periodname:text startdate:date enddate:date closed:bool "
                "alllocked:bool isquarter:bool isyear:bool isadjust:bool"
            ),
            key=("id",),
        ),
        Table(
            "item",
            _cols(
                "id:id itemid:text displayname:text itemtype:text incomeaccount:id isinactive:bool"
            ),
            key=("id",),
        ),
        Table(
            "currency",
            _cols("id:id symbol:text name:text exchangerate:number"),
            key=("id",),
        ),
    )
}


def lookup(name: str) -> Table | None:
    """The table called ``name`` in any letter case, or None."""
    return TABLES.get(name.lower())


def ddl() -> list[str]:
    """CREATE TABLE and CREATE INDEX statements for the whole schema."""
    statements = []
    for table in TABLES.values():
        columns = ", ".join(f'"{c.name}" {c.type.sqlite_type}' for c in table.columns)
        key = ", ".join(f'"{k}"' for k in table.key)
        statements.append(f'CREATE TABLE "{table.name}" ({columns}, PRIMARY KEY ({key}))')
        for index in table.indexes:
            cols = ", ".join(f'"{c}"' for c in index)
            name = f"ix_{table.name}_{'_'.join(index)}"
            statements.append(f'CREATE INDEX "{name}" ON "{table.name}" ({cols})')
    # Covering index for the trial balance: account -> amounts, and the join
    # from a ledger line to its transaction line (for the line's subsidiary).
    statements.append(
        'CREATE INDEX "ix_tal_line" ON "transactionAccountingLine" '
        '("transaction", "transactionline")'
    )
    return statements
