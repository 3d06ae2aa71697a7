"""Direct statements (`beredskab.direct`, issue #18): run through the driver, they stay inside
the session's transaction, store values exactly as the ORM does, and fail as SQLAlchemy fails."""

from __future__ import annotations

import shutil
import threading
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, event, func, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from beredskab import direct
from beredskab.activations.models import Activation, ActivationStatus
from beredskab.db import make_engine, make_read_engine, make_sessionmaker
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.directory.models import Organisation
from beredskab.metadata import utcnow
from beredskab.unit_of_work import transaction
from tests.factories import make_activation
from tests.integration.test_staged_rows import statements

pytestmark = pytest.mark.db

DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
_DUE = direct.Query(
    lambda: select(Deadline.kind, Deadline.due_at, Deadline.status).where(
        Deadline.activation_id == bindparam("activation_id")
    )
)


def _row(activation_id: str, kind: str, due) -> dict:  # noqa: ANN001 - a datetime
    return {
        "kind": kind,
        "activation_id": activation_id,
        "subject_id": None,
        "due_at": due,
        "status": DeadlineStatus.pending,
        "lease_until": None,
        "attempts": 0,
        "last_error": None,
        "created_at": due,
        "done_at": None,
    }


async def _insert(session, rows: list[dict], returning=()) -> list[tuple]:  # noqa: ANN001
    return await session.run_sync(lambda s: direct.insert_rows_sync(s, DEADLINE, rows, returning))


async def test_direct_rows_read_back_as_the_orm_wrote_them_and_commit_with_the_session(db):
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        activation = await make_activation(session)
    due = utcnow() + timedelta(minutes=3)
    async with maker() as session, transaction(session):
        ids = await _insert(
            session, [_row(activation.id, "a", due), _row(activation.id, "b", due)], ("id", "kind")
        )
        assert sorted(kind for _, kind in ids) == ["a", "b"]
        # the same transaction reads them, directly and through the ORM
        direct_rows = await _DUE.rows(session, activation_id=activation.id)
        assert sorted(direct_rows) == [
            ("a", due, DeadlineStatus.pending),
            ("b", due, DeadlineStatus.pending),
        ]
    async with maker() as session:
        orm = (await session.exec(select(Deadline).order_by(Deadline.kind))).all()
        assert [(d.id, d.kind, d.due_at, d.status) for d in orm] == sorted(
            (i, k, due, DeadlineStatus.pending) for i, k in ids
        )
        assert orm[0].due_at.tzinfo is not None  # timezone-aware, as the ORM keeps it


async def test_a_rollback_drops_direct_rows(db):
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        activation = await make_activation(session)
    with pytest.raises(RuntimeError):
        async with maker() as session, transaction(session):
            await _insert(session, [_row(activation.id, "never", utcnow())])
            raise RuntimeError("the use case failed")
    async with maker() as session:
        assert (await session.exec(select(Deadline))).all() == []


async def test_a_first_direct_statement_begins_the_transaction_it_runs_in(db):
    """On PostgreSQL the driver begins lazily: a direct statement before any other must not run
    (and commit) outside the session's transaction."""
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        activation = await make_activation(session)
    with pytest.raises(RuntimeError):
        async with maker() as session, transaction(session):
            assert await _DUE.rows(session, activation_id=activation.id) == []
            await _insert(session, [_row(activation.id, "first", utcnow())])
            raise RuntimeError("rolled back")
    async with maker() as session:
        assert (await session.exec(select(Deadline))).all() == []


async def test_a_taken_key_raises_sqlalchemys_integrity_error(db):
    """Callers retry on `IntegrityError` (a taken reference or idempotency key)."""
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        taken = await make_activation(session)
    row = {c.key: getattr(taken, c.key) for c in Activation.__table__.c}  # type: ignore[attr-defined]
    with pytest.raises(IntegrityError):
        async with maker() as session, transaction(session):
            await session.run_sync(
                lambda s: direct.insert_rows_sync(s, Activation.__table__, [row])  # type: ignore[attr-defined]
            )
    async with maker() as session:
        (only,) = (await session.exec(select(Activation))).all()
        assert only.status == ActivationStatus.requested


async def test_a_direct_update_sets_only_the_named_columns(db):
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        activation = await make_activation(session, title="Før")
    async with maker() as session, transaction(session):
        await session.run_sync(
            lambda s: direct.update_row_sync(
                s,
                Activation.__table__,
                activation.id,
                {"log_seq": 7, "log_head_hash": "ab" * 32},  # type: ignore[attr-defined]
            )
        )
    async with maker() as session:
        got = await session.get(Activation, activation.id)
        assert (got.log_seq, got.log_head_hash, got.title) == (7, "ab" * 32, "Før")


ACTIVATION = Activation.__table__  # type: ignore[attr-defined]
ORGANISATION = Organisation.__table__  # type: ignore[attr-defined]


def _another(activation: Activation, n: int) -> dict:
    """A new activation's row, like `activation`'s."""
    row = {c.key: getattr(activation, c.key) for c in ACTIVATION.c}
    return {**row, "id": f"{activation.id}-{n}", "ref": f"{activation.ref}-{n}"}


