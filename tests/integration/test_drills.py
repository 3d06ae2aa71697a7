"""Call-out drills through the real twilio SDK against the Twilio mock: a drill over 100 people
with answers at known times, silence, numbers that fail at once, late delivery failures and an
unsubscribed number gives the right figures (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from twilio.request_validator import RequestValidator

from beredskab.directory.models import Person, RosterEntry
from beredskab.drills.models import DrillPage
from beredskab.flows.inbound import handle_inbound_sms
from beredskab.roles import Role
from tests.factories import bearer
from tests.scenario import AUTH_TOKEN, OUR_NUMBER, open_world, seed_municipalities
from tests.twilio_mock import TwilioMock

pytestmark = pytest.mark.db

CODE = re.compile(r"svar OK (\d{4})")


@pytest.fixture
def twilio():
    with TwilioMock(auth_token=AUTH_TOKEN) as mock:
        yield mock


@pytest.fixture
async def world(db, twilio):
    overrides = {
        "sms_gateway": "twilio",
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_api_base_url": twilio.base_url,
        "sms_rate_per_second": 1000,
    }
    async with await open_world(db, overrides, fake_sms=False) as w:
        yield w


async def _seed_to_100(world) -> list[str]:
    """The scenario's 11 on the rosters and 3 steering members, 30 more on the rosters and 28
    municipalities' primary and secondary contacts: 100 people in `all` (not the outsider)."""
    async with world.runtime.sessionmaker() as session:
        for i in range(30):
            person = Person(
                id=f"extra{i}", name=f"Ekstra {i:02d}", phone=f"+45609{i:05d}", org_id="ddh"
            )
            session.add(person)
            world.people[person.id] = person
        await session.flush()
        roles = list(Role)
        for i in range(30):
            session.add(RosterEntry(role=roles[i % 4], rank=10 + i, person_id=f"extra{i}"))
        await session.commit()
    await seed_municipalities(world, 28)
    return sorted(pid for pid in world.people if pid != "outsider")


async def _status(world, sid: str, status: str, error: str) -> None:
    params = {"MessageSid": sid, "MessageStatus": status, "ErrorCode": error}
    url = "http://testserver/webhooks/twilio/status"
    sig = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    r = await world.client.post(
        "/webhooks/twilio/status", data=params, headers={"X-Twilio-Signature": sig}
    )
    assert r.status_code == 204, r.text


async def _answer(world, pid: str, body: str, now) -> str:
    """`pid` texts `body` at `now` (the inbound service itself, so the time is known)."""
    async with world.runtime.sessionmaker() as session:
        done = await handle_inbound_sms(
            session,
            world.runtime.activation_config,
            message_sid=f"SM{pid}{now.timestamp():.0f}",
            from_number=world.people[pid].phone,
            to_number=OUR_NUMBER,
            body=body,
            own_numbers={OUR_NUMBER},
            now=now,
        )
    return done.outcome


