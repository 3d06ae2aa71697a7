"""Voice escalation through the real twilio SDK and the Twilio mock's Calls API: a page left
unanswered by SMS is followed by a call; the key pressed answers the page as the SMS reply would;
voicemail, busy and silence count as no answer; forged and replayed webhooks do nothing."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from beredskab.activations.models import Page
from beredskab.activations.voicecalls import VoiceAnswer
from beredskab.eventlog.models import LogEntry
from beredskab.outbox import Channel, OutboxMessage, enqueue_call
from beredskab.roles import Role
from tests.factories import bearer
from tests.integration.test_worker_crash import _start_worker, _worker_env
from tests.scenario import AUTH_TOKEN, open_world
from tests.twilio_mock import TwilioMock

CALL_AFTER = 5  # the shipped playbook: called 5 minutes into a 10-minute page


@pytest.fixture
def twilio():
    with TwilioMock(auth_token=AUTH_TOKEN) as mock:  # the phones' SMS are signed with it too
        yield mock


@pytest.fixture
async def world(db, twilio):
    overrides = {
        "sms_gateway": "twilio",
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token,
        "twilio_from": "+4570000000",
        "twilio_api_base_url": twilio.base_url,
    }
    async with await open_world(db, overrides, fake_sms=False) as w:
        yield w


async def _later(world, minutes: float) -> None:
    await world.runtime.tick(now=_now() + timedelta(minutes=minutes))
    await world.runtime.dispatcher.drain()


def _now():
    from beredskab.metadata import utcnow

    return utcnow()


def _texts(twilio, world, pid: str) -> list[str]:
    return [m["Body"] for m in twilio.sent_to(world.people[pid].phone)]


def _call(twilio, world, pid: str) -> dict:
    [call] = twilio.calls_to(world.people[pid].phone)
    return call


async def _log(db, activation_id: str) -> list[LogEntry]:
    async with db.sessionmaker() as s:
        rows = await s.exec(
            select(LogEntry).where(LogEntry.activation_id == activation_id).order_by(LogEntry.seq)
        )
        return list(rows.all())


async def _role(world, activation_id: str, role: str) -> dict:
    board = await world.board(activation_id)
    return next(r for r in board["roles"] if r["role"] == role)


async def _called(world, twilio) -> dict:
    act = await world.activate("steering")
    await world.runtime.dispatcher.drain()
    assert twilio.voice_calls == []  # the SMS first
    await _later(world, CALL_AFTER)
    return act


async def test_an_unanswered_primary_is_called_presses_1_and_fills_the_role(db, world, twilio):
    act = await _called(world, twilio)
    call = _call(twilio, world, "leader0")
    assert call["MachineDetection"] == "Enable" and call["From"] == "+4570000000"
    assert call["Url"].startswith("http://testserver/webhooks/twilio/voice/")
    said = await twilio.answer(call, world.client, "1")
    assert said[0] == said[1] and "kriseleder" in said[0] and "Tryk 1" in said[0]
    assert "Du er nu kriseleder" in said[-1]  # the SMS reply's text, spoken
    role = await _role(world, act["id"], "crisis_leader")
    assert role["state"] == "filled" and role["person"]["id"] == "leader0"
    kinds = [e.kind for e in await _log(db, act["id"])]
    assert kinds.count("call_placed") == 4 and "call_answered" in kinds
    filled = [e for e in await _log(db, act["id"]) if e.kind == "role_filled"]
    assert filled[0].text == "Navn leader0 har bekræftet rollen som kriseleder (opringning)."
    await world.runtime.dispatcher.drain()
    assert any("Du er nu kriseleder" in t for t in _texts(twilio, world, "leader0"))


async def test_pressing_2_declines_and_pages_the_deputy(db, world, twilio):
    act = await _called(world, twilio)
    await twilio.answer(_call(twilio, world, "log0"), world.client, "2")
    await world.runtime.dispatcher.drain()
    [page] = _texts(twilio, world, "log1")
    assert "logfører" in page and "OK " in page
    kinds = [e.kind for e in await _log(db, act["id"])]
    assert "page_declined" in kinds


async def test_voicemail_counts_as_no_answer_and_the_timeout_escalates(db, world, twilio):
    act = await _called(world, twilio)
    said = await twilio.machine(_call(twilio, world, "proc0"), world.client)
    assert said == []  # hung up on at once
    unanswered = [e for e in await _log(db, act["id"]) if e.kind == "call_unanswered"]
    assert len(unanswered) == 1 and "telefonsvarer" in unanswered[0].text
    assert _texts(twilio, world, "proc1") == []
    await _later(world, 10)
    assert len(_texts(twilio, world, "proc1")) == 1  # the deputy paged at the page's timeout
    assert twilio.calls_to(world.people["proc0"].phone)[1:] == []  # never called twice


@pytest.mark.parametrize("how", ["busy", "no_answer", "silence", "wrong_key"])
async def test_busy_no_answer_and_no_valid_key_are_logged_as_unanswered(db, world, twilio, how):
    act = await _called(world, twilio)
    call = _call(twilio, world, "staff0")
    if how == "busy":
        await twilio.busy(call, world.client)
    elif how == "no_answer":
        await twilio.no_answer(call, world.client)
    else:
        said = await twilio.answer(call, world.client, "" if how == "silence" else "77")
        assert "Vi hørte ikke et gyldigt svar" in " ".join(said)  # asked once more
        assert "Farvel" in said[-1]
    [entry] = [e for e in await _log(db, act["id"]) if e.kind == "call_unanswered"]
    reason = {"busy": "optaget", "no_answer": "intet svar"}.get(how, "ingen gyldig tast")
    assert reason in entry.text
    assert (await _role(world, act["id"], "staffing_lead"))["state"] == "calling"


async def test_a_forged_voice_webhook_is_refused(db, world, twilio):
    act = await _called(world, twilio)
    call = _call(twilio, world, "leader0")
    url = call["Url"] + "/gather?attempt=1"
    params = {"CallSid": call["sid"], "Digits": "1", "CallStatus": "in-progress"}
    for signature in ["", "forged", TwilioMock(auth_token="other").auth_token]:
        r = await world.client.post(url, data=params, headers={"X-Twilio-Signature": signature})
        assert r.status_code == 403
    assert (await _role(world, act["id"], "crisis_leader"))["state"] == "calling"


async def test_a_replayed_key_press_has_no_second_effect(db, world, twilio):
    act = await _called(world, twilio)
    await twilio.answer(_call(twilio, world, "log0"), world.client, "2")
    gathers = [w for w in twilio.webhooks if "/gather" in w[0] and w[1].get("Digits")]
    url, params, signature = gathers[-1]
    before = await _counts(db)
    for _ in range(2):
        r = await world.client.post(url, data=params, headers={"X-Twilio-Signature": signature})
        assert r.status_code == 200
    assert await _counts(db) == before
    kinds = [e.kind for e in await _log(db, act["id"])]
    assert kinds.count("page_declined") == 1 and kinds.count("call_answered") == 1


async def test_a_call_answers_only_its_own_page(db, world, twilio):
    act = await _called(world, twilio)
    leader, log0 = _call(twilio, world, "leader0"), _call(twilio, world, "log0")
    # the log keeper's call with the leader's page code in its URL: signed, but not its page
    crossed = dict(log0, Url=log0["Url"].rsplit("/", 1)[0] + "/" + leader["Url"].rsplit("/")[-1])
    said = await twilio.answer(crossed, world.client, "1")
    assert said == []
    assert (await _role(world, act["id"], "crisis_leader"))["state"] == "calling"
    assert (await _role(world, act["id"], "log_keeper"))["state"] == "calling"


async def test_an_answered_page_is_not_called(db, world, twilio):
    await world.activate("steering")
    await world.runtime.dispatcher.drain()
    code = next(b.split("OK ")[1][:4] for b in _texts(twilio, world, "leader0") if "OK " in b)
    await world.reply("leader0", f"OK {code}")
    await _later(world, CALL_AFTER)
    assert twilio.calls_to(world.people["leader0"].phone) == []
    assert len(twilio.voice_calls) == 3


async def _counts(db) -> tuple[int, int, int, int]:
    async with db.sessionmaker() as s:

        async def n(model, *where) -> int:
            return (await s.exec(select(func.count()).select_from(model).where(*where))).one()

        return (
            await n(Page),
            await n(OutboxMessage, OutboxMessage.channel == Channel.sms),
            await n(LogEntry),
            await n(VoiceAnswer),
        )


@pytest.mark.slow
async def test_sigkill_while_calls_are_queued_loses_none_and_places_none_twice(db):
    """A worker killed mid-run with calls queued and in flight; a new worker finishes. A call
    claimed before the kill is looked up at the provider before it is placed again."""
    with TwilioMock() as mock:
        mock.delay_s = 0.05  # the kill lands with calls in flight
        async with db.sessionmaker() as s:
            for n in range(60):
                enqueue_call(s, f"+45605{n:05d}", f"Opkald {n}", ref=str(1000 + n))
            await s.commit()
        env = _worker_env(db.url, mock)
        worker = await _start_worker(env)
        try:
            for _ in range(600):
                if len(mock.voice_calls) >= 15:
                    break
                await asyncio.sleep(0.02)
            assert len(mock.voice_calls) >= 15, "worker did not start calling"
        finally:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
        await asyncio.sleep(10 * mock.delay_s)  # requests already at the mock finish
        worker = await _start_worker(env)
        try:
            for _ in range(1500):
                if await _unsent_calls(db) == 0:
                    break
                await asyncio.sleep(0.02)
        finally:
            worker.send_signal(signal.SIGTERM)
            await worker.wait()
        assert await _unsent_calls(db) == 0
        placed = Counter(c["To"] for c in mock.voice_calls)
        assert len(placed) == 60 and set(placed.values()) == {1}


async def _unsent_calls(db) -> int:
    async with db.sessionmaker() as s:
        return (
            await s.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.channel == Channel.voice, OutboxMessage.status != "sent")
            )
        ).one()


async def test_the_board_shows_each_open_pages_call_and_the_call_counts(db, world, twilio):
    act = await _called(world, twilio)
    await twilio.busy(_call(twilio, world, "proc0"), world.client)
    await twilio.answer(_call(twilio, world, "leader0"), world.client, "1")
    board = await world.board(act["id"])
    calls = {p["person"]["id"]: p["call"] for p in board["open_pages"]}
    assert calls == {"log0": "placed", "proc0": "busy", "staff0": "placed"}
    counts = board["counts"]
    assert (counts["calls_placed"], counts["calls_answered"], counts["calls_unanswered"]) == (
        4,
        1,
        1,
    )


async def test_a_steering_member_is_called_and_endorses_with_key_1(db, world, twilio):
    act = await world.activate("authority")
    await world.runtime.dispatcher.drain()
    await _later(world, CALL_AFTER)
    assert {c["To"] for c in twilio.voice_calls} == {
        world.people[p].phone for p in ("steer0", "steer1", "steer2")
    }
    said = await twilio.answer(_call(twilio, world, "steer1"), world.client, "1")
    assert "Odder Kommune anmoder om aktivering" in said[0] and "godkendt" in said[-1]
    assert (await world.board(act["id"]))["status"] == "active"
    endorsed = [e for e in await _log(db, act["id"]) if e.kind == "endorsed"]
    assert len(endorsed) == 1 and endorsed[0].actor == "Navn steer1"
    # the action cards are written once the call's webhook has committed the endorsement
    tasks = await world.client.get(
        f"/activations/{act['id']}/tasks", headers=bearer(world.tokens["steering"])
    )
    assert {t["role"] for t in tasks.json()} == {r.value for r in Role}
    late = await twilio.answer(_call(twilio, world, "steer2"), world.client, "1")
    assert "allerede godkendt" in late[-1]
    assert len([e for e in await _log(db, act["id"]) if e.kind == "endorsed"]) == 1


async def test_a_call_the_provider_refuses_is_logged_and_the_page_escalates_as_usual(
    db, world, twilio
):
    act = await world.activate("steering")
    await world.runtime.dispatcher.drain()
    twilio.fail_next(1, status=400)  # the first call placed is refused for good
    await _later(world, CALL_AFTER)
    [entry] = [e for e in await _log(db, act["id"]) if e.kind == "call_unanswered"]
    assert "kunne ikke ringes op" in entry.text
    assert len(twilio.voice_calls) == 3
    assert (await world.board(act["id"]))["counts"]["calls_unanswered"] == 1


async def test_a_2_whose_next_page_meets_a_reply_code_race_is_done_on_a_new_try(
    db, world, twilio, monkeypatch
):
    """PostgreSQL: the deputy that a 2 pages got a code another transaction gave them at the
    same moment (tests/races.py): the webhook tries the key again, and the call ends as usual."""
    if db.kind != "postgresql":
        pytest.skip("a race needs two writers side by side: PostgreSQL (SQLite has one writer)")
    from beredskab.crisis_staff import callout
    from tests.races import race_before

    act = await _called(world, twilio)
    raced = race_before(monkeypatch, db.sessionmaker, callout, "create_page")
    said = await twilio.answer(_call(twilio, world, "log0"), world.client, "2")
    assert len(raced) == 1 and raced[0][0] == "log1"
    assert "kunne ikke behandle dit svar" not in said[-1]  # not the spoken error
    async with db.sessionmaker() as s:
        [page] = (
            await s.exec(select(Page).where(Page.activation_id == act["id"], Page.rank == 1))
        ).all()
    assert page.person_id == "log1" and page.code != raced[0][1]
    assert [e.kind for e in await _log(db, act["id"])].count("call_answered") == 1
