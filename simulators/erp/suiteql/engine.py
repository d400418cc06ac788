"""The SuiteQL engine: an in-memory SQLite database with NetSuite's tables."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from simulators.engine.offload import Budget, BudgetExceeded

from . import errors, functions, translator
from .tables import ColumnType, Table, ddl, lookup
from .translate import OutputColumn, Translation, translate
from .values import render_date, render_datetime, render_fixed, render_float, to_storage

# SuiteQL over REST pages at most 1000 rows, 1000 by default (Oracle,
# "Collection Paging", docs.oracle.com ... section_156414087576.html), and a
# query returns at most 100,000 results in all (Oracle, "Executing SuiteQL
# Queries Through REST Web Services", section_157909186990.html).
MAX_LIMIT = 1000
DEFAULT_LIMIT = 1000
MAX_RESULTS = 100_000

# What one query may cost (engine.offload.Budget): wall seconds, and SQLite virtual
# machine steps (counted as rows: a row looked at costs at least one). Steps bound a
# query the same way on any machine; seconds bound it on a busy one. An 8-way cross join
# of a few accounts (issue 18: 35 s) stops within them. A fake's settings may change
# them: extra = {query_seconds = ..., query_steps = ...}.
QUERY_SECONDS = 10.0
QUERY_STEPS = 2_000_000_000


def query_budget(extra: Mapping[str, Any]) -> Budget:
    return Budget(seconds=float(extra.get("query_seconds", QUERY_SECONDS)),
                  rows=int(extra.get("query_steps", QUERY_STEPS)))


# What a SELECT may make SQLite do; anything else (ATTACH, PRAGMA, writes) is
# denied at the SQLite level too, whatever got past the parser.
_ALLOWED_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}


@dataclass(frozen=True)
class SuiteQLPage:
    """One page of results: items already rendered as NetSuite renders them."""

    items: list[dict[str, Any]]
    total_results: int
    has_more: bool


class SuiteQLEngine:
    """NetSuite's analytics tables in SQLite, written by the record layer and
    read through SuiteQL.

    Thread-safe: one lock serialises writes, transactions and queries.
    """

    def __init__(self, *, date_format: str = "M/D/YYYY", allow_with: bool = False) -> None:
        self.date_format = date_format
        self.allow_with = allow_with
        self._lock = threading.RLock()
        self._depth = 0
        self._version = 0  # counts writes: a snapshot of an older version is stale
        self._snapshot: tuple[int, bytes] | None = None
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        functions.register(self._db)
        for statement in ddl():
            self._db.execute(statement)

    # -- writes ---------------------------------------------------------------

    def upsert(self, table: str, row: Mapping[str, Any]) -> None:
        """Insert ``row`` or update the columns it names, keyed by the primary key."""
        spec = _table(table)
        stored = _stored_row(spec, row)
        missing = [k for k in spec.key if stored.get(k) is None]
        if missing:
            raise ValueError(f"{spec.name}: key column(s) missing: {', '.join(missing)}")
        names = list(stored)
        columns = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        key = ", ".join(f'"{k}"' for k in spec.key)
        updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names if n not in spec.key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        sql = f'INSERT INTO "{spec.name}" ({columns}) VALUES ({marks}) ON CONFLICT ({key}) {action}'
        with self._lock:
            self._version += 1
            self._db.execute(sql, [stored[n] for n in names])

    def upsert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Upsert each row, all or none."""
        with self.transaction():
            for row in rows:
                self.upsert(table, row)

    def delete(self, table: str, key: Mapping[str, Any]) -> int:
        """Delete the rows matching every column in ``key``; returns how many."""
        spec = _table(table)
        if not key:
            raise ValueError("delete needs at least one key column")
        stored = _stored_row(spec, key)
        where = " AND ".join(f'"{n}" = ?' for n in stored)
        with self._lock:
            self._version += 1
            cursor = self._db.execute(
                f'DELETE FROM "{spec.name}" WHERE {where}', list(stored.values())
            )
            return cursor.rowcount

    @contextmanager
    def transaction(self) -> Iterator[SuiteQLEngine]:
        """All writes inside land together, or none do if the block raises.

        Nests (savepoints). Holds the engine's lock for the whole block, so
        readers never see half a transaction.
        """
        with self._lock:
            name = f"sp{self._depth}"
            self._db.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._version += 1
                self._depth -= 1
                self._db.execute(f"ROLLBACK TO {name}")
                self._db.execute(f"RELEASE {name}")
                raise
            self._depth -= 1
            self._db.execute(f"RELEASE {name}")

    # -- reads ----------------------------------------------------------------

    def translate(self, q: str) -> Translation:
        """The SQLite translation of ``q`` (for diagnostics and tests)."""
        return translate(q, allow_with=self.allow_with)

    def query(self, q: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0,
              budget: Budget | None = None) -> SuiteQLPage:
        """Run SuiteQL ``q`` and return the page at ``offset`` (here, in this thread)."""
        return self.prepare(q, limit=limit, offset=offset, budget=budget)()

    def prepare(self, q: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0,
                budget: Budget | None = None) -> Callable[[], SuiteQLPage]:
        """Check the paging parameters now; return the run (translation and query),
        which may happen in another thread (``engine.offload``): it reads a snapshot of
        the database as it is now, on a connection of its own, so writes never wait for
        it and it never sees half of one. It stops at ``budget`` (time, and SQLite VM
        steps as rows)."""
        if not 1 <= limit <= MAX_LIMIT:
            # NetSuite's wording for an out-of-range limit is unverified.
            raise errors.SuiteQLError(
                f"Invalid value for the 'limit' parameter: {limit}. "
                f"It must be between 1 and {MAX_LIMIT}.",
                query_param="limit",
            )
        if offset < 0:
            raise errors.SuiteQLError(
                f"Invalid value for the 'offset' parameter: {offset}.", query_param="offset"
            )
        image = self._image()
        budget = budget or Budget()

        def run() -> SuiteQLPage:
            # Translating is pure Python over the query alone, and a long query (500
            # ORs: ~0.25 s) takes a while: it runs in another process (translator).
            translation = translator.translate(q, allow_with=self.allow_with)
            db = self._reader(image)
            try:
                total, rows = _run(db, translation.sql, limit, offset, budget.start())
            finally:
                db.close()
            total = min(total, MAX_RESULTS)
            items = [self._render(translation.columns, row) for row in rows]
            return SuiteQLPage(items=items, total_results=total,
                               has_more=offset + len(rows) < total)
        return run

    def _image(self) -> bytes:
        """The database as it is now, serialised (kept until the next write)."""
        with self._lock:
            if self._snapshot is None or self._snapshot[0] != self._version:
                self._snapshot = (self._version, self._db.serialize())
            return self._snapshot[1]

    def _reader(self, image: bytes) -> sqlite3.Connection:
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        db.deserialize(image)
        functions.register(db)
        for limit, value in _SQLITE_LIMITS.items():
            db.setlimit(limit, value)
        db.set_authorizer(_authorize)
        return db

    def _render(self, columns: tuple[OutputColumn, ...], row: tuple[Any, ...]) -> dict[str, Any]:
        item: dict[str, Any] = {"links": []}
        for column, value in zip(columns, row, strict=True):
            if value is None:
                continue
            item[column.name] = self._render_value(column, value)
        return item

    def _render_value(self, column: OutputColumn, value: Any) -> str:
        kind = column.kind
        if kind.scale is not None and isinstance(value, int):
            return render_fixed(value, kind.scale)
        if isinstance(value, float):
            return render_float(value)
        if kind.temporal is ColumnType.DATE and isinstance(value, str):
            return render_date(value, self.date_format)
        if kind.temporal is ColumnType.DATETIME and isinstance(value, str):
            return render_datetime(value, self.date_format)
        return str(value)


