"""Twilio redelivers a webhook when our answer is slow: a copy of a message we already have is
answered with an empty response, does nothing a second time and logs no error (issue #13.2)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import select

from api.routers.webhooks import EMPTY_TWIML as EMPTY
from beredskab.activations.models import InboundSms
from tests.scenario import open_world

pytestmark = pytest.mark.db


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


async def _inbound(db) -> list[InboundSms]:
    async with db.sessionmaker() as s:
        return list((await s.exec(select(InboundSms))).all())


async def test_a_replayed_ok_is_answered_empty_and_logs_no_error(world, db, caplog):
    await world.activate("steering")
    await world.drain()
    phone = world.people["log0"].phone
    first = await world.sms(phone, "OK", sid="SMsamecopy")
    assert first.status_code == 200 and first.text == EMPTY
    sent_after_first = await world.drain()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = await world.sms(phone, "OK", sid="SMsamecopy")
    assert again.status_code == 200
    assert again.text == EMPTY, "a duplicate must not be told to answer again"
    assert await world.drain() == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    rows = await _inbound(db)
    assert [r.outcome for r in rows] == ["role_filled"] and len(sent_after_first) >= 1


async def test_ten_concurrent_copies_of_one_ok_act_once_and_none_is_told_to_retry(world, db):
    await world.activate("steering")
    await world.drain()
    phone = world.people["log0"].phone
    answers = await asyncio.gather(*(world.sms(phone, "OK", sid="SMstormcopy") for _ in range(10)))
    assert [a.status_code for a in answers] == [200] * 10
    assert [a.text for a in answers] == [EMPTY] * 10
    rows = await _inbound(db)
    assert len(rows) == 1 and not rows[0].outcome.startswith("error")
    texts = [m.body for m in await world.drain() if m.to == phone]
    assert len(texts) == 1, texts  # the one confirmation, no "svar igen"


async def test_a_message_sid_longer_than_its_column_is_kept_and_still_deduplicated(world, db):
    """Twilio's ids are 34 characters; a longer one (a proxy, a future format) must not be a 500
    and must not lose the message (#13.5)."""
    await world.activate("steering")
    await world.drain()
    phone = world.people["log0"].phone
    long_sid = "SM" + "f" * 98
    first = await world.sms(phone, "OK", sid=long_sid)
    assert first.status_code == 200 and first.text == EMPTY
    again = await world.sms(phone, "OK", sid=long_sid)
    assert again.status_code == 200 and again.text == EMPTY
    other = await world.sms(phone, "OK", sid="SM" + "f" * 97 + "e")  # same 64-char prefix
    assert other.status_code == 200
    rows = await _inbound(db)
    assert len(rows) == 2 and all(len(r.message_sid) <= 64 for r in rows)
    assert rows[0].outcome == "role_filled" and not rows[1].outcome.startswith("error")
