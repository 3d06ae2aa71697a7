"""Inbound SMS and delivery-status webhooks: signatures, replays, strangers, garble, loops."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select
from twilio.request_validator import RequestValidator

from beredskab.activations.models import InboundSms, Page
from beredskab.outbox import OutboxMessage
from tests.scenario import AUTH_TOKEN, OUR_NUMBER, open_world


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


async def _count(db, model) -> int:
    async with db.sessionmaker() as s:
        return (await s.exec(select(func.count()).select_from(model))).one()


async def test_forged_or_missing_signature_is_403_and_changes_nothing(world, db):
    await world.activate("steering")
    await world.drain()
    before = (await _count(db, InboundSms), await _count(db, OutboxMessage))
    forged = await world.sms(world.people["log0"].phone, "ok", signature="bm90IGEgc2lnbmF0dXJl")
    missing = await world.sms(world.people["log0"].phone, "ok", signature="")
    assert forged.status_code == 403 and missing.status_code == 403
    assert forged.headers["content-type"].startswith("application/problem+json")
    assert (await _count(db, InboundSms), await _count(db, OutboxMessage)) == before


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


async def test_our_own_number_is_never_answered(world):
    await world.sms(OUR_NUMBER, "hej")
    assert await world.drain() == []


async def test_auto_answers_are_capped_per_number_per_hour(world):
    for _ in range(12):
        await world.sms("+4599999998", "hvad?")
    sent = await world.drain()
    assert len(sent) == 6  # five answers, then one saying so, then silence
    assert "for mange beskeder" in sent[-1].body
    assert all("for mange" not in m.body for m in sent[:-1])


async def test_undelivered_status_moves_the_callout_on(world, db):
    await world.activate("steering")
    await world.drain()
    sid = next(m.provider_id for m in world.gateway.sent if m.to == world.people["staff0"].phone)
    params = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    url = "http://testserver/webhooks/twilio/status"
    sig = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    r = await world.client.post(
        "/webhooks/twilio/status", data=params, headers={"X-Twilio-Signature": sig}
    )
    assert r.status_code == 204
    sent = await world.drain()
    assert world.people["staff1"].phone in {m.to for m in sent}
    bad = await world.client.post(
        "/webhooks/twilio/status", data=params, headers={"X-Twilio-Signature": "x"}
    )
    assert bad.status_code == 403


async def test_a_fault_while_processing_keeps_the_sms_and_still_answers(world, db, monkeypatch):
    import api.routers.webhooks as webhooks

    async def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(webhooks, "handle_inbound_sms", broken)  # fault injection, not a DB mock
    r = await world.sms(world.people["log0"].phone, "ok 4821", sid="SMfault")
    assert r.status_code == 200
    assert "<Message>" in r.text and "DDH-sekretariatet" in r.text
    async with db.sessionmaker() as s:
        row = await s.get(InboundSms, "SMfault")
    assert row is not None and row.outcome.startswith("error") and row.body == "ok 4821"