def _table(name: str) -> Table:
    spec = lookup(name)
    if spec is None:
        raise ValueError(f"unknown table: {name}")
    return spec


def _stored_row(spec: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for name, value in row.items():
        column = spec.column(name)
        if column is None:
            raise ValueError(f"{spec.name}: unknown column {name!r}")
        stored[column.name] = to_storage(column, value)
    return stored


def _authorize(action: int, _arg1: object, arg2: object, *_rest: object) -> int:
    if action not in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and not functions.allowed(str(arg2)):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


# Bounds on what one query may build in memory: no value over 1 MB (SQLite's default
# is 1 GB: randomblob(50000000) over three rows added ~890 MiB, issue 18), at most 100
# SELECTs in one UNION. SQLite's own bound on expression depth (1000) stays.
_SQLITE_LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: 1_000_000,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 100,
}

# SQLite calls the progress handler every this many virtual machine steps.
_STEPS_PER_CHECK = 10_000


def _run(db: sqlite3.Connection, inner: str, limit: int, offset: int,
         budget: Budget) -> tuple[int, list[tuple[Any, ...]]]:
    def progress() -> int:
        # Counted as rows: one SQLite step per row looked at is the least a row costs.
        try:
            budget.check(_STEPS_PER_CHECK)
        except BudgetExceeded:
            return 1  # SQLite stops the statement: OperationalError("interrupted")
        return 0

    db.set_progress_handler(progress, _STEPS_PER_CHECK)
    try:
        (total,) = db.execute(f"SELECT COUNT(*) FROM ({inner})").fetchone()
        rows = db.execute(f"SELECT * FROM ({inner}) LIMIT ? OFFSET ?", (limit, offset)).fetchall()
    except sqlite3.Error as exc:
        if budget.seen > budget.rows or budget.spent():
            raise errors.too_long() from None
        raise _sqlite_error(exc) from None
    return total, rows


def _sqlite_error(exc: sqlite3.Error) -> errors.SuiteQLError:
    # Whatever SQLite refuses after translation (ambiguous names, type
    # errors, integer overflow, a function NetSuite does not document) NetSuite
    # would refuse too, in its own words.
    return errors.unsupported()
