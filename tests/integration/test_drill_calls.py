"""A drill's phone call, through the real twilio SDK and the Twilio mock's Calls API: those who
have not answered the drill's SMS after N minutes are called exactly as for a real page; a key
answers the drill (channel key); voicemail, busy or no answer leave them not answered; a
replayed webhook has no second effect; a number known not to work is not called."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from beredskab.activations.voicecalls import VoiceAnswer
from beredskab.directory.models import Person
from beredskab.drills.models import DrillPage
from beredskab.metadata import utcnow
from beredskab.outbox import Channel, OutboxMessage
from tests.factories import bearer
from tests.integration import test_drills

pytestmark = pytest.mark.db

CALL_AFTER = 5
CODE = test_drills.CODE
twilio, world = test_drills.twilio, test_drills.world  # the same fixtures as the drills'


async def _drill(world, twilio) -> dict:
    """A drill over the steering group (steer0..2) with a call after 5 minutes; SMS sent."""
    r = await world.client.post(
        "/drills",
        json={"group": "steering", "call_after_minutes": CALL_AFTER},
        headers=bearer(world.tokens["steering"]),
    )
    assert r.status_code == 201, r.text
    await world.runtime.dispatcher.drain()
    return r.json()


async def _call_due(world, drill: dict) -> None:
    started = datetime.fromisoformat(drill["started_at"])
    await world.runtime.tick(now=started + timedelta(minutes=CALL_AFTER, seconds=1))
    await world.runtime.dispatcher.drain()


def _code(twilio, world, pid: str) -> str:
    [sms] = twilio.sent_to(world.people[pid].phone)
    return CODE.search(sms["Body"]).group(1)


def _call(twilio, world, pid: str) -> dict:
    [call] = twilio.calls_to(world.people[pid].phone)
    return call


async def _result(world, drill: dict) -> dict[str, dict]:
    r = await world.client.get(f"/drills/{drill['id']}", headers=bearer(world.tokens["admin"]))
    assert r.status_code == 200, r.text
    return {p["person_id"]: p for p in r.json()["people"]}


async def _counts(db) -> tuple[int, int, int]:
    async with db.sessionmaker() as s:

        async def n(model, *where) -> int:
            return (await s.exec(select(func.count()).select_from(model).where(*where))).one()

        return (
            await n(VoiceAnswer),
            await n(DrillPage, DrillPage.answered_at.is_not(None)),
            await n(OutboxMessage, OutboxMessage.channel == Channel.sms),
        )


async def test_unanswered_people_are_called_and_a_key_answers_the_drill(db, world, twilio):
    drill = await _drill(world, twilio)
    await world.reply("steer0", f"OK {_code(twilio, world, 'steer0')}")  # by SMS in time
    assert twilio.voice_calls == []
    await _call_due(world, drill)
    called = {c["To"] for c in twilio.voice_calls}
    assert called == {world.people[p].phone for p in ("steer1", "steer2")}  # not steer0
    call = _call(twilio, world, "steer1")
    assert call["MachineDetection"] == "Enable"
    assert call["Url"].startswith("http://testserver/webhooks/twilio/voice/")
    assert call["Url"].endswith("/" + _code(twilio, world, "steer1"))  # the drill page's code

    said = await twilio.answer(call, world.client, "1")
    assert said[0] == said[1] and said[0].startswith("ØVELSE") and "Tryk 1" in said[0]
    assert "Dit svar på kaldeøvelsen" in said[-1]  # thanked, in Danish
    await twilio.machine(_call(twilio, world, "steer2"), world.client)

    people = await _result(world, drill)
    assert people["steer0"]["channel"] == "sms" and people["steer0"]["call_requested_at"] is None
    steer1 = people["steer1"]
    assert (steer1["outcome"], steer1["channel"]) == ("answered", "key")
    assert steer1["answered_at"] is not None and steer1["call_requested_at"] is not None
    steer2 = people["steer2"]
    assert (steer2["outcome"], steer2["channel"]) == ("not_answered", None)
    assert [people[p]["call"] for p in ("steer0", "steer1", "steer2")] == [
        None,
        "accepted",
        "machine",
    ]
    r = await world.client.get(f"/drills/{drill['id']}.csv", headers=bearer(world.tokens["admin"]))
    text = r.content.decode("utf-8-sig")
    assert "tast i opringning;tastede 1" in text and ";telefonsvarer" in text
    async with db.sessionmaker() as s:
        outcomes = {a.outcome for a in (await s.exec(select(VoiceAnswer))).all()}
        rows = (await s.exec(select(VoiceAnswer))).all()
    assert outcomes == {"accepted", "machine"}
    assert all(a.page_id is None and a.activation_id is None for a in rows)

    # the calls are not repeated: a later tick calls nobody again
    await world.runtime.tick(
        now=datetime.fromisoformat(drill["started_at"]) + timedelta(minutes=30)
    )
    await world.runtime.dispatcher.drain()
    assert len(twilio.voice_calls) == 2


async def test_a_replayed_key_press_has_no_second_effect(db, world, twilio):
    drill = await _drill(world, twilio)
    await _call_due(world, drill)
    await twilio.answer(_call(twilio, world, "steer1"), world.client, "2")  # 2 answers too
    gathers = [w for w in twilio.webhooks if "/gather" in w[0] and w[1].get("Digits")]
    url, params, signature = gathers[-1]
    before = await _counts(db)
    answered_at = (await _result(world, drill))["steer1"]["answered_at"]
    for _ in range(2):
        r = await world.client.post(url, data=params, headers={"X-Twilio-Signature": signature})
        assert r.status_code == 200 and "Tak" in r.text
    assert await _counts(db) == before
    people = await _result(world, drill)
    assert people["steer1"]["answered_at"] == answered_at
    assert people["steer1"]["channel"] == "key"


@pytest.mark.parametrize("how", ["no_answer", "busy", "silence"])
async def test_a_call_without_a_key_leaves_the_person_not_answered(db, world, twilio, how):
    drill = await _drill(world, twilio)
    await _call_due(world, drill)
    call = _call(twilio, world, "steer0")
    if how == "silence":
        said = await twilio.answer(call, world.client, "")
        assert "Farvel" in said[-1]
    else:
        await getattr(twilio, how)(call, world.client)
    async with db.sessionmaker() as s:
        [row] = (await s.exec(select(VoiceAnswer))).all()
    assert row.outcome == {"no_answer": "no_answer", "busy": "busy"}.get(how, "no_key")
    steer0 = (await _result(world, drill))["steer0"]
    assert (steer0["outcome"], steer0["call"]) == ("not_answered", row.outcome)
    assert (await _result(world, drill))["steer1"]["call"] == "placed"
    # an SMS answer after the call still counts
    await world.reply("steer0", f"OK {_code(twilio, world, 'steer0')}")
    assert (await _result(world, drill))["steer0"]["channel"] == "sms"


async def test_a_number_known_not_to_work_is_not_called(db, world, twilio):
    twilio.fail_number(world.people["steer2"].phone, 21211)  # the drill's SMS refused for good
    twilio.fail_number(world.people["steer1"].phone, 21610)  # STOP
    drill = await _drill(world, twilio)
    await _call_due(world, drill)
    assert [c["To"] for c in twilio.voice_calls] == [world.people["steer0"].phone]
    people = await _result(world, drill)
    assert people["steer2"]["outcome"] == "undeliverable"
    assert people["steer1"]["outcome"] == "unsubscribed"
    assert people["steer1"]["call_requested_at"] is None


async def test_a_call_queued_for_someone_who_then_answers_by_sms_is_not_placed(db, world, twilio):
    drill = await _drill(world, twilio)
    started = datetime.fromisoformat(drill["started_at"])
    await world.runtime.tick(now=started + timedelta(minutes=CALL_AFTER, seconds=1))
    await world.reply("steer0", f"OK {_code(twilio, world, 'steer0')}")
    await world.runtime.dispatcher.drain()
    assert world.people["steer0"].phone not in {c["To"] for c in twilio.voice_calls}
    assert len(twilio.voice_calls) == 2


async def test_a_forged_drill_call_webhook_is_refused_and_changes_nothing(db, world, twilio):
    drill = await _drill(world, twilio)
    await _call_due(world, drill)
    call = _call(twilio, world, "steer0")
    params = {"CallSid": call["sid"], "Digits": "1", "CallStatus": "in-progress"}
    for signature in ["", "forged"]:
        r = await world.client.post(
            call["Url"] + "/gather?attempt=1",
            data=params,
            headers={"X-Twilio-Signature": signature},
        )
        assert r.status_code == 403
    assert (await _result(world, drill))["steer0"]["outcome"] == "not_answered"


async def test_a_number_marked_unreachable_is_not_called(db, world, twilio):
    drill = await _drill(world, twilio)
    async with db.sessionmaker() as s:
        person = await s.get(Person, "steer2")
        person.phone_unreachable_at, person.phone_unreachable_reason = utcnow(), "21614"
        s.add(person)
        await s.commit()
    await _call_due(world, drill)
    assert world.people["steer2"].phone not in {c["To"] for c in twilio.voice_calls}
    assert len(twilio.voice_calls) == 2


async def test_the_call_deadline_run_again_places_no_second_call(db, world, twilio):
    """A lease that ran out while the handler committed: the row runs again and finds every
    silent page already called (`call_requested_at` is written with the call)."""
    from beredskab.deadlines import Deadline
    from beredskab.drills.handlers import deadline_handlers
    from beredskab.drills.service import CALL_DUE

    drill = await _drill(world, twilio)
    handler = deadline_handlers(world.runtime.activation_config)[CALL_DUE]
    row = Deadline(kind=CALL_DUE, subject_id=drill["id"], due_at=utcnow())
    for _ in range(2):
        async with world.runtime.sessionmaker() as session:
            await handler(session, row, utcnow())
            await session.commit()
    await world.runtime.dispatcher.drain()
    assert len(twilio.voice_calls) == 3
    async with db.sessionmaker() as s:
        n = (
            await s.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.channel == Channel.voice)
            )
        ).one()
    assert n == 3
