"""Async database engine and sessions for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Table, bindparam, event, func, select
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import IntegrityError, InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.util import await_
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import direct

SQLITE_BUSY_TIMEOUT_MS = 10_000

# keys of PostgreSQL advisory locks (`serialise`): one per thing that must be done one at a time
DRILL_SCHEDULE_LOCK = 1516
ACTIVATION_REF_LOCK = 1517


def on_postgres(session: AsyncSession) -> bool:
    """Whether `session` works on PostgreSQL (else SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


async def serialise(session: AsyncSession, key: int) -> None:
    """Hold `key` until this session's transaction ends, so transactions taking the same key run
    one after another from here (PostgreSQL's advisory transaction lock; SQLite's write
    transactions are serialised already, from BEGIN IMMEDIATE)."""
    if on_postgres(session):
        await _ADVISORY_LOCK.rows(session, key=int(key))


def advisory_lock():  # noqa: ANN201 - a column
    """`serialise`'s lock as a column (bind `key`), for a statement that reads something else."""
    return func.pg_advisory_xact_lock(bindparam("key"))


_ADVISORY_LOCK = direct.Query(lambda: select(advisory_lock()))


def taken_key(exc: IntegrityError, table: str) -> bool:
    """Whether `exc` is a unique key of `table` already taken (by a concurrent writer: a retry
    may find another). Any other violation is a fault, not a race: a row a foreign key names
    that is missing, a NOT NULL, or a unique key of another table (a page's, a call-out's);
    retried, it would fail the same way and its cause would be hidden."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) is not None:  # PostgreSQL: asyncpg's, or the adapter's
        error = orig if hasattr(orig, "table_name") else orig.__cause__
        return orig.sqlstate == "23505" and getattr(error, "table_name", None) == table
    return str(orig).startswith(f"UNIQUE constraint failed: {table}.")  # SQLite


# Unique indexes that two transactions meet only by racing each other: each checked first and
# saw no holder, the other's row not committed yet. A new try of the use case draws another
# value, so `unit_of_work` turns such an error into `errors.TryAgain`. (index, table, columns)
_RACES: set[tuple[str, str, tuple[str, ...]]] = set()


def may_race(table: Table, index_name: str) -> None:
    """Register `table`'s unique index `index_name` as one that only a race can violate."""
    index = next(i for i in table.indexes if i.name == index_name)
    _RACES.add((index_name, table.name, tuple(c.name for c in index.columns)))


def raced(exc: BaseException) -> bool:
    """Whether `exc` is a unique index registered with `may_race` that met a row already there."""
    if not isinstance(exc, IntegrityError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) is not None:  # PostgreSQL: asyncpg's, or the adapter's
        # the adapter's error keeps the driver's as `orig` (and as its cause)
        error = orig if hasattr(orig, "constraint_name") else getattr(orig, "orig", None)
        name = getattr(error or orig.__cause__, "constraint_name", None)
        return orig.sqlstate == "23505" and any(name == race[0] for race in _RACES)
    failed = str(orig)  # SQLite names the columns, not the index
    return any(
        failed == "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns)
        for _, table, columns in _RACES
    )


_WAL = "db.wal"


def _sqlite_pragmas(dbapi_connection, record) -> None:  # noqa: ANN001 - DB-API object
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    (mode,) = cursor.fetchone()  # the mode SQLite took: it may refuse WAL (`_writer_inline`)
    record.info[_WAL] = str(mode).lower() == "wal"
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE (below) instead of the driver's lazy
    # BEGIN: a transaction that reads and then writes must hold the write lock from its start,
    # or two of them read the same state and one fails at its first write.
    dbapi_connection.isolation_level = None


def _writer_inline(_dbapi_connection, record) -> None:  # noqa: ANN001 - pool objects
    """The writer's statements may run on the loop's thread (`direct.INLINE`) only in WAL mode,
    where a transaction begun IMMEDIATE takes no other lock; were `journal_mode=WAL` refused (a
    network file system), a write could wait in the busy handler for a reader's lock."""
    record.info[direct.INLINE] = record.info[_WAL]


def _sqlite_begin_immediate(conn) -> None:  # noqa: ANN001 - SQLAlchemy Connection
    _sqlite_begin(conn, "BEGIN IMMEDIATE")


def _sqlite_begin_deferred(conn) -> None:  # noqa: ANN001 - SQLAlchemy Connection
    _sqlite_begin(conn, "BEGIN")


def _sqlite_begin(conn, sql: str) -> None:  # noqa: ANN001 - SQLAlchemy Connection
    """Straight to aiosqlite: one hand-off to its thread, where a statement through SQLAlchemy
    takes four (cursor, execute, fetch, close); every transaction begins here."""
    await_(conn.connection.driver_connection.execute_fetchall(sql))


SQLITE_READ_POOL = 4  # connections for requests that only read, beside the one writer


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    if url.startswith("sqlite"):
        # SQLite has one writer, and our transactions take the write lock at BEGIN; with one
        # pooled connection a process's transactions queue on the (asyncio) pool instead of on
        # the file lock, whose busy handler sleeps in steps of up to 100 ms. Other processes
        # still wait on the file lock (busy_timeout). So: never hold a session and await another.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 60)
        engine = create_async_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "connect", _writer_inline)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # LIFO: a burst reuses the few connections that are warm (asyncpg keeps prepared statements
    # per connection) instead of cycling through every pooled one cold; p50 of a volunteer
    # reply in the call-out storm went from ~150 ms to ~13 ms.
    kwargs.setdefault("pool_use_lifo", True)
    engine = create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine.sync_engine.pool, "connect", _fresh)
        event.listen(engine.sync_engine.pool, "checkout", _ping)
    return engine


