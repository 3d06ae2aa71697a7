"""Replies kept in line (#18, P8). On PostgreSQL the SMS webhook only stores a reply, in line
(committed), and answers Twilio at once, whatever holds its activation; a drain in the same process
does the line in the order the replies came, each exactly once, waiting for the activation's lock
there, and every tick looks for replies a process that died left behind. SQLite has one writer:
there the webhook does the reply itself, in turn, and nothing is kept in line."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlmodel import select

from api.routers.webhooks import EMPTY_TWIML as EMPTY
from beredskab.activations.models import REPLY_IN_LINE, InboundSms, Page
from beredskab.activations.repository import lock_activation
from beredskab.flows import inbound
from beredskab.metadata import utcnow
from tests.scenario import OUR_NUMBER, open_world

pytestmark = pytest.mark.db


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


@asynccontextmanager
async def _busy(db, activation_id: str) -> AsyncIterator[None]:
    """Another transaction holding the activation (a console action, a deadline handler)."""
    async with db.sessionmaker() as session:
        await lock_activation(session, activation_id)
        yield
        await session.rollback()


async def _outcomes(db) -> dict[str, str]:
    async with db.sessionmaker() as session:
        rows = await session.exec(select(InboundSms.message_sid, InboundSms.outcome))
        return dict(rows.all())


def _gauge(response, name: str) -> str:
    lines = (x.rsplit(" ", 1) for x in response.text.splitlines() if not x.startswith("#"))
    return dict(lines)[f"beredskab_inbound_sms_{name}"]


async def _row(db, sid: str) -> InboundSms:
    async with db.sessionmaker() as session:
        return await session.get(InboundSms, sid)


def _codes(world, pid: str) -> list[str]:
    return [m.group(1) for b in world.inbox(pid) if (m := re.search(r"\bOK (\d{4})\b", b))]


async def test_a_reply_to_a_busy_activation_is_answered_at_once_and_done_once_it_is_free(world, db):
    activation = await world.activate("steering")
    await world.drain()
    phone = world.people["log0"].phone
    if db.kind == "sqlite":
        # one writer: the reply waits until the other transaction ends, then is done at once
        async with _busy(db, activation["id"]):
            reply = asyncio.create_task(world.sms(phone, "OK", sid="SMbusy", settle=False))
            await asyncio.sleep(0.3)
            assert not reply.done(), "on SQLite the webhook waits for the one writer"
        assert (await asyncio.wait_for(reply, 10)).text == EMPTY
        assert await _outcomes(db) == {"SMbusy": "role_filled"}
        row = await _row(db, "SMbusy")
        assert row.processed_at == row.received_at  # done in the webhook, when it came
    else:
        async with _busy(db, activation["id"]):
            # bounded, so a webhook that waits for the lock fails here instead of hanging
            first = await asyncio.wait_for(world.sms(phone, "OK", sid="SMbusy", settle=False), 5)
            copy = await asyncio.wait_for(world.sms(phone, "OK", sid="SMbusy", settle=False), 5)
            assert first.status_code == copy.status_code == 200
            assert first.text == copy.text == EMPTY
            assert await _outcomes(db) == {"SMbusy": REPLY_IN_LINE}
            assert [m for m in await world.drain() if m.to == phone] == []  # nothing done yet
            assert _gauge(await world.client.get("/metrics"), "in_line") == "1"
        await world.runtime.in_line_settled()
        assert await _outcomes(db) == {"SMbusy": "role_filled"}
        row = await _row(db, "SMbusy")
        assert row.processed_at > row.received_at + timedelta(milliseconds=1)  # after the wait
    answers = [m.body for m in await world.drain() if m.to == phone]
    assert len(answers) == 1 and activation["ref"] in answers[0], answers
    roles = {r["role"]: r for r in (await world.board(activation["id"]))["roles"]}
    assert roles["log_keeper"]["person"]["id"] == "log0"


async def test_replies_are_done_in_the_order_they_came_even_when_the_first_waits_for_a_lock(
    world, db
):
    first = await world.activate("steering", title="Første hændelse")
    second = await world.activate("steering", title="Anden hændelse")
    await world.drain()
    phone = world.people["log0"].phone
    code_first, code_second = _codes(world, "log0")[-2:]
    if db.kind == "sqlite":
        # nothing is ever kept in line there: each reply is done before the webhook answers
        await world.sms(phone, f"OK {code_first}", sid="SMfirst", settle=False)
        await world.sms(phone, f"OK {code_second}", sid="SMsecond", settle=False)
    else:
        async with _busy(db, first["id"]):
            await asyncio.wait_for(
                world.sms(phone, f"OK {code_first}", sid="SMfirst", settle=False), 5
            )
            # the second activation is free, but the reply that came first is done first
            await asyncio.wait_for(
                world.sms(phone, f"OK {code_second}", sid="SMsecond", settle=False), 5
            )
            assert await _outcomes(db) == {"SMfirst": REPLY_IN_LINE, "SMsecond": REPLY_IN_LINE}
        await world.runtime.in_line_settled()
    assert await _outcomes(db) == {"SMfirst": "role_filled", "SMsecond": "role_filled"}
    async with db.sessionmaker() as session:
        answered = dict(
            (
                await session.exec(
                    select(Page.activation_id, Page.answered_at).where(
                        Page.code.in_([code_first, code_second]),
                        Page.person_id == "log0",
                    )
                )
            ).all()
        )
    assert answered[first["id"]] < answered[second["id"]], "done in the order they came"


async def test_a_reply_left_in_line_is_done_by_the_next_tick_and_a_failing_one_is_told(
    world, db, monkeypatch
):
    """A replica that kept replies in line and died before its drain ran: the next tick of any
    process takes them, oldest first. One that fails is kept with its error and its sender told
    to answer again; it does not hold up the others."""
    activation = await world.activate("steering")
    await world.drain()
    leader, keeper = world.people["leader0"], world.people["log0"]
    now = utcnow()
    async with db.sessionmaker() as session:
        for n, person in enumerate((leader, keeper)):
            session.add(
                InboundSms(
                    message_sid=f"SMleft{n}",
                    from_number=person.phone,
                    to_number=OUR_NUMBER,
                    body="OK",
                    received_at=now - timedelta(seconds=30 - n),
                    person_id=person.id,
                    outcome=REPLY_IN_LINE,
                )
            )
        await session.commit()
    route = inbound._route

    async def failing_for_the_leader(session, cfg, person, parsed, now):
        if person.id == leader.id:
            raise RuntimeError("the disk is on fire")
        return await route(session, cfg, person, parsed, now)

    monkeypatch.setattr(inbound, "_route", failing_for_the_leader)
    await world.runtime.tick()
    await world.runtime.in_line_settled()
    assert await _outcomes(db) == {"SMleft0": "error: RuntimeError", "SMleft1": "role_filled"}
    metrics = await world.client.get("/metrics")
    assert (_gauge(metrics, "in_line"), _gauge(metrics, "failed")) == ("0", "1")
    sent = await world.drain()
    told = [m.body for m in sent if m.to == leader.phone]
    assert told == [world.runtime.activation_config.playbook.render("reply_error")]
    assert [activation["ref"] in m.body for m in sent if m.to == keeper.phone] == [True]


async def test_a_reply_waits_for_a_turn_on_sqlite_and_is_kept_in_line_on_postgresql(world, db):
    """On SQLite the webhook works on INBOUND_CONCURRENCY replies at once and one more waits its
    turn; on PostgreSQL keeping a reply in line needs no turn, and the drain takes none."""
    activation = await world.activate("steering")
    await world.drain()
    phone = world.people["log0"].phone
    slots = world.runtime.inbound_slots
    taken = 0
    while not slots.locked():  # every turn taken, as by replies being worked on
        await slots.acquire()
        taken += 1
    try:
        reply = asyncio.create_task(world.sms(phone, "OK", sid="SMnoturn", settle=False))
        await asyncio.sleep(0.3)
        if db.kind == "sqlite":
            assert not reply.done(), "on SQLite a reply waits for its turn"
        else:
            assert (await asyncio.wait_for(reply, 5)).text == EMPTY
            await world.runtime.in_line_settled()  # the drain takes no turn: it is done already
            row = await _row(db, "SMnoturn")
            assert row.outcome == "role_filled" and row.processed_at > row.received_at
    finally:
        for _ in range(taken):
            slots.release()
    assert (await asyncio.wait_for(reply, 10)).text == EMPTY
    assert await _outcomes(db) == {"SMnoturn": "role_filled"}
    answers = [m.body for m in await world.drain() if m.to == phone]
    assert len(answers) == 1 and activation["ref"] in answers[0], answers
