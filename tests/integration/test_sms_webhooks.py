"""Inbound SMS told through phones: replays, strangers, garble, foreign codes, the answer cap.

The webhooks themselves (signatures, faults, our own number, delivery status) are tested in
tests/api/test_webhooks_api.py."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from beredskab.activations.models import Page
from beredskab.outbox import OutboxMessage
from tests.scenario import open_world


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


async def _count(db, model) -> int:
    async with db.sessionmaker() as s:
        return (await s.exec(select(func.count()).select_from(model))).one()


async def test_replayed_message_sid_changes_nothing_the_second_time(world, db):
    act = await world.activate("steering")
    await world.drain()
    phone = world.people["log0"].phone
    assert (await world.sms(phone, "nej", sid="SMreplay")).status_code == 200
    await world.drain()
    after_first = (await _count(db, Page), await _count(db, OutboxMessage))
    assert (await world.sms(phone, "nej", sid="SMreplay")).status_code == 200
    assert (await _count(db, Page), await _count(db, OutboxMessage)) == after_first
    assert (await world.board(act["id"]))["counts"]["pages"] == 5


async def test_unknown_sender_gets_a_helpful_answer(world):
    await world.sms("+4599999999", "OK 1234")
    sent = await world.drain()
    assert [m.to for m in sent] == ["+4599999999"]
    assert "DDH" in sent[0].body


async def test_garbled_reply_with_one_open_page_names_its_code(world):
    await world.activate("steering")
    await world.drain()
    code = world.last_code("log0")
    for text in ["🙂", "", "x" * 2000]:
        await world.reply("log0", text)
    sent = await world.drain()
    assert len(sent) == 3 and all(code in m.body for m in sent)


async def test_code_that_belongs_to_someone_else_is_refused(world):
    act = await world.activate("steering")
    await world.drain()
    foreign = world.last_code("proc0")
    await world.reply("log0", f"ok {foreign}")
    [answer] = await world.drain()
    assert answer.to == world.people["log0"].phone and foreign in answer.body
    assert "passer ikke" in answer.body
    board = await world.board(act["id"])
    assert all(r["state"] == "calling" for r in board["roles"])  # nothing was acknowledged


async def test_reply_without_any_open_page(world):
    await world.reply("outsider", "ok")
    sent = await world.drain()
    assert len(sent) == 1 and "ingen" in sent[0].body.lower()


async def test_auto_answers_are_capped_per_number_per_hour(world):
    for _ in range(12):
        await world.sms("+4599999998", "hvad?")
    sent = await world.drain()
    assert len(sent) == 6  # five answers, then one saying so, then silence
    assert "for mange beskeder" in sent[-1].body
    assert all("for mange" not in m.body for m in sent[:-1])