async def test_a_drill_over_100_people_gives_the_right_figures(world, twilio, db):
    everyone = await _seed_to_100(world)
    assert len(everyone) == 100
    phone = {pid: world.people[pid].phone for pid in everyone}
    unsubscribed_now = everyone[0:3]  # STOP before: Twilio refuses the send (21610)
    invalid_now = everyone[3:7]  # 21211: refused at once
    undelivered_later = everyone[7:12]  # accepted, then a delivery report: undelivered 30003
    stop_later = everyone[12:14]  # accepted, then failed 21610
    for pid in unsubscribed_now:
        twilio.fail_number(phone[pid], 21610)
    for pid in invalid_now:
        twilio.fail_number(phone[pid], 21211)

    r = await world.client.post(
        "/drills",
        json={"group": "all", "call_after_minutes": 10},
        headers=bearer(world.tokens["steering"]),
    )
    assert r.status_code == 201, r.text
    drill = r.json()
    assert drill["people"] == 100 and drill["status"] == "open"
    await world.runtime.dispatcher.drain()

    sms = {m["To"]: m for m in twilio.messages}
    assert len(sms) == 100 - 7
    for m in sms.values():
        assert m["Body"].startswith("ØVELSE"), m["Body"]
    code = {pid: CODE.search(sms[phone[pid]]["Body"]).group(1) for pid in everyone[7:]}
    assert len(set(code.values())) == len(code)  # one code each
    for pid in undelivered_later:
        await _status(world, sms[phone[pid]]["sid"], "undelivered", "30003")
    for pid in stop_later:
        await _status(world, sms[phone[pid]]["sid"], "failed", "21610")

    async with db.sessionmaker() as s:
        pages = (await s.exec(select(DrillPage))).all()
    started = datetime.fromisoformat(drill["started_at"])
    assert len(pages) == 100
    answering = everyone[14:]
    plan = {}  # pid -> minutes after the start
    for i, pid in enumerate(answering[:40]):
        plan[pid] = 1 + i % 4  # within 5
    for i, pid in enumerate(answering[40:60]):
        plan[pid] = 6 + i % 8  # 6..13: within 15
    for i, pid in enumerate(answering[60:70]):
        plan[pid] = 16 + i  # 16..25: within 30
    for pid in answering[70:75]:
        plan[pid] = 45  # late, still counted as answered
    silent = answering[75:]  # 11 people never answer
    assert len(silent) == 11

    def body(pid: str, n: int) -> str:
        # with the code, without it (the open drill), and a NEJ: each is an answer
        return ["OK " + code[pid], "ok", "NEJ " + code[pid], f"ja{code[pid]}"][n % 4]

    early = sorted((m, pid) for pid, m in plan.items() if m <= 10)
    for n, (minutes, pid) in enumerate(early):
        outcome = await _answer(world, pid, body(pid, n), started + timedelta(minutes=minutes))
        assert outcome == "drill_answered", (pid, outcome)
    # after 10 minutes: those who have not answered are called
    await world.runtime.tick(now=started + timedelta(minutes=10, seconds=1))
    for n, (minutes, pid) in enumerate(sorted((m, p) for p, m in plan.items() if m > 10)):
        at = started + timedelta(minutes=minutes)
        assert await _answer(world, pid, "OK " + code[pid], at) == "drill_answered"
    # a second answer is thanked, and changes nothing
    first = answering[0]
    again = started + timedelta(minutes=50)
    assert await _answer(world, first, "OK " + code[first], again) == "drill_already_answered"
    await world.runtime.dispatcher.drain()
    thanks = [m for m in twilio.messages if m["To"] == phone[first]][1:]
    assert len(thanks) == 2 and all("Tak" in m["Body"] for m in thanks)

    r = await world.client.get(f"/drills/{drill['id']}", headers=bearer(world.tokens["admin"]))
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["counts"] == {
        "people": 100,
        "answered": 75,
        "not_answered": 11,
        "undeliverable": 4 + 5,
        "unsubscribed": 3 + 2,
        "not_paged": 0,
    }
    by_id = {p["person_id"]: p for p in result["people"]}
    assert all(by_id[p]["outcome"] == "unsubscribed" for p in unsubscribed_now + stop_later)
    assert all(by_id[p]["outcome"] == "undeliverable" for p in invalid_now + undelivered_later)
    for pid, minutes in plan.items():
        assert by_id[pid]["outcome"] == "answered" and by_id[pid]["channel"] == "sms"
        assert by_id[pid]["minutes"] == minutes
    not_answered = {p["person_id"] for p in result["not_answered"]}
    assert not_answered == set(silent) | set(everyone[:14])
    called = {pid for pid, p in by_id.items() if p["call_requested_at"]}
    # called after 10 minutes: not yet answered, and not known undeliverable or unsubscribed
    assert called == {pid for pid in everyone[14:] if plan.get(pid, 99) > 10}
    # placed only for those still silent when the dispatcher came to it (the rest answered first)
    assert sorted(c["To"] for c in twilio.voice_calls) == sorted(phone[pid] for pid in silent)
    calls = {pid: by_id[pid]["call"] for pid in called}
    assert calls == {pid: "placed" if pid in silent else "cancelled" for pid in called}

    # per group: each person in each of their groups
    def expect(group_members: set[str]) -> list[tuple[int, int, int]]:
        return [
            (within, sum(1 for p in group_members if plan.get(p, 99) <= within), len(group_members))
            for within in (5, 15, 30)
        ]

    municipal = {pid for pid in everyone if re.fullmatch(r"m\d+[ps]", pid)}
    steering = {"steer0", "steer1", "steer2"}
    roster = set(everyone) - municipal - steering
    groups = {g["group"]: g for g in result["groups"]}
    for name, members in (
        ("crisis_roster", roster),
        ("steering", steering),
        ("municipality_contacts", municipal),
    ):
        got = [(s["within_minutes"], s["part"], s["whole"]) for s in groups[name]["reached"]]
        assert got == expect(members), name
        assert groups[name]["people"] == len(members)

    # the same as Danish CSV, both ways of asking
    for url in (f"/drills/{drill['id']}.csv", f"/drills/{drill['id']}?format=csv"):
        r = await world.client.get(url, headers=bearer(world.tokens["steering"]))
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        text = r.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert rows[1][:4] == ["Navn", "Telefon", "Grupper", "Resultat"]
        people_rows = rows[2:102]
        assert sum(1 for row in people_rows if row[3] == "svaret") == 75
        assert sum(1 for row in people_rows if row[3] == "ikke svaret") == 11
        assert "attachment" in r.headers["content-disposition"]


