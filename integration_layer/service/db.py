"""One small async database interface over SQLite (default) and PostgreSQL (by URL).

SQL is written once with ``?`` placeholders and portable types; the PostgreSQL side
rewrites placeholders to ``%s``. Both support ``INSERT .. ON CONFLICT`` and
``UPDATE .. RETURNING``, which is all the inbox's leasing needs. SQLite runs inline
(calls take microseconds) behind one lock; PostgreSQL uses a small connection pool so
that several workers and several processes can lease rows concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

Row = dict[str, Any]
Params = Sequence[Any]

SCHEMA = """
CREATE TABLE IF NOT EXISTS connections (
    id TEXT PRIMARY KEY, config TEXT NOT NULL, created {real} NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
    id {serial}, connection TEXT NOT NULL, source TEXT NOT NULL, event_id TEXT NOT NULL,
    type TEXT NOT NULL, entity TEXT NOT NULL, payload TEXT NOT NULL, flow_id TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    waits INTEGER NOT NULL DEFAULT 0, next_at {real} NOT NULL,
    lease_owner TEXT, lease_until {real}, reason TEXT, detail TEXT,
    received {real} NOT NULL, finished {real}, copies INTEGER NOT NULL DEFAULT 1,
    UNIQUE (connection, source, event_id));
CREATE INDEX IF NOT EXISTS inbox_ready ON inbox (status, next_at);
CREATE TABLE IF NOT EXISTS entity_lease (
    connection TEXT NOT NULL, entity TEXT NOT NULL, owner TEXT NOT NULL,
    until {real} NOT NULL, PRIMARY KEY (connection, entity));
CREATE TABLE IF NOT EXISTS steps (
    flow_id TEXT NOT NULL, step TEXT NOT NULL, status TEXT NOT NULL, result TEXT,
    at {real} NOT NULL, PRIMARY KEY (flow_id, step));
CREATE TABLE IF NOT EXISTS links (
    connection TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (connection, kind, key));
CREATE TABLE IF NOT EXISTS cursors (
    connection TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (connection, name));
"""


class Tx(Protocol):
    """The statements of one transaction."""

    async def execute(self, sql: str, params: Params = ()) -> int: ...
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...


class Database(Protocol):
    """A database: single statements (autocommit) and explicit transactions."""

    dialect: str

    async def execute(self, sql: str, params: Params = ()) -> int: ...
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...
    def transaction(self) -> contextlib.AbstractAsyncContextManager[Tx]: ...
    async def close(self) -> None: ...


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        cur = self._conn.execute(sql, tuple(params))
        row = cur.fetchone()
        return dict(row) if row is not None else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return [dict(r) for r in self._conn.execute(sql, tuple(params)).fetchall()]


class SqliteDatabase:
    """SQLite in WAL mode; one connection, statements serialised by an asyncio lock."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode still survives a process crash (only a power cut can
            # lose the last transactions), which is the failure the tests inject.
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._lock = asyncio.Lock()
        self._tx = _SqliteTx(self._conn)
        self._conn.executescript(
            SCHEMA.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL")
        )

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._lock:
            return await self._tx.execute(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._lock:
            return await self._tx.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._lock:
            return await self._tx.fetchall(sql, params)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._tx
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    async def close(self) -> None:
        self._conn.close()


_PLACEHOLDER = re.compile(r"\?")


def _pg(sql: str) -> str:
    return _PLACEHOLDER.sub("%s", sql)


class _PgTx:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        cur = await self._conn.execute(_pg(sql), tuple(params))
        return int(cur.rowcount)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        cur = await self._conn.execute(_pg(sql), tuple(params))
        row = await cur.fetchone()
        return dict(row) if row is not None else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        cur = await self._conn.execute(_pg(sql), tuple(params))
        return [dict(r) for r in await cur.fetchall()]


class PostgresDatabase:
    """PostgreSQL through psycopg 3 (async), with a fixed-size connection pool."""

    dialect = "postgres"

    def __init__(self, url: str, size: int = 4) -> None:
        self._url = url
        self._size = size
        self._pool: asyncio.Queue[Any] = asyncio.Queue()
        self._conns: list[Any] = []

    async def open(self) -> PostgresDatabase:
        import psycopg  # an optional dependency: only PostgreSQL users need it
        from psycopg.rows import dict_row

        for _ in range(self._size):
            conn = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, row_factory=dict_row
            )
            self._conns.append(conn)
            self._pool.put_nowait(conn)
        async with self.transaction() as tx:
            # Serialise concurrent schema creation by several worker processes.
            await tx.execute("SELECT pg_advisory_xact_lock(7215)")
            for statement in SCHEMA.format(
                serial="BIGSERIAL PRIMARY KEY", real="DOUBLE PRECISION"
            ).split(";"):
                if statement.strip():
                    await tx.execute(statement)
        return self

    @contextlib.asynccontextmanager
    async def _conn(self) -> AsyncIterator[Any]:
        conn = await self._pool.get()
        try:
            yield conn
        finally:
            self._pool.put_nowait(conn)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._conn() as conn:
            return await _PgTx(conn).execute(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._conn() as conn:
            return await _PgTx(conn).fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._conn() as conn:
            return await _PgTx(conn).fetchall(sql, params)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self._conn() as conn, conn.transaction():
            yield _PgTx(conn)

    async def close(self) -> None:
        for conn in self._conns:
            await conn.close()


async def open_database(url: str) -> Database:
    """``sqlite:///path`` (or ``sqlite://:memory:``), or ``postgresql://...``."""
    if url.startswith(("postgresql://", "postgres://")):
        return await PostgresDatabase(url).open()
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://").removeprefix("/") or ":memory:"
        if url.startswith("sqlite:////"):
            path = "/" + path.lstrip("/")
        return SqliteDatabase(path)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")
