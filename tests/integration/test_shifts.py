"""Shifts through virtual phones, the thin top layer: SMS routed by the webhook to the shift pages
(the secondary contact, garbled replies, replies racing for the last places, a redelivered reply)
and the status board. The use cases are tested in tests/services/test_shift_*.py, the rules in
tests/unit/test_shift_rules.py, the router in tests/api/test_shifts_api.py; the helpers here also
serve test_shifts_twilio.py and test_costs_with_shifts.py."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from beredskab.activations.models import Page, PageState
from beredskab.calendar import default_rules, split
from beredskab.eventlog.models import LogEntry
from beredskab.shifts.models import VolunteerAllocation
from tests.factories import bearer
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
        assert sum("har 1 agent på" in a for a in answers) == places
        assert sum("dækket" in a for a in answers) == len(orgs) - places


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