async def test_a_real_page_comes_first_and_the_drill_gets_the_rest(world, twilio, db):
    act = await world.activate("steering", exercise=True)  # an exercise does not block a drill
    r = await world.client.post(
        "/drills", json={"group": "crisis_roster"}, headers=bearer(world.tokens["admin"])
    )
    assert r.status_code == 201, r.text
    await world.runtime.dispatcher.drain()
    leader = world.people["leader0"].phone
    bodies = [m["Body"] for m in twilio.messages if m["To"] == leader]
    drill_code = next(CODE.search(b).group(1) for b in bodies if b.startswith("ØVELSE fra"))
    await world.sms(leader, "OK")  # one open real page: it answers that
    board = await world.board(act["id"])
    leader_role = next(r for r in board["roles"] if r["role"] == "crisis_leader")
    assert leader_role["state"] == "filled" and leader_role["person"]["id"] == "leader0"
    async with db.sessionmaker() as s:
        page = (await s.exec(select(DrillPage).where(DrillPage.person_id == "leader0"))).one()
        assert page.answered_at is None
    await world.sms(leader, f"OK {drill_code}")  # the drill's code answers the drill
    await world.sms(world.people["log1"].phone, "OK")  # no real page open: the drill's
    async with db.sessionmaker() as s:
        answered = set(
            await s.exec(select(DrillPage.person_id).where(DrillPage.answered_at.is_not(None)))
        )
    assert answered == {"leader0", "log1"}


async def test_never_two_drills_at_once_nor_during_a_real_activation(world, db):
    steering = bearer(world.tokens["steering"])
    first = await world.client.post("/drills", json={"group": "steering"}, headers=steering)
    assert first.status_code == 201
    second = await world.client.post("/drills", json={"group": "all"}, headers=steering)
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    assert "still open" in second.json()["detail"]
    # the first one's time is up: the tick closes it
    await world.runtime.tick(now=world_now() + timedelta(minutes=61))
    listed = await world.client.get("/drills", headers=steering)
    assert [d["status"] for d in listed.json()["drills"]] == ["closed"]
    await world.activate("authority")  # a real activation, requested
    third = await world.client.post("/drills", json={"group": "all"}, headers=steering)
    assert third.status_code == 409 and "under way" in third.json()["detail"]


def world_now():
    from beredskab.metadata import utcnow

    return utcnow()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"group": "everyone"}, "group"),
        ({}, "group"),
        ({"group": "all", "call_after_minutes": 0}, "call_after_minutes"),
        ({"group": "all", "call_after_minutes": "soon"}, "call_after_minutes"),
        ({"group": "all", "extra": 1}, "extra"),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(world, body, field):
    headers = bearer(world.tokens["steering"])
    r = await world.client.post("/drills", json=body, headers=headers)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert field in r.text
    assert (await world.client.get("/drills", headers=headers)).json() == {"drills": []}


async def test_an_unknown_drill_is_404_and_a_bad_id_422(world):
    headers = bearer(world.tokens["admin"])
    assert (await world.client.get("/drills/999", headers=headers)).status_code == 404
    assert (await world.client.get("/drills/999.csv", headers=headers)).status_code == 404
    r = await world.client.get("/drills/abc", headers=headers)
    assert r.status_code == 422 and "drill_id" in r.text


