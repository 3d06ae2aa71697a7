"""Shifts end to end through virtual phones: approval, volunteer call-out, fill, overflow, withdraw,
re-page, covered notice, confirmation, reminders, cancellation, stand-down and calendar files."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import func, select

from beredskab.activations.models import Page, PagePurpose, PageState
from beredskab.auth.models import TokenRole
from beredskab.calendar import default_rules, split
from beredskab.eventlog.models import LogEntry
from beredskab.shifts.models import Shift, VolunteerAllocation
from tests.factories import bearer, make_token
from tests.scenario import open_world, seed_municipalities

CPH = ZoneInfo("Europe/Copenhagen")
RULES = default_rules()


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CPH)


def in_hours_span(hours: int = 4) -> tuple[datetime, datetime]:
    """A weekday span 10:00–10+hours, at least two days ahead, wholly in opening hours."""
    day = datetime.now(CPH).date() + timedelta(days=2)
    while True:
        start, end = _local(day, 10), _local(day, 10 + hours)
        pieces = split(start, end, RULES)
        if len(pieces) == 1 and pieces[0].in_hours:
            return start, end
        day += timedelta(days=1)


def saturday_span(hours: int = 4) -> tuple[datetime, datetime]:
    day = datetime.now(CPH).date() + timedelta(days=2)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return _local(day, 10), _local(day, 10 + hours)


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        w.orgs = await seed_municipalities(w, 3)
        w.activation = await w.activate("steering")
        await w.drain()
        for pid in ("leader0", "log0", "proc0", "staff0"):  # the crisis staff is in place
            await w.reply(pid, f"OK {w.last_code(pid)}")
        await w.drain()
        yield w


async def post_shift(world, start, end, agents, *, token="leader0", expect=201):
    r = await world.client.post(
        f"/activations/{world.activation['id']}/shifts",
        json={"start": start.isoformat(), "end": end.isoformat(), "agents_needed": agents},
        headers=bearer(world.tokens[token]),
    )
    assert r.status_code == expect, r.text
    return r.json()


async def cancel_shift(world, shift_id, reason, *, token="leader0"):
    return await world.client.post(
        f"/activations/{world.activation['id']}/shifts/{shift_id}/cancel",
        json={"reason": reason},
        headers=bearer(world.tokens[token]),
    )


async def stand_down(world):
    r = await world.client.post(
        f"/activations/{world.activation['id']}/stand-down",
        json={"reason": "Slut"},
        headers=bearer(world.tokens["steering"]),
    )
    assert r.status_code == 200, r.text
    await world.drain()


async def get_shift(world, shift_id):
    r = await world.client.get(
        f"/activations/{world.activation['id']}/shifts/{shift_id}",
        headers=bearer(world.tokens["admin"]),
    )
    assert r.status_code == 200, r.text
    return r.json()


async def say(world, pid: str, body: str) -> None:
    """`pid` sends an SMS; our answer (queued in the outbox) is sent before we look."""
    await world.reply(pid, body)
    await world.drain()


def code_in(body: str) -> str:
    match = re.search(r"\b(?:OK|JA|NEJ|BEKRÆFT|AFMELD) (\d{4})\b", body)
    assert match, body
    return match.group(1)


async def approve_by_sms(world, shift_id):
    code = code_in(world.inbox("steer1")[-1])
    await world.reply("steer1", f"OK {code}")
    return await get_shift(world, shift_id)


async def test_an_in_hours_shift_needs_no_approval_and_pages_every_primary(world):
    start, end = in_hours_span()
    shift = await post_shift(world, start, end, 4)
    assert shift["state"] == "recruiting" and not shift["needs_approval"]
    assert shift["out_of_hours_minutes"] == 0 and shift["in_hours_minutes"] == 240
    sent = await world.drain()
    assert sorted(m.to for m in sent) == sorted(world.people[f"{o}p"].phone for o in world.orgs)
    assert "Svar JA" in world.inbox("m0p")[-1] and "mangler 4" in world.inbox("m0p")[-1]
    r = await world.client.post(
        f"/activations/{world.activation['id']}/shifts/{shift['id']}/approve",
        headers=bearer(world.tokens["steering"]),
    )
    assert r.status_code == 409 and "within opening hours" in r.json()["detail"]


async def test_approval_gates_the_volunteer_call_out(world):
    start, end = saturday_span()
    shift = await post_shift(world, start, end, 2, token="authority")
    assert shift["state"] == "awaiting_approval" and shift["needs_approval"]
    assert shift["out_of_hours_minutes"] == 240
    sent = await world.drain()
    steering = {world.people[p].phone for p in ("steer0", "steer1", "steer2")}
    assert {m.to for m in sent} == steering  # only the steering group, no municipality yet
    assert "uden for åbningstid" in world.inbox("steer1")[-1]
    shift = await approve_by_sms(world, shift["id"])
    assert shift["state"] == "recruiting" and "steer1" in shift["approved_by"]
    sent = await world.drain()
    to = {m.to for m in sent}
    assert {world.people[f"{o}p"].phone for o in world.orgs} <= to
    assert "godkendt af" in world.inbox("steer0")[-1]  # the others are told
    assert "godkendt" in world.inbox("steer1")[-1]
    # a second OK is answered, changes nothing
    await say(world, "steer2", f"OK {code_in(world.inbox('steer2')[0])}")
    assert "Vagten" in world.inbox("steer2")[-1] and "er godkendt" in world.inbox("steer2")[-1]
    assert (await get_shift(world, shift["id"]))["approved_by"] == shift["approved_by"]


async def test_fill_overflow_covered_notice_and_late_reply(world):
    start, end = in_hours_span()
    shift = await post_shift(world, start, end, 5)
    await world.drain()
    m0, m1, m2 = (code_in(world.inbox(f"{o}p")[-1]) for o in world.orgs)
    await say(world, "m0p", f"JA {m0} 3")
    assert "Kommune 0 har 3 agenter" in world.inbox("m0p")[-1]
    await say(world, "m1p", f"ja {m1} 4")  # only 2 left
    reply = world.inbox("m1p")[-1]
    assert "kun 2 pladser" in reply
    state = await get_shift(world, shift["id"])
    assert state["state"] == "full" and state["agents_allocated"] == 5
    assert {a["org_id"]: a["agents"] for a in state["allocations"]} == {"m0": 3, "m1": 2}
    await world.drain()
    assert "dækket" in world.inbox("m2p")[-1]  # paged, not answered: told it is covered
    assert "fuldt bemandet" in world.inbox("staff0")[-1]
    await say(world, "m2p", f"JA {m2} 1")
    assert "allerede dækket" in world.inbox("m2p")[-1]
    state = await get_shift(world, shift["id"])
    assert state["agents_allocated"] == 5 and len(state["allocations"]) == 2
    assert state["open_pages"] == 0


async def test_nej_is_recorded_and_a_municipality_is_not_paged_again(world):
    start, end = in_hours_span()
    shift = await post_shift(world, start, end, 2)
    await world.drain()
    await say(world, "m0p", f"NEJ {code_in(world.inbox('m0p')[-1])}")
    assert "noteret som nej" in world.inbox("m0p")[-1]
    await say(world, "m1p", f"JA {code_in(world.inbox('m1p')[-1])} 1")
    await say(world, "m1p", f"AFMELD {code_in(world.inbox('m1p')[-2])}")
    await world.drain()
    # the call-out resumed: m2 has a page open still, m0 said no, m1 withdrew → no new page
    # to them; and after the secondary delay only m2's secondary is paged
    assert len(world.inbox("m0p")) == 2 and len(world.inbox("m1p")) == 3
    sent = await world.later(16)
    assert [m.to for m in sent if "Svar JA" in m.body] == [world.people["m2s"].phone]
    state = await get_shift(world, shift["id"])
    assert state["agents_allocated"] == 0 and state["state"] == "recruiting"


async def test_withdraw_reopens_repages_and_the_taker_frees_the_withdrawer(world):
    start, end = in_hours_span()
    shift = await post_shift(world, start, end, 3)
    await world.drain()
    m0 = code_in(world.inbox("m0p")[-1])
    await say(world, "m0p", f"JA {m0} 3")
    await world.drain()
    assert "dækket" in world.inbox("m2p")[-1]
    await world.reply("m0p", f"AFMELD {m0}")
    sent = await world.drain()
    assert "ansvaret" in world.inbox("m0p")[-1]
    state = await get_shift(world, shift["id"])
    assert state["state"] == "recruiting" and state["agents_allocated"] == 0
    assert "afmeldt 3 agenter" in world.inbox("staff0")[-1]
    repaged = {m.to for m in sent if "Svar JA" in m.body}
    assert repaged == {world.people["m1p"].phone, world.people["m2p"].phone}
    new_code = code_in(world.inbox("m2p")[-1])
    await say(world, "m2p", f"JA {new_code} 3")
    await world.drain()
    assert "overtaget" in world.inbox("m0p")[-1]
    state = await get_shift(world, shift["id"])
    assert state["state"] == "full"
    assert {a["org_id"]: a["state"] for a in state["allocations"]} == {
        "m0": "withdrawn",
        "m2": "active",
    }


async def test_secondary_contact_is_paged_only_for_silent_municipalities(world):
    start, end = in_hours_span()
    await post_shift(world, start, end, 5)
    await world.drain()
    await say(world, "m0p", f"JA {code_in(world.inbox('m0p')[-1])} 1")
    await world.drain()
    assert await world.later(14) == []
    sent = await world.later(16)
    assert sorted(m.to for m in sent) == sorted(world.people[p].phone for p in ("m1s", "m2s"))
    # the secondary answers for its municipality; the primary's page closes with it
    await say(world, "m1s", f"JA {code_in(world.inbox('m1s')[-1])} 2")
    assert "Kommune 1 har 2 agenter" in world.inbox("m1s")[-1]
    await say(world, "m1p", "JA 2")  # no open page left for the primary
    assert "ingen åbne" in world.inbox("m1p")[-1]


async def test_confirmation_reminders_and_alerts_before_the_start(world):
    start = (datetime.now(UTC) + timedelta(hours=25)).replace(microsecond=0)
    shift = await post_shift(world, start, start + timedelta(hours=4), 4)
    if shift["state"] == "awaiting_approval":
        await world.drain()
        await approve_by_sms(world, shift["id"])
    await world.drain()
    m0 = code_in(world.inbox("m0p")[-1])
    m1 = code_in(world.inbox("m1p")[-1])
    await say(world, "m0p", f"JA {m0} 2")
    await say(world, "m1p", f"JA {m1} 1")
    await world.drain()
    sent = await world.later(61)  # T-24 h
    reminded = sorted(m.to for m in sent if "husk vagt" in m.body)
    assert reminded == sorted(world.people[p].phone for p in ("m0p", "m1p"))
    await say(world, "m0p", f"BEKRÆFT {m0}")
    assert "2 agenter fra Kommune 0 er bekræftet" in world.inbox("m0p")[-1]
    sent = await world.later(23 * 60 + 1)  # T-2 h: m1 reminded again, one agent short
    assert [m.to for m in sent if "husk vagt" in m.body] == [world.people["m1p"].phone]
    assert "mangler stadig 1 af 4" in world.inbox("staff0")[-1]
    sent = await world.later(24 * 60 + 1)  # T-1 h: m1 still unconfirmed
    assert (
        "Kommune 1" in world.inbox("staff0")[-1] and "ikke bekræftet" in world.inbox("staff0")[-1]
    )
    state = await get_shift(world, shift["id"])
    confirmed = {a["org_id"]: a["confirmed_at"] is not None for a in state["allocations"]}
    assert confirmed == {"m0": True, "m1": False} and state["agents_confirmed"] == 2


async def test_confirm_by_api_with_names_and_fewer_agents_reopens_places(world):
    start, end = in_hours_span()
    shift = await post_shift(world, start, end, 3)
    await world.drain()
    await say(world, "m0p", f"JA {code_in(world.inbox('m0p')[-1])} 3")
    state = await get_shift(world, shift["id"])
    allocation = state["allocations"][0]["id"]
    # another municipality's authority token cannot touch it; crisis staff can
    async with world.runtime.sessionmaker() as session:
        m1_token = await make_token(session, TokenRole.authority, org_id="m1")
        m0_token = await make_token(session, TokenRole.authority, org_id="m0")
    r = await world.client.post(
        f"/allocations/{allocation}/confirm", json={"names": ["Ane"]}, headers=bearer(m1_token)
    )
    assert r.status_code == 404
    # blank or over-long names, and a count that is not the names', are refused and change nothing
    for bad, field in [
        ({"names": ["  "]}, "names"),
        ({"names": ["x" * 61]}, "names"),
        ({"names": ["Ane Holm", "Bo Lund"], "agents": 3}, "body"),
    ]:
        r = await world.client.post(
            f"/allocations/{allocation}/confirm", json=bad, headers=bearer(m0_token)
        )
        assert r.status_code == 422, r.text
        assert [e["field"].split("[")[0] for e in r.json()["errors"]] == [field], r.text
    assert (await get_shift(world, shift["id"]))["agents_confirmed"] == 0
    r = await world.client.post(
        f"/allocations/{allocation}/confirm",
        json={"names": [" Ane Holm ", "Bo Lund"], "agents": 2},
        headers=bearer(m0_token),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agents_allocated"] == 2 and body["agents_confirmed"] == 2
    assert body["allocations"][0]["agent_names"] == ["Ane Holm", "Bo Lund"]
    assert body["state"] == "recruiting"
    sent = await world.drain()
    assert {world.people["m1p"].phone, world.people["m2p"].phone} <= {m.to for m in sent}


async def test_cancel_and_replies_to_a_cancelled_shift(world):
    start, end = in_hours_span()
    shift = await post_shift(world, start, end, 3)
    await world.drain()
    m0 = code_in(world.inbox("m0p")[-1])
    await say(world, "m0p", f"JA {m0} 1")
    r = await cancel_shift(world, shift["id"], "Hændelsen er under kontrol")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    await world.drain()
    assert "aflyst" in world.inbox("m0p")[-1] and "aflyst" in world.inbox("m1p")[-1]
    assert "aflyst af" in world.inbox("staff0")[-1]
    before = await get_shift(world, shift["id"])
    await say(world, "m1p", f"JA {code_in(world.inbox('m1p')[0])} 2")
    assert "aflyst" in world.inbox("m1p")[-1]
    assert await get_shift(world, shift["id"]) == before  # nothing changed
    r = await cancel_shift(world, shift["id"], "igen")
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda s, e: {"end": (s - timedelta(hours=1)).isoformat()}, "end", "after start"),
        (lambda s, e: {"end": (s + timedelta(hours=25)).isoformat()}, "end", "24 hours"),
        (lambda s, e: {"agents_needed": 0}, "agents_needed", "between 1 and 50"),
        (lambda s, e: {"agents_needed": 51}, "agents_needed", "between 1 and 50"),
        (
            lambda s, e: {
                "start": (datetime.now(UTC) - timedelta(hours=5)).isoformat(),
                "end": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            },
            "end",
            "already ended",
        ),
        (lambda s, e: {"start": s.replace(tzinfo=None).isoformat()}, "start", "timezone"),
    ],
)
async def test_bad_shift_requests_are_refused_and_change_nothing(world, change, field, reason):
    start, end = in_hours_span()
    payload = {"start": start.isoformat(), "end": end.isoformat(), "agents_needed": 2}
    payload.update(change(start, end))
    r = await world.client.post(
        f"/activations/{world.activation['id']}/shifts",
        json=payload,
        headers=bearer(world.tokens["leader0"]),
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert any(field in str(e.get("field", e.get("loc", ""))) for e in problem["errors"]), problem
    assert reason.lower() in r.text.lower()
    async with world.runtime.sessionmaker() as session:
        assert (await session.exec(select(func.count()).select_from(Shift))).one() == 0
    assert await world.drain() == []


async def test_shifts_only_for_an_active_activation_and_the_own_authority(world):
    start, end = in_hours_span()
    r = await world.client.post(
        f"/activations/{world.activation['id']}/shifts",
        json={"start": start.isoformat(), "end": end.isoformat(), "agents_needed": 2},
        headers=bearer(world.tokens["other_authority"]),
    )
    assert r.status_code == 404
    requested = await world.activate("authority")
    r = await world.client.post(
        f"/activations/{requested['id']}/shifts",
        json={"start": start.isoformat(), "end": end.isoformat(), "agents_needed": 2},
        headers=bearer(world.tokens["authority"]),
    )
    assert r.status_code == 409 and "active" in r.json()["detail"]


async def test_stand_down_cancels_future_shifts_and_tells_the_municipalities(world):
    start, end = in_hours_span()
    shift = await post_shift(world, start, end, 2)
    await world.drain()
    await say(world, "m0p", f"JA {code_in(world.inbox('m0p')[-1])} 1")
    await world.drain()
    await stand_down(world)
    state = await get_shift(world, shift["id"])
    assert state["state"] == "cancelled" and state["open_pages"] == 0
    assert "aflyst" in world.inbox("m0p")[-1]
    assert "aflyst" in world.inbox("m1p")[-1]  # paged, not answered: told too
    assert sum("afsluttet" in b for b in world.inbox("m1p")) == 0  # one text, not two
    async with world.runtime.sessionmaker() as session:
        kinds = (await session.exec(select(LogEntry.kind))).all()
    assert "shift_cancelled" in kinds


async def test_steering_nej_from_everyone_rejects_and_api_reject_needs_a_reason(world):
    start, end = saturday_span()
    first = await post_shift(world, start, end, 2)
    await world.drain()
    for pid in ("steer0", "steer1", "steer2"):
        await say(world, pid, f"NEJ {code_in(world.inbox(pid)[-1])}")
    state = await get_shift(world, first["id"])
    assert state["state"] == "rejected"
    await world.drain()
    assert "afvist" in world.inbox("staff0")[-1]
    second = await post_shift(world, start, end, 2)
    url = f"/activations/{world.activation['id']}/shifts/{second['id']}/reject"
    r = await world.client.post(url, json={}, headers=bearer(world.tokens["steering"]))
    assert r.status_code == 422 and "reason" in r.text
    r = await world.client.post(
        url, json={"reason": "For dyrt"}, headers=bearer(world.tokens["steering"])
    )
    assert r.status_code == 200 and r.json()["reason"] == "For dyrt"
    async with world.runtime.sessionmaker() as session:
        volunteer_pages = (
            await session.exec(select(func.count()).where(Page.purpose == PagePurpose.volunteer))
        ).one()
    assert volunteer_pages == 0  # a rejected shift never reached a municipality


async def test_garbled_and_ambiguous_volunteer_replies_get_help(world):
    start, end = in_hours_span()
    await post_shift(world, start, end, 2)
    await world.drain()
    code = code_in(world.inbox("m0p")[-1])
    await say(world, "m0p", "måske senere")
    assert f"JA {code}" in world.inbox("m0p")[-1]
    await say(world, "m0p", "BEKRÆFT")
    assert "ingen vagt at bekræfte" in world.inbox("m0p")[-1]


@pytest.mark.parametrize("places", [6])
async def test_concurrent_replies_for_the_last_places_allocate_exactly(db, places):
    async with await open_world(db) as world:
        orgs = await seed_municipalities(world, 50, secondary=False)
        world.activation = await world.activate("steering")
        start, end = in_hours_span()
        shift = await post_shift(world, start, end, places)
        await world.drain()
        codes = {o: code_in(world.inbox(f"{o}p")[-1]) for o in orgs}
        responses = await asyncio.gather(
            *(world.sms(world.people[f"{o}p"].phone, f"JA {codes[o]} 1") for o in orgs)
        )
        assert all(r.status_code == 200 for r in responses)
        async with world.runtime.sessionmaker() as session:
            rows = (
                await session.exec(
                    select(VolunteerAllocation).where(VolunteerAllocation.shift_id == shift["id"])
                )
            ).all()
            open_pages = (
                await session.exec(
                    select(func.count()).where(
                        Page.shift_id == shift["id"], Page.state == PageState.open
                    )
                )
            ).one()
        assert sum(r.agents for r in rows) == places and len(rows) == places
        assert open_pages == 0
        await world.drain()
        answers = [world.inbox(f"{o}p")[-1] for o in orgs]
        assert sum("har 1 agenter" in a for a in answers) == places
        assert sum("dækket" in a for a in answers) == len(orgs) - places


async def test_calendar_file_and_municipality_feed(world):
    start, end = in_hours_span()
    shift = await post_shift(world, start, end, 2)
    await world.drain()
    await say(world, "m0p", f"JA {code_in(world.inbox('m0p')[-1])} 2")
    r = await world.client.get(
        f"/shifts/{shift['id']}.ics", headers=bearer(world.tokens["authority"])
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    event = Calendar.from_ical(r.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == start and event.decoded("dtend") == end
    r = await world.client.get(
        f"/shifts/{shift['id']}.ics", headers=bearer(world.tokens["other_authority"])
    )
    assert r.status_code == 404
    r = await world.client.post(
        "/municipalities/m0/calendar-feed", headers=bearer(world.tokens["leader0"])
    )
    assert r.status_code == 201
    url = r.json()["url"]
    path = url[url.index("/calendar/") :]
    feed = await world.client.get(path)
    assert feed.status_code == 200
    events = list(Calendar.from_ical(feed.content).walk("VEVENT"))
    assert len(events) == 1 and str(events[0]["status"]) == "CONFIRMED"
    assert "2 agenter" in str(events[0]["summary"])
    wrong = await world.client.get(path[: path.index("key=") + 4] + "x" * 32)
    assert wrong.status_code == 403
    # the feed of m1 has nothing; cancelling turns m0's event into a cancellation
    await cancel_shift(world, shift["id"], "Ikke brug for den")
    events = list(Calendar.from_ical((await world.client.get(path)).content).walk("VEVENT"))
    assert str(events[0]["status"]) == "CANCELLED"
    # a new key replaces the old one
    r = await world.client.post(
        "/municipalities/m0/calendar-feed", headers=bearer(world.tokens["admin"])
    )
    assert (await world.client.get(path)).status_code == 403


async def test_the_status_board_shows_shifts_and_volunteer_pages(world):
    start, end = in_hours_span()
    shift = await post_shift(world, start, end, 4)
    await world.drain()
    await say(world, "m0p", f"JA {code_in(world.inbox('m0p')[-1])} 3")
    await say(world, "m0p", "BEKRÆFT 2")
    board = await world.board(world.activation["id"])
    assert board["shifts"] == [
        {
            "id": shift["id"],
            "start": board["shifts"][0]["start"],
            "end": board["shifts"][0]["end"],
            "state": "recruiting",
            "needs_approval": False,
            "agents_needed": 4,
            "agents_allocated": 2,
            "agents_confirmed": 2,
        }
    ]
    assert datetime.fromisoformat(board["shifts"][0]["start"]) == start
    volunteer_pages = [p for p in board["open_pages"] if p["purpose"] == "volunteer"]
    assert {p["org_id"] for p in volunteer_pages} == {"m1", "m2"}


async def test_when_the_shift_is_over_its_open_pages_close_quietly(world):
    start = (datetime.now(UTC) + timedelta(minutes=30)).replace(microsecond=0)
    shift = await post_shift(world, start, start + timedelta(hours=1), 3)
    if shift["state"] == "awaiting_approval":
        await world.drain()
        await approve_by_sms(world, shift["id"])
    await world.drain()
    await say(world, "m0p", f"JA {code_in(world.inbox('m0p')[-1])} 1")
    assert (await get_shift(world, shift["id"]))["open_pages"] > 0
    sent = await world.later(95)
    assert not [m for m in sent if m.to == world.people["m1p"].phone]  # closed without an SMS
    assert (await get_shift(world, shift["id"]))["open_pages"] == 0
    async with world.runtime.sessionmaker() as session:
        texts = (
            await session.exec(select(LogEntry.text).where(LogEntry.kind == "shift_over"))
        ).all()
    assert len(texts) == 1 and "1 af 3 agenter" in texts[0]


async def test_an_unapproved_shift_reminds_the_steering_group_and_tells_the_staffing_lead(world):
    start, end = saturday_span()
    shift = await post_shift(world, start, end, 2)
    await world.drain()
    code = code_in(world.inbox("steer2")[-1])
    sent = await world.later(11)
    again = sorted(m.to for m in sent if "Godkend: svar OK" in m.body)
    assert again == sorted(world.people[p].phone for p in ("steer0", "steer1", "steer2"))
    assert code_in(world.inbox("steer2")[-1]) == code  # the same code still works
    assert "ikke godkendt" in world.inbox("staff0")[-1]
    await say(world, "steer2", f"OK {code}")
    assert (await get_shift(world, shift["id"]))["state"] == "recruiting"
    sent = await world.later(21)
    assert not [m for m in sent if "Godkend" in m.body]  # approved: no more reminders


async def test_a_redelivered_reply_racing_the_first_allocates_once(world):
    start, end = in_hours_span()
    shift = await post_shift(world, start, end, 5)
    await world.drain()
    phone, code = world.people["m0p"].phone, code_in(world.inbox("m0p")[-1])
    first, second = await asyncio.gather(
        world.sms(phone, f"JA {code} 2", sid="SMsame"),
        world.sms(phone, f"JA {code} 2", sid="SMsame"),
    )
    assert first.status_code == second.status_code == 200
    state = await get_shift(world, shift["id"])
    assert state["agents_allocated"] == 2 and len(state["allocations"]) == 1
    await world.drain()
    assert sum("har 2 agenter" in b for b in world.inbox("m0p")) == 1
    async with world.runtime.sessionmaker() as session:
        kinds = (await session.exec(select(LogEntry.kind))).all()
    assert kinds.count("volunteer_allocated") == 1


async def test_stand_down_cuts_a_running_shift_short_and_tells_its_agents(world):
    start = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    shift = await post_shift(world, start, start + timedelta(hours=3), 1)
    if shift["state"] == "awaiting_approval":
        await world.drain()
        await approve_by_sms(world, shift["id"])
    await world.drain()
    await say(world, "m0p", f"JA {code_in(world.inbox('m0p')[-1])} 1")
    await stand_down(world)
    state = await get_shift(world, shift["id"])
    assert state["state"] == "full" and state["ended_at"] is not None  # cut short, not cancelled
    ended = datetime.fromisoformat(state["ended_at"])
    assert start < ended < start + timedelta(hours=3)
    assert "slutter nu" in world.inbox("m0p")[-1]


async def test_cancelling_a_shift_awaiting_approval_closes_the_steering_pages(world):
    start, end = saturday_span()
    shift = await post_shift(world, start, end, 2)
    await world.drain()
    r = await cancel_shift(world, shift["id"], "Ikke nødvendig", token="authority")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    await world.drain()
    assert "ikke længere åben" in world.inbox("steer1")[-1]
    await say(world, "steer1", f"OK {code_in(world.inbox('steer1')[-2])}")
    assert "aflyst" in world.inbox("steer1")[-1]
    assert (await get_shift(world, shift["id"]))["state"] == "cancelled"
