"""Direct statements (issue #18, the page path): SQL run through the driver itself, on the
session's own connection and inside its transaction, without SQLAlchemy's execution context.

Through the async engine each statement costs some 0.3-0.5 ms of Python on these cores before
the database sees it (an execution context, a result object, and on SQLite four hand-offs to
aiosqlite's thread: cursor, execute, fetch, close). A direct statement is one hand-off and a few
dozen microseconds, and none in a transaction of SQLite's writer (`INLINE`). The page path's
statements go this way; everything else keeps the ORM.

What does not change: the SQL is SQLAlchemy's own (a `Query` is a Core statement compiled once
per dialect, with its bind casts; an INSERT or UPDATE names the table's own columns), values go
through the column types' own bind and result processors (so a datetime, an enum or a JSON value
is stored exactly as the ORM stores it), and the statement runs in the transaction the session
already holds: never outside one, where the driver would commit it on its own. PostgreSQL's
driver begins lazily, at SQLAlchemy's first statement, on a connection just opened (a pooled
one has begun at its checkout, `db._ping`): a `Query` that comes first goes through SQLAlchemy
(which begins), an INSERT or UPDATE that comes first has it begin before.

The forms: `Query.rows` (async code: a Core statement with named `bindparam`s) and
`insert_rows_sync` / `update_row_sync` (code inside SQLAlchemy's greenlet: a session event,
`run_sync`). A driver's integrity error is raised as SQLAlchemy's `IntegrityError`, and the
engine's cursor events see each statement, as they see SQLAlchemy's own.

Mind: a direct `Query` does not write the session's staged rows first, as the ORM's statements
do (`staged`, "the session sees its own writes"); use one only where the rows the transaction
staged cannot change its answer: tokens, organisations, drills, rosters, an activation's log
head in the log keeper's appender; the year's count of activations, read before this request's
own is staged; page codes, whose transaction keeps the codes it gave (`pages.new_code`).

`write_sync` writes a transaction's staged rows at its commit in one round trip (PostgreSQL: one
statement of data-modifying WITH parts; SQLite: one hand-off to its thread).

Size: over 400 lines: one driver layer for reads, inserts, updates and the combined write, each
the compiled-SQL cache and processors of the others; split, each part would import the rest.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
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


# Set by `db` on the pool records of SQLite's writer connections (check_same_thread off): their
# transactions begin IMMEDIATE, holding the write lock, so a statement in one waits for no lock
# and is over in microseconds; it runs on the event loop's thread instead of being handed to
# aiosqlite's and back (each way a thread wake-up). aiosqlite's thread is idle meanwhile: the
# session awaited its last statement, and a session runs one statement at a time.
INLINE = "direct.inline"
INLINE_MAX_PARAMETERS = 2_000  # a larger statement still goes to the thread: the loop stays free


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
        # SQLite's writer, whose transactions hold the write lock from BEGIN: its statements
        # wait for no lock and run here, without the hand-off to aiosqlite's thread (`INLINE`)
        self.inline = not self.postgres and conn.connection.info.get(INLINE, False)

    def _here(self, parameters: int) -> bool:
        """Whether a statement runs on this thread (`INLINE`): a small one, in the writer's
        transaction; a large one still goes to aiosqlite's thread and leaves the loop free."""
        return self.inline and self.begun and parameters <= INLINE_MAX_PARAMETERS

    def begin_sync(self) -> None:
        if not self.begun:
            self.conn.exec_driver_sql("SELECT 1")
            self.begun = True

    def _before(self, sql: str, args: Sequence[Any]) -> None:
        # the engine's cursor events still see the statement (statement counts, profiles)
        if self.conn.dispatch.before_cursor_execute:
            self.conn.dispatch.before_cursor_execute(self.conn, None, sql, args, None, False)

    def _after(self, sql: str, args: Sequence[Any]) -> None:
        if self.conn.dispatch.after_cursor_execute:
            self.conn.dispatch.after_cursor_execute(self.conn, None, sql, args, None, False)

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        self._before(sql, args)
        try:
            if self.postgres:
                got = await self.raw.fetch(sql, *args)
            elif self._here(len(args)):
                got = self.raw._conn.execute(sql, args).fetchall()
            else:
                got = list(await self.raw.execute_fetchall(sql, args))
        except _DRIVER_ERRORS as exc:
            raise _as_sqlalchemy(exc, sql, args) from exc
        self._after(sql, args)
        return got

    async def fetch_many(self, statements: list[tuple[str, list[Any]]]) -> list[list[Any]]:
        """SQLite: several statements in one hand-off to aiosqlite's thread, in order."""
        for sql, args in statements:
            self._before(sql, args)
        conn = self.raw._conn  # aiosqlite's sqlite3 connection: used on aiosqlite's thread only

        def run() -> list[list[Any]]:
            out = []
            for sql, args in statements:
                try:
                    out.append(conn.execute(sql, args).fetchall())
                except sqlite3.Error as exc:
                    raise _as_sqlalchemy(exc, sql, args) from exc
            return out

        if self._here(sum(len(args) for _, args in statements)):
            got = run()
        else:
            got = await self.raw._execute(run)  # aiosqlite's own queue to its thread
        for sql, args in statements:
            self._after(sql, args)
        return got