async def _scheduled(db) -> list:
    from beredskab.deadlines import Deadline, DeadlineStatus

    async with db.sessionmaker() as s:
        rows = await s.exec(
            select(Deadline)
            .where(Deadline.kind == "drill_scheduled", Deadline.status == DeadlineStatus.pending)
            .order_by(Deadline.due_at)
        )
        return [(r.subject_id, r.due_at) for r in rows.all()]


def _utc(*args: int) -> datetime:
    from datetime import UTC

    return datetime(*args, tzinfo=UTC)


async def test_the_playbooks_scheduled_drills_run_from_deadline_rows(world, db, twilio):
    # the playbook: all, first Tuesday of each quarter 10:00; the roster, second Wednesday of
    # January 03:00 (Copenhagen time)
    start = _utc(2026, 12, 4, 12)
    async with world.runtime.sessionmaker() as session:
        from beredskab.drills.handlers import keep_schedule

        assert await keep_schedule(session, world.runtime.activation_config, start) == 2
    async with world.runtime.sessionmaker() as session:  # a second start adds nothing
        assert await keep_schedule(session, world.runtime.activation_config, start) == 0
    assert await _scheduled(db) == [(0, _utc(2027, 1, 5, 9)), (1, _utc(2027, 1, 13, 2))]

    await world.runtime.tick(now=_utc(2027, 1, 5, 9, 0, 1))
    drills = (await world.client.get("/drills", headers=bearer(world.tokens["admin"]))).json()
    [drill] = drills["drills"]
    assert drill["scheduled"] and drill["group"] == "all" and drill["people"] == 14
    assert drill["created_by"] == "Planlagt kaldeøvelse"
    # the next one of the rule is waiting, in summer time
    assert await _scheduled(db) == [(1, _utc(2027, 1, 13, 2)), (0, _utc(2027, 4, 6, 8))]

    # a real activation is under way at the night drill: it waits an hour at a time
    await world.activate("authority")
    await world.runtime.tick(now=_utc(2027, 1, 13, 2, 0, 1))
    assert await _scheduled(db) == [(1, _utc(2027, 1, 13, 3, 0, 1)), (0, _utc(2027, 4, 6, 8))]
    drills = (await world.client.get("/drills", headers=bearer(world.tokens["admin"]))).json()
    assert len(drills["drills"]) == 1


async def test_a_real_activation_stops_the_drill_and_its_unsent_sms(world, twilio, db):
    r = await world.client.post(
        "/drills", json={"group": "all"}, headers=bearer(world.tokens["steering"])
    )
    assert r.status_code == 201
    drill = r.json()
    await world.activate("authority")  # before the dispatcher has sent the drill's SMS
    await world.runtime.dispatcher.drain()
    assert not any(m["Body"].startswith("ØVELSE") for m in twilio.messages)
    assert any("anmodning om aktivering" in m["Body"] for m in twilio.messages)
    result = (
        await world.client.get(f"/drills/{drill['id']}", headers=bearer(world.tokens["admin"]))
    ).json()
    assert result["drill"]["status"] == "closed"
    assert result["counts"]["not_paged"] == drill["people"] == 14


async def test_a_key_pressed_in_the_call_answers_the_drill_as_key(world, db):
    from beredskab.drills.answers import key_answer

    r = await world.client.post(
        "/drills",
        json={"group": "steering", "call_after_minutes": 5},
        headers=bearer(world.tokens["steering"]),
    )
    drill = r.json()
    await world.runtime.tick(now=datetime.fromisoformat(drill["started_at"]) + timedelta(minutes=6))
    async with db.sessionmaker() as s:
        page = (await s.exec(select(DrillPage).where(DrillPage.person_id == "steer1"))).one()
        assert page.call_requested_at is not None  # the call is due: the voice channel places it
    async with world.runtime.sessionmaker() as session:
        assert await key_answer(session, page.id, world_now()) is True
    async with world.runtime.sessionmaker() as session:
        assert await key_answer(session, page.id, world_now()) is False  # a replay: no change
    result = (
        await world.client.get(f"/drills/{drill['id']}", headers=bearer(world.tokens["admin"]))
    ).json()
    steer1 = next(p for p in result["people"] if p["person_id"] == "steer1")
    assert steer1["outcome"] == "answered" and steer1["channel"] == "key"
    r = await world.client.get(f"/drills/{drill['id']}.csv", headers=bearer(world.tokens["admin"]))
    assert "tast i opringning" in r.content.decode("utf-8-sig")
