"""Deadline rows: a poison row is marked failed and never stalls the rest."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from beredskab import deadlines
from beredskab.deadlines import Deadline
from beredskab.metadata import utcnow


async def test_poison_row_is_failed_and_the_rest_still_run(db):
    ran: list[int] = []

    async def good(session, row, now):
        ran.append(row.id)

    async def poison(session, row, now):
        raise RuntimeError("boom")

    now = utcnow()
    async with db.sessionmaker() as s:
        deadlines.schedule(s, "poison", now - timedelta(seconds=1))
        for _ in range(3):
            deadlines.schedule(s, "good", now - timedelta(seconds=1))
        deadlines.schedule(s, "nobody-handles-this", now - timedelta(seconds=1))
        await s.commit()
    handlers = {"good": good, "poison": poison}
    for minutes in range(0, 60, 5):  # retries back off; let time pass until it gives up
        await deadlines.run_due(db.sessionmaker, handlers, now=now + timedelta(minutes=minutes))
    async with db.sessionmaker() as s:
        rows = {r.kind + str(r.id): r for r in (await s.exec(select(Deadline))).all()}
    assert len(ran) == 3
    states = {k: r.status for k, r in rows.items()}
    assert [s for k, s in states.items() if k.startswith("good")] == ["done"] * 3
    poison_row = next(r for k, r in rows.items() if k.startswith("poison"))
    assert poison_row.status == "failed" and "boom" in poison_row.last_error
    assert poison_row.attempts == deadlines.MAX_ATTEMPTS
    unknown = next(r for k, r in rows.items() if k.startswith("nobody"))
    assert unknown.status == "failed"


async def test_deadline_not_yet_due_is_left_alone(db):
    async with db.sessionmaker() as s:
        deadlines.schedule(s, "later", utcnow() + timedelta(minutes=5))
        await s.commit()
    assert await deadlines.run_due(db.sessionmaker, {}, now=utcnow()) == 0


async def test_a_handler_bug_is_retried_not_given_up_at_once(db):
    calls: list[int] = []

    async def flaky(session, row, now):
        calls.append(row.attempts)
        if len(calls) == 1:
            raise KeyError("a bug inside the handler, not an unknown kind")

    now = utcnow()
    async with db.sessionmaker() as s:
        deadlines.schedule(s, "flaky", now - timedelta(seconds=1))
        await s.commit()
    await deadlines.run_due(db.sessionmaker, {"flaky": flaky}, now=now)
    await deadlines.run_due(db.sessionmaker, {"flaky": flaky}, now=now + timedelta(minutes=1))
    async with db.sessionmaker() as s:
        [row] = (await s.exec(select(Deadline))).all()
    assert calls == [1, 2] and row.status == "done"
