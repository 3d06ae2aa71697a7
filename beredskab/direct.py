"""Direct statements (issue #18, the page path): SQL run through the driver itself, on the
session's own connection and inside its transaction, without SQLAlchemy's execution context.

Through the async engine each statement costs some 0.3-0.5 ms of Python on these cores before
the database sees it (an execution context, a result object, and on SQLite four hand-offs to
aiosqlite's thread: cursor, execute, fetch, close). A direct statement is one hand-off and a few
dozen microseconds. The page path's statements go this way; everything else keeps the ORM.

What does not change: the SQL is SQLAlchemy's own (a `Query` is a Core statement compiled once
per dialect, with its bind casts; an INSERT or UPDATE names the table's own columns), values go
through the column types' own bind and result processors (so a datetime, an enum or a JSON value
is stored exactly as the ORM stores it), and the statement runs in the transaction the session
already holds: never outside one, where the driver would commit it on its own. PostgreSQL's
driver begins lazily, at SQLAlchemy's first statement: a `Query` that comes first goes through
SQLAlchemy (which begins), an INSERT or UPDATE that comes first has it begin before.

The forms: `Query.rows` (async code: a Core statement with named `bindparam`s) and
`insert_rows_sync` / `update_row_sync` (code inside SQLAlchemy's greenlet: a session event,
`run_sync`). A driver's integrity error is raised as SQLAlchemy's `IntegrityError`, and the
engine's cursor events see each statement, as they see SQLAlchemy's own.

Mind: a direct `Query` does not write the session's staged rows first, as the ORM's statements
do (`staged`, "the session sees its own writes"); use one only on tables whose rows the
transaction does not stage (those of the page path: tokens, organisations, activations' count,
drills, rosters, page codes, an activation's log head in the log keeper's appender).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from asyncpg.exceptions import (
    IntegrityConstraintViolationError,
    InterfaceError,
    PostgresError,
)
from sqlalchemy import Column, Table, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import Executable
from sqlalchemy.util import await_

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[str, ...]  # bind names in placeholder order
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    fixed: dict[str, Any]  # the statement's own values (a LIMIT's, a literal's)


def _bind(type_: Any, dialect: Dialect) -> Processor:
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _result(type_: Any, dialect: Dialect) -> Processor:
    return type_.dialect_impl(dialect).result_processor(dialect, None)


def _is_postgres(dialect: Dialect) -> bool:
    return dialect.name == "postgresql"


class _Driver:
    """The driver connection under a SQLAlchemy connection (in its transaction), and how to run
    a statement on it."""

    def __init__(self, conn: Connection) -> None:
        if not conn.in_transaction():
            raise RuntimeError("a direct statement needs the session's transaction begun")
        self.dialect = conn.dialect
        self.raw = conn.connection.driver_connection
        self.postgres = _is_postgres(self.dialect)
        # the async drivers begin lazily, at SQLAlchemy's first statement: until then, the
        # driver would run ours outside the transaction (SQLite begins at once, BEGIN IMMEDIATE)
        self.begun = self.raw.is_in_transaction() if self.postgres else self.raw.in_transaction
        self.conn = conn

    def begin_sync(self) -> None:
        if not self.begun:
            self.conn.exec_driver_sql("SELECT 1")
            self.begun = True

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        # the engine's cursor events still see the statement (statement counts, profiles)
        dispatch = self.conn.dispatch
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(self.conn, None, sql, args, None, False)
        try:
            if self.postgres:
                got = await self.raw.fetch(sql, *args)
            else:
                got = list(await self.raw.execute_fetchall(sql, args))
        # raised as SQLAlchemy raises them: callers retry on a taken key, report the others
        except (sqlite3.IntegrityError, IntegrityConstraintViolationError) as exc:
            raise IntegrityError(sql, args, exc) from exc
        except sqlite3.OperationalError as exc:
            raise OperationalError(sql, args, exc) from exc
        except (sqlite3.Error, PostgresError, InterfaceError) as exc:
            raise DBAPIError(sql, args, exc) from exc
        if dispatch.after_cursor_execute:
            dispatch.after_cursor_execute(self.conn, None, sql, args, None, False)
        return got


def _args(compiled: _Compiled, values: dict[str, Any]) -> list[Any]:
    if compiled.fixed:
        values = {**compiled.fixed, **values}
    return [
        proc(values[name]) if proc is not None else values[name]
        for name, proc in zip(compiled.params, compiled.binds, strict=True)
    ]


def _rows(compiled: _Compiled, got: list[Any]) -> list[tuple]:
    if not any(compiled.results):
        return [tuple(row) for row in got]
    return [
        tuple(
            proc(value) if proc is not None else value
            for proc, value in zip(compiled.results, row, strict=True)
        )
        for row in got
    ]


class Query:
    """A Core statement with named `bindparam`s, compiled once per dialect and run directly."""

    def __init__(self, build: Callable[[], Executable]) -> None:
        self._build = build
        self._statement: Executable | None = None
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self._build()
            c = statement.compile(dialect=dialect)
            names = tuple(c.positiontup or ())
            compiled = _Compiled(
                sql=str(c),
                params=names,
                binds=tuple(_bind(c.binds[n].type, dialect) for n in names),
                results=tuple(
                    _result(col.type, dialect) for col in getattr(statement, "selected_columns", ())
                ),
                fixed={n: b.value for n, b in c.binds.items() if not b.required},
            )
            self._compiled[dialect.name] = compiled
        return compiled

    async def rows_on(self, conn: AsyncConnection, **values: Any) -> list[tuple]:
        """`rows` for async code holding a connection (in its transaction, or its first)."""
        driver = _Driver(conn.sync_connection)
        if not driver.begun:  # its first statement: through SQLAlchemy, which begins
            if self._statement is None:
                self._statement = self._build()
            return [tuple(row) for row in (await conn.execute(self._statement, values)).all()]
        return await self._fetch(driver, values)

    async def rows(self, session: AsyncSession, **values: Any) -> list[tuple]:
        held = session.info.get(_HELD)
        if held is not None and held[0] is session.sync_session.get_transaction():
            return await self._fetch(held[1], values)
        conn = await session.connection()
        got = await self.rows_on(conn, **values)
        # begun now: held for the rest of this transaction
        session.info[_HELD] = (
            session.sync_session.get_transaction(),
            _Driver(conn.sync_connection),
        )
        return got

    async def _fetch(self, driver: _Driver, values: dict[str, Any]) -> list[tuple]:
        compiled = self._for(driver.dialect)
        return _rows(compiled, await driver.fetch(compiled.sql, _args(compiled, values)))


# a session's driver for its current transaction: asking SQLAlchemy for the connection each
# time costs a greenlet switch (the transaction object tells a later transaction's apart)
_HELD = "direct.driver"


@event.listens_for(Session, "after_transaction_end")
def _let_go(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the connection goes back to the pool: hold on to nothing
        session.info.pop(_HELD, None)


_INSERTS: dict[tuple, _Compiled] = {}


def _insert_sql(
    dialect: Dialect, table: Table, columns: tuple[Column, ...], n: int, returning: tuple
) -> _Compiled:
    key = (dialect.name, table.name, tuple(c.key for c in columns), n, returning)
    compiled = _INSERTS.get(key)
    if compiled is None:
        quote = dialect.identifier_preparer.quote
        postgres = _is_postgres(dialect)
        width = len(columns)
        rows = ", ".join(
            "("
            + ", ".join(f"${r * width + i + 1}" if postgres else "?" for i in range(width))
            + ")"
            for r in range(n)
        )
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) "
            f"VALUES {rows}"
        )
        out = [table.c[name] for name in returning]
        if out:
            sql += " RETURNING " + ", ".join(quote(c.name) for c in out)
        compiled = _Compiled(
            sql=sql,
            params=tuple(c.key for c in columns),
            binds=tuple(_bind(c.type, dialect) for c in columns),
            results=tuple(_result(c.type, dialect) for c in out),
            fixed={},
        )
        _INSERTS[key] = compiled
    return compiled


# the most rows in one INSERT: well within SQLite's 32,766 and PostgreSQL's 32,767 parameters
_MAX_PARAMETERS = 30_000


def _insert_statements(
    dialect: Dialect, table: Table, rows: list[dict[str, Any]], returning: tuple[str, ...]
) -> Iterator[tuple[_Compiled, list[Any]]]:
    columns = tuple(table.c[key] for key in rows[0])
    per = max(1, _MAX_PARAMETERS // len(columns))
    for start in range(0, len(rows), per):
        batch = rows[start : start + per]
        compiled = _insert_sql(dialect, table, columns, len(batch), returning)
        flat: list[Any] = []
        for row in batch:
            for key, proc in zip(compiled.params, compiled.binds, strict=True):
                value = row[key]
                flat.append(proc(value) if proc is not None else value)
        yield compiled, flat


def insert_rows_sync(
    session: Session, table: Table, rows: list[dict[str, Any]], returning: Iterable[str] = ()
) -> list[tuple]:
    """INSERT `rows` (dicts with the same keys, column keys) in as few statements as fit;
    the RETURNING rows when `returning` names columns (in no promised order)."""
    if not rows:
        return []
    driver = _Driver(session.connection())
    driver.begin_sync()
    out: list[tuple] = []
    for compiled, args in _insert_statements(driver.dialect, table, rows, tuple(returning)):
        out.extend(_rows(compiled, await_(driver.fetch(compiled.sql, args))))
    return out


async def _begun(conn: AsyncConnection) -> _Driver:
    driver = _Driver(conn.sync_connection)
    if not driver.begun:
        await conn.exec_driver_sql("SELECT 1")
        driver.begun = True
    return driver


async def insert_rows(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """`insert_rows_sync` for async code holding a connection (no RETURNING)."""
    if rows:
        driver = await _begun(conn)
        for compiled, args in _insert_statements(driver.dialect, table, rows, ()):
            await driver.fetch(compiled.sql, args)


_UPDATES: dict[tuple, _Compiled] = {}


def _update_statement(
    dialect: Dialect, table: Table, key: Any, values: dict[str, Any]
) -> tuple[_Compiled, list[Any]]:
    (pk,) = table.primary_key.columns
    columns = tuple(table.c[name] for name in values)
    cache_key = (dialect.name, table.name, tuple(values))
    compiled = _UPDATES.get(cache_key)
    if compiled is None:
        quote = dialect.identifier_preparer.quote
        postgres = _is_postgres(dialect)
        mark = (lambda i: f"${i + 1}") if postgres else (lambda i: "?")
        sets = ", ".join(f"{quote(c.name)} = {mark(i)}" for i, c in enumerate(columns))
        sql = f"UPDATE {quote(table.name)} SET {sets} WHERE {quote(pk.name)} = {mark(len(columns))}"
        every = (*columns, pk)
        compiled = _Compiled(
            sql=sql,
            params=tuple(c.key for c in every),
            binds=tuple(_bind(c.type, dialect) for c in every),
            results=(),
            fixed={},
        )
        _UPDATES[cache_key] = compiled
    return compiled, _args(compiled, {**values, pk.key: key})


def update_row_sync(session: Session, table: Table, key: Any, values: dict[str, Any]) -> None:
    """UPDATE the row of `table` whose primary key is `key`: set `values` (column keys)."""
    driver = _Driver(session.connection())
    driver.begin_sync()
    compiled, args = _update_statement(driver.dialect, table, key, values)
    await_(driver.fetch(compiled.sql, args))


async def update_row(conn: AsyncConnection, table: Table, key: Any, values: dict[str, Any]) -> None:
    """`update_row_sync` for async code holding a connection."""
    driver = await _begun(conn)
    compiled, args = _update_statement(driver.dialect, table, key, values)
    await driver.fetch(compiled.sql, args)
