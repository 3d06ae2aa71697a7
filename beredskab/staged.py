"""Staged rows: append-only rows a use case writes in bulk, one statement per table, in its own
transaction (issue #18: the page path).

Log entries, deadlines, outbox SMS, action cards and new call-outs are written by many steps of
one use case; through the ORM each was its own INSERT on SQLite (its driver cannot match ordered
RETURNING to a batch, so the unit of work falls back to a row at a time) and each log append its
own UPDATE of the log head.
A step stages such a row here instead (`stage`, `stage_update`); the rows are written

- just before the transaction commits (`before_commit`), one INSERT per table in foreign-key
  order, then one UPDATE per staged key (one for a row staged for insert here goes into that
  row, `_fold`), all in one round trip (`direct.write_sync`: one statement on PostgreSQL, one
  hand-off to the driver's thread on SQLite). The ORM's own pending objects are flushed first,
  so the rows staged rows refer to exist; unless one of those objects refers to a staged row
  (a row the ORM adds for a staged activation): then the staged rows go first (`_write`);
- earlier, whenever a statement of the same session reads or writes a table with staged rows
  (`do_orm_execute`), so the session always sees its own writes, as with the ORM's autoflush.

A rollback drops them with the rest of the transaction. Nothing leaves the transaction early:
durability and atomicity are the transaction's, as before.

A session class may carry `staged_hooks` ({table name: hook}): a hook sees the rows before they
are written (it may change them) and may return a callback, which then gets, for each written
row, its id and its staged values (rows with equal values are interchangeable: which of them got
which id is not known). `unit_of_work` uses it to claim SMS due now at birth.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Column, Table, TextClause, event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, make_transient_to_detached
from sqlalchemy.sql.util import find_tables
from sqlmodel import SQLModel

from beredskab import direct

_ROWS = "staged.rows"
_UPDATES = "staged.updates"

Written = Callable[[list[tuple[int, dict[str, Any]]]], None]
Hook = Callable[[Session, list[dict[str, Any]]], Written | None]


def _info(session: Any) -> dict[str, Any]:
    return session.info  # the AsyncSession's `info` is its sync session's


def stage(session: Any, table: Table, row: dict[str, Any]) -> None:
    """Write `row` (every column the table's rows of this kind set, as keys) into `table` at the
    latest when the transaction commits."""
    _info(session).setdefault(_ROWS, {}).setdefault(table, []).append(row)


def stage_update(session: Any, table: Table, key: Any, **values: Any) -> None:
    """Set `values` on the row of `table` whose primary key is `key`, after the staged inserts
    (later values for the same key win)."""
    _info(session).setdefault(_UPDATES, {}).setdefault((table, key), {}).update(values)


def staged_update(session: Any, table: Table, key: Any) -> dict[str, Any]:
    """The values staged for that row so far (empty: none)."""
    return _info(session).get(_UPDATES, {}).get((table, key), {})


def _touches(statement: Any, tables: set[Table]) -> bool:
    """Whether `statement` reads or writes one of `tables` (plain SQL text: assume it does)."""
    if isinstance(statement, TextClause):
        return True
    found = find_tables(statement, check_columns=True, include_crud=True)
    return any(t in tables for t in found)


@cache
def _order() -> dict[Table, int]:
    """Each table's place in foreign-key order (read once: the metadata sorts on each call)."""
    return {t: n for n, t in enumerate(SQLModel.metadata.sorted_tables)}


def write(session: Session) -> None:
    """Write what is staged, and the ORM's pending changes before it (unless those refer to
    staged rows: then the rows they refer to come first): called by the events below."""
    rows: dict[Table, list[dict[str, Any]]] = session.info.pop(_ROWS, None) or {}
    updates: dict[tuple[Table, Any], dict[str, Any]] = session.info.pop(_UPDATES, None) or {}
    if not rows and not updates:
        return
    _fold(rows, updates)
    first = _referred_to(session, rows)
    if first:  # a row the ORM adds for a staged activation, say
        _write(session, {table: rows.pop(table) for table in first}, {})
    session.flush()
    _write(session, rows, updates)


def _referred_to(session: Session, rows: dict[Table, list[dict[str, Any]]]) -> set[Table]:
    """The tables with staged rows that an object the ORM is about to insert has a foreign key
    to (usually none: there is no new object, staged rows are what the page path writes)."""
    if not session.new:
        return set()
    return {
        fk.column.table
        for obj in session.new
        for fk in type(obj).__table__.foreign_keys
        if fk.column.table in rows
    }


def _write(
    session: Session,
    rows: dict[Table, list[dict[str, Any]]],
    updates: dict[tuple[Table, Any], dict[str, Any]],
) -> None:
    hooks: dict[str, Hook] = getattr(type(session), "staged_hooks", {})
    order = _order()
    if any(table not in order for table in rows):  # a models module imported since
        _order.cache_clear()
        order = _order()
    inserts: list[direct.Insert] = []
    done: list[tuple[int, Written, list[dict[str, Any]], tuple[str, ...]]] = []
    for table in sorted(rows, key=lambda t: order.get(t, len(order))):
        batch = rows[table]
        hook = hooks.get(table.name)
        written = hook(session, batch) if hook is not None else None
        if written is None:
            inserts.append(direct.Insert(table, batch))
        else:
            keys = _returned(table, batch)
            done.append((len(inserts), written, batch, keys))
            inserts.append(direct.Insert(table, batch, keys))
    got = direct.write_sync(
        session, inserts, [(table, key, values) for (table, key), values in updates.items()]
    )
    for n, written, batch, keys in done:
        written(_paired(batch, keys, got[n]))


def _fold(
    rows: dict[Table, list[dict[str, Any]]], updates: dict[tuple[Table, Any], dict[str, Any]]
) -> None:
    """An update of a row staged for insert here (a new activation's log head) goes into the
    row itself: one INSERT instead of an INSERT and an UPDATE after it."""
    for table, key in list(updates):
        batch = rows.get(table)
        if not batch:
            continue
        (pk,) = table.primary_key.columns
        row = next((row for row in batch if row.get(pk.key) == key), None)
        # only columns the staged rows set: every row of a table's batch has the same keys
        if row is not None and updates[(table, key)].keys() <= row.keys():
            row.update(updates.pop((table, key)))


def _plain(column: Column) -> bool:
    kind = getattr(column.type, "impl_instance", column.type)
    try:
        return kind.python_type in (str, int, bool)
    except NotImplementedError:
        return False


def _returned(table: Table, batch: list[dict[str, Any]]) -> tuple[str, ...]:
    """What an INSERT of `batch` returns to pair each row with its new id: the id, then the
    row's plain values (datetimes come back naive from SQLite, so they are left out)."""
    (pk,) = table.primary_key.columns
    return (pk.key, *(c.key for c in table.c if c.key in batch[0] and c is not pk and _plain(c)))


def _paired(
    batch: list[dict[str, Any]], keys: tuple[str, ...], result: list[tuple]
) -> list[tuple[int, dict[str, Any]]]:
    """Each row of `batch` with its new id, matched by the values `result` returned with it
    (a batch's RETURNING order is not promised on SQLite)."""
    by_values: defaultdict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in batch:
        by_values[tuple(row[k] for k in keys[1:])].append(row)
    return [(got[0], by_values[tuple(got[1:])].pop()) for got in result]


def with_ids(session: Session, table: Table, batch: list[dict[str, Any]]) -> list[tuple[int, dict]]:
    """Insert `batch` in one statement and pair each row with its new id (rows with equal
    values are interchangeable: give each a value of its own, e.g. a page its code)."""
    keys = _returned(table, batch)
    return _paired(batch, keys, direct.insert_rows_sync(session, table, batch, keys))


def row_of(obj: Any) -> dict[str, Any]:
    """Every column of an ORM object, as the row `stage` or an INSERT takes."""
    return {c.key: getattr(obj, c.key) for c in type(obj).__table__.c}


async def insert_now(session: Any, objects: list[Any]) -> None:
    """Insert new ORM objects of one class in one statement and make them persistent in
    `session` with their ids (or with the keys they have), where the ORM would insert a row at
    a time on SQLite (it needs each row's id back in order, which SQLite's RETURNING does not
    promise for a batch)."""
    if objects:
        await session.run_sync(_insert_now, objects)


def _insert_now(session: Session, objects: list[Any]) -> None:
    session.flush()  # what they refer to first
    table: Table = type(objects[0]).__table__
    (pk,) = table.primary_key.columns
    if all(getattr(o, pk.key) is not None for o in objects):  # keyed already (a uuid)
        direct.insert_rows_sync(session, table, [row_of(o) for o in objects])
        for obj in objects:
            make_transient_to_detached(obj)
            session.add(obj)
        return
    rows = [{c.key: getattr(o, c.key) for c in table.c if c is not pk} for o in objects]
    by_row = {id(row): o for row, o in zip(rows, objects, strict=True)}
    for new_id, row in with_ids(session, table, rows):
        obj = by_row[id(row)]
        setattr(obj, pk.key, new_id)
        make_transient_to_detached(obj)  # its values are now the row's: persistent, not new
        session.add(obj)


def discard(session: Session) -> None:
    session.info.pop(_ROWS, None)
    session.info.pop(_UPDATES, None)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write(session)


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    info = state.session.info
    if _ROWS not in info and _UPDATES not in info:
        return
    staged = set(info.get(_ROWS, {})) | {table for table, _ in info.get(_UPDATES, {})}
    if _touches(state.statement, staged):
        write(state.session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (written already), rolled back or closed
        discard(session)
