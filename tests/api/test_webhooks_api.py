"""The Twilio webhooks router: signatures checked on both hooks, never a 500 to Twilio, our own
number never answered, and a delivery report handed on. How a reply is routed is in
tests/services/test_inbound.py; replies told through phones in tests/integration."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select
from twilio.request_validator import RequestValidator

from beredskab.activations.models import InboundSms
from beredskab.outbox import OutboxMessage
from tests.scenario import AUTH_TOKEN, OUR_NUMBER, open_world

STATUS_URL = "http://testserver/webhooks/twilio/status"


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


async def _count(db, model) -> int:
    async with db.sessionmaker() as s:
        return (await s.exec(select(func.count()).select_from(model))).one()


async def _status(world, params: dict, signature: str | None = None):
    sig = signature or RequestValidator(AUTH_TOKEN).compute_signature(STATUS_URL, params)
    return await world.client.post(
        "/webhooks/twilio/status", data=params, headers={"X-Twilio-Signature": sig}
    )


async def test_forged_or_missing_signature_is_403_and_changes_nothing(world, db):
    await world.activate("steering")
    await world.drain()
    before = (await _count(db, InboundSms), await _count(db, OutboxMessage))
    forged = await world.sms(world.people["log0"].phone, "ok", signature="bm90IGEgc2lnbmF0dXJl")
    missing = await world.sms(world.people["log0"].phone, "ok", signature="")
    assert forged.status_code == 403 and missing.status_code == 403
    assert forged.headers["content-type"].startswith("application/problem+json")
    assert (await _count(db, InboundSms), await _count(db, OutboxMessage)) == before


async def test_without_an_auth_token_configured_every_sms_is_refused(db):
    async with await open_world(db, {"twilio_auth_token": ""}) as world:
        r = await world.sms(world.people["log0"].phone, "ok")
        assert r.status_code == 403


async def test_an_sms_is_answered_with_empty_twiml_and_the_reply_goes_by_the_outbox(world, db):
    r = await world.sms("+4599999999", "hej")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert "<Message>" not in r.text
    sent = await world.drain()
    assert [m.to for m in sent] == ["+4599999999"]


async def test_a_signed_sms_without_a_message_sid_is_a_422(world):
    params = {"From": "+4599999999", "To": OUR_NUMBER, "Body": "ok"}
    url = "http://testserver/webhooks/twilio/sms"
    sig = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    r = await world.client.post(
        "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": sig}
    )
    assert r.status_code == 422 and "MessageSid" in r.text


async def test_our_own_number_is_never_answered(world):
    await world.sms(OUR_NUMBER, "hej")
    assert await world.drain() == []


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


async def test_undelivered_status_moves_the_callout_on(world, db):
    await world.activate("steering")
    await world.drain()
    sid = next(m.provider_id for m in world.gateway.sent if m.to == world.people["staff0"].phone)
    params = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    r = await _status(world, params)
    assert r.status_code == 204
    sent = await world.drain()
    assert world.people["staff1"].phone in {m.to for m in sent}
    bad = await _status(world, params, signature="x")
    assert bad.status_code == 403


async def test_a_status_for_an_sms_we_never_sent_is_accepted_and_ignored(world, db):
    before = await _count(db, OutboxMessage)
    r = await _status(world, {"MessageSid": "SMunknown", "MessageStatus": "failed"})
    assert r.status_code == 204 and r.content == b""
    assert await _count(db, OutboxMessage) == before