_FRESH = "db.fresh"


def _fresh(_dbapi_connection, record) -> None:  # noqa: ANN001 - pool objects
    record.info[_FRESH] = True  # just connected: nothing to try before its first use


# SQLAlchemy's asyncpg adapter begins a transaction with this private method (at the first
# statement); a version without it gets the empty statement below as its try
_BEGIN = "_start_transaction"
_BEGINS = hasattr(AsyncAdapt_asyncpg_connection, _BEGIN)


def _ping(dbapi_connection, record, _proxy) -> None:  # noqa: ANN001 - pool objects
    """A pooled PostgreSQL connection is tried before each use, so a database restarted (or a
    connection dropped) costs no request an error: as with SQLAlchemy's `pool_pre_ping`, a
    failed try replaces it and every connection pooled before it (`InvalidatePoolError`: after
    a restart they are all dead).

    The try is the transaction's own BEGIN, sent now instead of with the first statement (as
    asyncpg's adapter would): every use of a connection here begins a transaction (sessions and
    connections begin on their own), and one that does nothing is rolled back when the
    connection goes back to the pool. So the try costs no round trip of its own. Mind: none of
    our code sets read-only or deferrable on a connection, which the adapter would apply only
    from its next BEGIN (an isolation level rolls this one back and applies at once). An
    autocommit connection, which begins nothing, is tried with an empty statement.
    `pool_pre_ping` takes three round trips with asyncpg (BEGIN, the ping, ROLLBACK), which P1
    paid on every request (issue #18). Its BEGIN is there for pgbouncer in transaction mode,
    which this service is not deployed behind (README)."""
    if record.info.pop(_FRESH, False):
        return
    try:
        if _BEGINS and dbapi_connection.isolation_level != "autocommit":
            # what the adapter's first statement would await; that one then does not begin
            await_(getattr(dbapi_connection, _BEGIN)())
        else:
            await_(dbapi_connection.driver_connection.fetchrow(";"))
    except (AssertionError, AttributeError, TypeError):
        raise  # our mistake, not a dead connection: said loudly, the pool left alone
    except Exception as exc:  # any other failure: this connection is not to be used
        raise InvalidatePoolError(f"pooled connection failed its try: {exc!r}") from exc


def checkpoint_in_background(engine: AsyncEngine) -> bool:
    """On SQLite, stop `engine`'s connections checkpointing the WAL themselves; the caller then
    runs `checkpoint` regularly (the scheduler, every tick). Returns whether it did (SQLite).

    SQLite's automatic checkpoint runs in the transaction that commits the 1,000th page of the
    WAL: it copies the WAL into the database file and syncs it, some 20 ms on these machines,
    which that request (an activation, a reply) waited for: it was P1's tail (issue #18). From
    a reader's connection, a passive checkpoint goes beside the writer instead of inside it."""
    if engine.dialect.name != "sqlite":
        return False
    event.listen(engine.sync_engine, "connect", _no_autocheckpoint)
    return True


def _no_autocheckpoint(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API object
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


async def checkpoint(read_engine: AsyncEngine) -> tuple[int, int, int] | None:
    """A passive checkpoint of SQLite's WAL, on a reader's connection and outside any
    transaction: it waits for no one and no one waits for it. (busy, frames in the WAL, frames
    checkpointed); None on PostgreSQL."""
    if read_engine.dialect.name != "sqlite":
        return None
    async with read_engine.connect() as conn:
        raw = await conn.get_raw_connection()
        rows = await raw.driver_connection.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
    busy, frames, done = next(iter(rows))
    return busy, frames, done


def make_read_engine(url: str, engine: AsyncEngine) -> AsyncEngine:
    """The engine for requests that only read (GET).

    On SQLite, a pool of its own beside the one writer connection. Its transactions begin
    DEFERRED: in WAL mode a reader works on a snapshot and neither takes nor waits for the write
    lock, so a log keeper's PDF export (seconds) or finance's year report no longer holds up the
    SMS replies and log entries of a crisis, nor they it. On PostgreSQL, `engine` itself: readers
    never wait for writers there. An in-memory SQLite database is one connection's own: `engine`.
    """
    if not url.startswith("sqlite") or ":memory:" in url or "mode=memory" in url:
        return engine
    readers = create_async_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=SQLITE_READ_POOL,
        max_overflow=0,
        pool_timeout=60,
    )
    event.listen(readers.sync_engine, "connect", _sqlite_pragmas)
    event.listen(readers.sync_engine, "begin", _sqlite_begin_deferred)
    return readers


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class epoch_micros(FunctionElement[int]):  # noqa: N801 - used like an SQL function
    """A timestamp column as whole µs since the epoch, computed by the database: rows read by
    the hundred thousand (the finance report) then carry a plain integer, not an instant for
    the driver to build and our UTC type to convert (`billing.to_micros` is the same in Python).
    """

    type = BigInteger()
    name = "epoch_micros"
    inherit_cache = True


@compiles(epoch_micros, "postgresql")
def _epoch_micros_postgresql(element: epoch_micros, compiler: Any, **kw: Any) -> str:
    # EXTRACT gives an exact numeric (PostgreSQL 14 and later)
    return (
        f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000000 AS BIGINT)"
    )


@compiles(epoch_micros, "sqlite")
def _epoch_micros_sqlite(element: epoch_micros, compiler: Any, **kw: Any) -> str:
    # stored as UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds, then the microseconds
    at = compiler.process(element.clauses, **kw)
    return (
        f"(CAST(strftime('%s', substr({at}, 1, 19)) AS INTEGER) * 1000000"
        f" + CAST(substr({at}, 21, 6) AS INTEGER))"
    )