async def test_written_together_in_order_with_their_ids_and_the_updates_after(db):
    """`write_sync`: on PostgreSQL one statement of data-modifying WITH parts (a row may refer
    to one inserted before it in the same statement), and an UPDATE of a table inserted into
    in a statement after it, so it sees the new row; on SQLite the same statements, in order."""
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        known = await make_activation(session)
        org = await session.get(Organisation, known.authority_id)
    fresh = _another(known, 1)
    due = utcnow() + timedelta(minutes=3)
    with statements(db.engine) as seen:
        async with maker() as session, transaction(session):
            got = await session.run_sync(
                lambda s: direct.write_sync(
                    s,
                    [
                        direct.Insert(ACTIVATION, [fresh]),
                        direct.Insert(
                            DEADLINE,
                            [_row(fresh["id"], "a", due), _row(fresh["id"], "b", due)],
                            ("id", "kind"),
                        ),
                    ],
                    [
                        (ACTIVATION, fresh["id"], {"log_seq": 3}),
                        (ORGANISATION, org.id, {"name": "Nyt navn"}),
                    ],
                )
            )
    postgres = db.engine.dialect.name == "postgresql"
    writes = [pairs for pairs in seen if pairs != [("SELECT", "1")]]  # PostgreSQL's begin
    assert len(writes) == (2 if postgres else 4)
    assert got[0] == []
    async with maker() as session:
        rows = (await session.exec(select(Deadline.id, Deadline.kind))).all()
        assert sorted(got[1]) == sorted(tuple(r) for r in rows)
        assert sorted(kind for _, kind in got[1]) == ["a", "b"]
        assert (await session.get(Activation, fresh["id"])).log_seq == 3
        assert (await session.get(Organisation, org.id)).name == "Nyt navn"


async def test_written_together_fails_whole_as_sqlalchemy_fails(db):
    """A taken key in a later part: SQLAlchemy's `IntegrityError`, and nothing of the earlier
    parts stays."""
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        known = await make_activation(session)
    due = utcnow() + timedelta(minutes=3)
    with pytest.raises(IntegrityError):
        async with maker() as session, transaction(session):
            await session.run_sync(
                lambda s: direct.write_sync(
                    s,
                    [
                        direct.Insert(DEADLINE, [_row(known.id, "a", due)]),
                        direct.Insert(
                            ACTIVATION, [_another(known, 1), _another(known, 0) | {"id": known.id}]
                        ),
                    ],
                )
            )
    async with maker() as session:
        assert (await session.exec(select(Deadline))).all() == []
        assert [a.id for a in (await session.exec(select(Activation))).all()] == [known.id]


def _thread_of_statements(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    # the thread a statement runs on, as SQL: SQLite calls a Python function on that thread
    dbapi_connection.create_function("thread_ident", 0, threading.get_ident)


_THREAD = direct.Query(lambda: select(func.thread_ident()))
_THREAD_OF_MANY = direct.Query(
    lambda: select(func.thread_ident()).where(
        literal(1).in_([bindparam(f"p{i}") for i in range(direct.INLINE_MAX_PARAMETERS + 1)])
    )
)


async def test_sqlite_writer_runs_small_statements_on_the_loop_thread_and_readers_do_not(
    tmp_path, migrated_templates
):
    """On SQLite's writer (its transactions hold the write lock from BEGIN IMMEDIATE) a small
    direct statement runs on the event loop's thread, without the hand-off to aiosqlite's
    thread; a large one still goes there. A reader's transaction (BEGIN DEFERRED) may wait for
    a lock: its statements always go to the thread."""
    path = tmp_path / "threads.db"
    shutil.copyfile(migrated_templates["sqlite"], path)
    url = f"sqlite+aiosqlite:///{path}"
    writer = make_engine(url)
    readers = make_read_engine(url, writer)
    for engine in (writer, readers):
        event.listen(engine.sync_engine, "connect", _thread_of_statements)
    loop_thread = threading.get_ident()
    many = {f"p{i}": 1 for i in range(direct.INLINE_MAX_PARAMETERS + 1)}
    try:
        async with make_sessionmaker(writer)() as session, transaction(session):
            await session.exec(select(Activation.id))  # begun (BEGIN IMMEDIATE)
            assert await _THREAD.rows(session) == [(loop_thread,)]
            ((elsewhere,),) = await _THREAD_OF_MANY.rows(session, **many)
            assert elsewhere != loop_thread
            # the combined write, too: one small statement here
            with statements(writer) as seen:
                await session.run_sync(
                    lambda s: direct.write_sync(
                        s, [], [(ORGANISATION, "nobody", {"name": "Ingen"})]
                    )
                )
            assert seen == [[("UPDATE", "organisation")]]
        async with make_sessionmaker(readers)() as session:
            await session.exec(select(Activation.id))  # begun (BEGIN DEFERRED)
            ((reader_thread,),) = await _THREAD.rows(session)
            assert reader_thread != loop_thread
    finally:
        await readers.dispose()
        await writer.dispose()


async def test_an_insert_without_rows_keeps_its_place_among_the_results(db):
    """`write_sync` returns each INSERT's rows at that INSERT's index, an empty one included."""
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        known = await make_activation(session)
    due = utcnow() + timedelta(minutes=3)
    async with maker() as session, transaction(session):
        got = await session.run_sync(
            lambda s: direct.write_sync(
                s,
                [
                    direct.Insert(DEADLINE, [], ("id",)),
                    direct.Insert(DEADLINE, [_row(known.id, "x", due)], ("id", "kind")),
                ],
            )
        )
    assert len(got) == 2
    assert got[0] == []
    assert [kind for _, kind in got[1]] == ["x"]