_DRIVER_ERRORS = (sqlite3.Error, PostgresError, InterfaceError)


def _as_sqlalchemy(exc: Exception, sql: str, args: Sequence[Any]) -> DBAPIError:
    """A driver's error as SQLAlchemy raises it: callers retry on a taken key (`IntegrityError`)
    and report the others."""
    if isinstance(exc, (sqlite3.IntegrityError, IntegrityConstraintViolationError)):
        return IntegrityError(sql, args, exc)
    if isinstance(exc, sqlite3.OperationalError):
        return OperationalError(sql, args, exc)
    return DBAPIError(sql, args, exc)


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
        values, processed = _row_values(compiled)
        flat: list[Any] = []
        for row in batch:
            got = values(row)
            for i, proc in processed:  # only the columns whose type converts (dates, JSON)
                got[i] = proc(got[i])
            flat.extend(got)
        yield compiled, flat


def _row_values(
    compiled: _Compiled,
) -> tuple[Callable[[dict[str, Any]], list[Any]], list[tuple[int, Callable[[Any], Any]]]]:
    """A row's values in placeholder order (one C call), and which of them to convert."""
    pick = itemgetter(*compiled.params)
    one = len(compiled.params) == 1  # then `pick` returns the value itself, not a tuple

    def values(row: dict[str, Any]) -> list[Any]:
        return [pick(row)] if one else list(pick(row))

    return values, [(i, proc) for i, proc in enumerate(compiled.binds) if proc is not None]


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


@dataclass
class Insert:
    """Rows for `write_sync`: dicts with the same keys (column keys), and the columns to return."""

    table: Table
    rows: list[dict[str, Any]]
    returning: tuple[str, ...] = ()


_PLACEHOLDER = re.compile(r"\$(\d+)")


def _renumbered(sql: str, offset: int) -> str:
    """PostgreSQL's placeholders $1… moved up by `offset` (our SQL holds no literals)."""
    return _PLACEHOLDER.sub(lambda m: f"${int(m.group(1)) + offset}", sql) if offset else sql


# (the parts' SQL, the returning part) -> the WITH statement; the parts' strings are the cached
# ones, whose hashes Python keeps. Bounded: the row counts of each write make a new key.
_WITHS: dict[tuple, str] = {}
_MAX_WITHS = 512


