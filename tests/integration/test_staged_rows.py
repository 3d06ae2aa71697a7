"""Staged rows (`beredskab.staged`, issue #18): what a use case appends is written in bulk with
its own transaction; the session still sees its own writes, a rollback drops them, and an
activation's request writes each table in one statement."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from beredskab import deadlines, staged
from beredskab.activations.models import Activation, Page, PagePurpose, RoleCallout
from beredskab.activations.pages import create_page, insert_pages, page_id_ahead, page_row
from beredskab.db import make_sessionmaker
from beredskab.deadlines import Deadline
from beredskab.eventlog.models import LogEntry
from beredskab.eventlog.service import verify_log_by_reference
from beredskab.metadata import utcnow
from beredskab.outbox import OutboxMessage, OutboxStatus, settle, stage_sms
from beredskab.roles import Role
from beredskab.unit_of_work import transaction
from tests.factories import make_activation, make_org, make_person
from tests.scenario import open_world

pytestmark = pytest.mark.db


@contextmanager
def statements(engine):
    """The SQL statements `engine` is sent, each as its (verb, table) pairs: one pair, or one
    per part of a data-modifying WITH statement."""
    seen: list[list[tuple[str, str]]] = []
    verb = re.compile(r"(?:^\s*|AS \()(INSERT INTO|UPDATE|SELECT|DELETE FROM)\s+(\S+)?", re.I)

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        pairs = [
            (m.group(1).split()[0].upper(), (m.group(2) or "").strip('"'))
            for m in verb.finditer(statement)
        ]
        if pairs:
            seen.append(pairs)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_staged_rows_are_written_at_commit_and_seen_by_the_session_before(db):
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        activation = await make_activation(session)
    async with maker() as session, transaction(session):
        due = utcnow() + timedelta(minutes=5)
        deadlines.schedule(session, "probe", due, activation_id=activation.id)
        stage_sms(session, "+4550000021", "hej", activation_id=activation.id)
        # a query of the same session sees them, as with the ORM's autoflush
        (kind,) = (await session.exec(select(Deadline.kind))).all()
        assert kind == "probe"
        assert (await session.exec(select(OutboxMessage.body))).all() == ["hej"]
    async with maker() as session:
        assert (await session.exec(select(Deadline.due_at))).one() == due
        row = (await session.exec(select(OutboxMessage))).one()
        assert (row.recipient, row.status, row.activation_id) == (
            "+4550000021",
            OutboxStatus.pending,
            activation.id,
        )


async def test_a_rollback_drops_what_was_staged(db):
    maker = make_sessionmaker(db.engine)
    with pytest.raises(RuntimeError):
        async with maker() as session, transaction(session):
            deadlines.schedule(session, "probe", utcnow())
            stage_sms(session, "+4550000022", "aldrig")
            raise RuntimeError("the use case failed")
    async with maker() as session, transaction(session):
        pass  # the session's next commit must not write them either
    async with maker() as session:
        assert (await session.exec(select(Deadline))).all() == []
        assert (await session.exec(select(OutboxMessage))).all() == []


async def test_objects_inserted_together_get_their_ids_and_stay_in_the_session(db):
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        activation = await make_activation(session)
    roles = ["crisis_leader", "log_keeper", "process_lead"]
    async with maker() as session, transaction(session):
        callouts = [RoleCallout(activation_id=activation.id, role=r) for r in roles]
        await staged.insert_now(session, callouts)
        assert len({c.id for c in callouts}) == 3 and None not in {c.id for c in callouts}
        assert await session.get(RoleCallout, callouts[0].id) is callouts[0]
        callouts[1].person_id = None
        callouts[1].state = "closed"  # persistent: a change is an UPDATE at commit
        ids = {c.role: c.id for c in callouts}
    async with maker() as session:
        stored = {c.role: c for c in (await session.exec(select(RoleCallout))).all()}
    assert {role: c.id for role, c in stored.items()} == ids
    assert stored["log_keeper"].state == "closed"


async def test_pages_given_ids_ahead_are_written_with_the_commit_beside_orm_pages(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("ids taken ahead: PostgreSQL's sequence (SQLite inserts the pages at once)")
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        activation = await make_activation(session)
        people = [await make_person(session, activation.authority_id) for _ in range(3)]
        await session.commit()
    now = utcnow()
    async with maker() as session, transaction(session):
        ids = [(await session.exec(select(page_id_ahead()))).one() for _ in range(3)]
        rows = [
            await page_row(session, activation, PagePurpose.role, p, now, role="log_keeper")
            for p in people[:2]
        ]
        # the lowest ids, in the order of the rows; the third id is left unused (a gap)
        new = await insert_pages(session, list(reversed(rows)), ids=list(reversed(ids)))
        assert [p.id for p in new] == sorted(ids)[:2]
        assert [p.person_id for p in new] == [people[1].id, people[0].id]
        # a page the ORM inserts in the same transaction takes the sequence's next id
        later = await create_page(session, activation, PagePurpose.role, people[2], now)
        assert later.id not in ids
        # a read of pages in the transaction sees the staged ones (written before it)
        seen = await session.exec(select(Page.id).where(Page.activation_id == activation.id))
        assert sorted(seen.all()) == sorted([*sorted(ids)[:2], later.id])
    async with maker() as session:
        stored = (await session.exec(select(Page).where(Page.activation_id == activation.id))).all()
    assert {(p.id, p.person_id, p.code) for p in stored} == {
        *((p.id, p.person_id, p.code) for p in new),
        (later.id, people[2].id, later.code),
    }


async def _staged_activation(maker, session, key: str) -> Activation:  # noqa: ANN001
    """A new activation staged for insert (as a steering member's is on PostgreSQL)."""
    async with maker() as other:
        org_id = (await make_org(other)).id
        await other.commit()
    new = Activation(
        id=key,
        ref=f"DDH-TEST-{key}",
        title="Staged",
        authority_id=org_id,
        contact_name="Frida Bak",
        contact_phone="+4520123456",
        playbook_hash="x",
        created_by="test",
        created_at=utcnow(),
    )
    table = Activation.__table__
    staged.stage(session, table, {c.key: getattr(new, c.key) for c in table.c})
    return new


async def test_an_update_of_a_row_staged_for_insert_goes_into_its_insert(db):
    maker = make_sessionmaker(db.engine)
    table = Activation.__table__
    with statements(db.engine) as seen:
        async with maker() as session, transaction(session):
            await _staged_activation(maker, session, "staged-1")
            staged.stage_update(session, table, "staged-1", log_seq=2, log_head_hash="h2")
            staged.stage_update(session, table, "other", log_seq=5)  # not staged: an UPDATE
    writes = [pair for pairs in seen for pair in pairs if pair[0] not in ("SELECT",)]
    assert sorted(w for w in writes if w[1] == "activation") == [
        ("INSERT", "activation"),
        ("UPDATE", "activation"),
    ]
    async with maker() as session:
        stored = (await session.exec(select(Activation).where(Activation.id == "staged-1"))).one()
    assert (stored.log_seq, stored.log_head_hash, stored.title) == (2, "h2", "Staged")


async def test_a_row_the_orm_adds_for_a_staged_row_is_written_after_it(db):
    """The ORM's new objects are flushed before the staged rows, unless they refer to one:
    then the rows they refer to go first (a foreign key is checked at each statement)."""
    maker = make_sessionmaker(db.engine)
    async with maker() as session, transaction(session):
        await _staged_activation(maker, session, "staged-2")
        session.add(
            OutboxMessage(
                channel="callback", recipient="https://x", body="{}", activation_id="staged-2"
            )
        )
        stage_sms(session, "+4550000023", "hej", activation_id="staged-2")
    async with maker() as session:
        rows = (await session.exec(select(OutboxMessage.channel))).all()
        activation = (await session.exec(select(Activation.id))).all()
    assert sorted(rows) == ["callback", "sms"] and "staged-2" in activation


async def test_settle_writes_only_rows_still_under_their_own_claim(db):
    maker = make_sessionmaker(db.engine)
    async with maker() as session, transaction(session):
        for n in range(4):
            stage_sms(session, f"+455000003{n}", f"nr. {n}")
    async with maker() as session, transaction(session):
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        for row in rows:
            row.status, row.attempts = OutboxStatus.sending, 1
        rows[2].attempts = 2  # its lease ran out and another worker claimed it again
        rows[3].attempts = 2
        claims = [(r.id, 1, {"status": OutboxStatus.sent, "last_error": None}) for r in rows]
    async with maker() as session, transaction(session):
        await settle(session, claims[:3])  # several: one statement
        assert await settle(session, claims[3:]) == 0  # one: it says whether it wrote
    async with maker() as session:
        statuses = await session.exec(select(OutboxMessage.status).order_by(OutboxMessage.id))
        assert statuses.all() == ["sent", "sent", "sending", "sending"]
    async with maker() as session, transaction(session):
        assert await settle(session, [(rows[0].id, 1, {"status": OutboxStatus.failed})]) == 0
        assert await settle(session, [(rows[3].id, 2, {"status": OutboxStatus.sent})]) == 1


async def test_a_steering_request_writes_each_table_once_and_the_log_head_once(db):
    async with await open_world(db) as world:
        with statements(world.runtime.engine) as seen:
            act = await world.activate("steering")
            writes = Counter(pair for pairs in seen for pair in pairs if pair[0] != "SELECT")
        # four roles paged: their call-outs, pages, deadlines (timeouts and calls), log
        # entries and SMS each in one INSERT, and the activation inserted endorsed
        assert {t: n for (v, t), n in writes.items() if v == "INSERT"} == {
            "activation": 1,
            "action_task": 1,
            "role_callout": 1,
            "page": 1,
            "deadline": 1,
            "log_entry": 1,
            "outbox": 1,
        }
        # the action cards after the commit, in a transaction of their own: their due row
        # taken (an UPDATE), their rows in one INSERT, alone
        assert writes[("UPDATE", "deadline")] == 1
        assert [("INSERT", "action_task")] in [sorted(pairs) for pairs in seen]
        combined = [sorted(pairs) for pairs in seen if len(pairs) > 1]
        if world.runtime.engine.dialect.name == "postgresql":
            # all of it at the commit in one statement: the pages with it (their ids taken by
            # the roster's read), the activation too, its log's head written in its own row
            assert ("UPDATE", "activation") not in writes
            assert combined == [
                [
                    ("INSERT", "activation"),
                    ("INSERT", "deadline"),
                    ("INSERT", "log_entry"),
                    ("INSERT", "outbox"),
                    ("INSERT", "page"),
                    ("INSERT", "role_callout"),
                ]
            ]
        else:
            # SQLite: the activation and the pages inserted at once, the staged rows at the
            # commit in one hand-off to its thread, each statement its own; the log's head
            # updated once, however many entries the request logged
            assert writes[("UPDATE", "activation")] == 1
            assert combined == []
        async with world.runtime.sessionmaker() as session:
            entries = (
                await session.exec(select(LogEntry).where(LogEntry.activation_id == act["id"]))
            ).all()
            assert len(entries) >= 6  # requested, endorsed, four pages sent
            assert (await verify_log_by_reference(session, act["ref"])).ok
        board = await world.board(act["id"])
        assert sorted(p["role"] for p in board["open_pages"]) == sorted(
            r["role"] for r in board["roles"]
        )
        assert len(board["open_pages"]) == 4
        async with world.runtime.sessionmaker() as session:
            pages = (
                await session.exec(
                    select(Page).where(Page.activation_id == act["id"]).order_by(Page.id)
                )
            ).all()
            sms = (
                await session.exec(
                    select(OutboxMessage.page_id).where(OutboxMessage.activation_id == act["id"])
                )
            ).all()
        # the pages' ids follow the roles' order, and each page's SMS names its page
        assert [p.role for p in pages] == [role.value for role in Role]
        assert sorted(i for i in sms if i is not None) == [p.id for p in pages]