def _with_statement(parts: list[tuple[_Compiled, list[Any]]], returning: int | None) -> str:
    """One PostgreSQL statement running each part, in order, as a data-modifying WITH query;
    it returns the rows of part `returning` (None: a single NULL)."""
    key = (*(c.sql for c, _ in parts), returning)
    sql = _WITHS.get(key)
    if sql is None:
        if len(_WITHS) >= _MAX_WITHS:
            _WITHS.clear()
        queries, offset = [], 0
        for n, (compiled, args) in enumerate(parts):
            queries.append(f"w{n} AS ({_renumbered(compiled.sql, offset)})")
            offset += len(args)
        out = "SELECT NULL" if returning is None else f"SELECT * FROM w{returning}"
        sql = _WITHS[key] = f"WITH {', '.join(queries)} {out}"
    return sql


def write_sync(
    session: Session,
    inserts: list[Insert],
    updates: Sequence[tuple[Table, Any, dict[str, Any]]] = (),
) -> list[list[tuple]]:
    """The INSERTs (in this order), then the UPDATEs (`update_row_sync`), in as few round trips
    as the database allows: on PostgreSQL one statement, its parts data-modifying WITH queries
    (a constraint is checked at the statement's end, so a row may refer to one inserted before
    it in the same statement); on SQLite one hand-off to the driver's thread. Returns each
    INSERT's RETURNING rows (in no promised order).

    A statement holds at most one INSERT whose rows are returned and some 30,000 parameters;
    an UPDATE of a table inserted into here runs after them in its own statement (the parts of
    one statement do not see each other's rows)."""
    out: list[list[tuple]] = [[] for _ in inserts]  # an INSERT without rows returns none
    if not any(i.rows for i in inserts) and not updates:
        return out
    driver = _Driver(session.connection())
    driver.begin_sync()
    dialect = driver.dialect
    # (insert's index or None, compiled, args) in order
    steps: list[tuple[int | None, _Compiled, list[Any]]] = [
        (n, compiled, args)
        for n, i in enumerate(inserts)
        if i.rows
        for compiled, args in _insert_statements(dialect, i.table, i.rows, i.returning)
    ]
    inserted = {i.table for i in inserts if i.rows}
    late: list[tuple[_Compiled, list[Any]]] = []
    for table, key, values in updates:
        compiled, args = _update_statement(dialect, table, key, values)
        if table in inserted:
            late.append((compiled, args))
        else:
            steps.append((None, compiled, args))
    steps.extend((None, compiled, args) for compiled, args in late)
    if not driver.postgres:
        got = await_(driver.fetch_many([(c.sql, args) for _, c, args in steps]))
        for (n, compiled, _), rows in zip(steps, got, strict=True):
            if n is not None and compiled.results:
                out[n].extend(_rows(compiled, rows))
        return out
    for group in _statements(steps, late):
        parts = [(c, args) for _, c, args in group]
        back = [k for k, (n, c, _) in enumerate(group) if n is not None and c.results]
        returning = back[0] if back else None
        flat = [value for _, args in parts for value in args]
        sql = parts[0][0].sql if len(parts) == 1 else _with_statement(parts, returning)
        rows = await_(driver.fetch(sql, flat))
        if returning is not None:
            n, compiled, _ = group[returning]
            out[n].extend(_rows(compiled, rows))  # type: ignore[index]
    return out


def _statements(
    steps: list[tuple[int | None, _Compiled, list[Any]]], late: list[tuple[_Compiled, list[Any]]]
) -> Iterator[list[tuple[int | None, _Compiled, list[Any]]]]:
    """`steps` cut into PostgreSQL statements, in order: at most one part returning rows and
    `_MAX_PARAMETERS` in each, and each late UPDATE a statement of its own."""
    first_late = len(steps) - len(late)
    group: list[tuple[int | None, _Compiled, list[Any]]] = []
    size, returns = 0, False
    for k, step in enumerate(steps):
        n, compiled, args = step
        returning = n is not None and bool(compiled.results)
        if group and (
            k >= first_late or size + len(args) > _MAX_PARAMETERS or (returning and returns)
        ):
            yield group
            group, size, returns = [], 0, False
        group.append(step)
        size += len(args)
        returns = returns or returning
    if group:
        yield group


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
