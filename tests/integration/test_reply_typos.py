"""A typo in a code never fills a shift (#14.2): "JA 84O6 2" (letter O for the digit 0) from a
municipality contact with one open page is answered that the code does not fit, and changes no
allocation; the same reply with the right code takes the places asked for."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from beredskab.calendar import split
from beredskab.playbook_file import load_playbook
from beredskab.settings import DEFAULT_PLAYBOOK
from tests.factories import bearer
from tests.scenario import open_world, seed_municipalities

pytestmark = pytest.mark.db
CPH = ZoneInfo("Europe/Copenhagen")
RULES = load_playbook(DEFAULT_PLAYBOOK).playbook.opening_rules(CPH)


def _in_hours_span() -> tuple[datetime, datetime]:
    day = datetime.now(CPH).date() + timedelta(days=2)
    while True:
        start = datetime.combine(day, time(10), tzinfo=CPH)
        end = start + timedelta(hours=4)
        pieces = split(start, end, RULES)
        if len(pieces) == 1 and pieces[0].in_hours:
            return start, end
        day += timedelta(days=1)


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        w.orgs = await seed_municipalities(w, 1)
        w.activation = await w.activate("steering")
        await w.drain()
        for pid in ("leader0", "log0", "proc0", "staff0"):
            await w.reply(pid, f"OK {w.last_code(pid)}")
        await w.drain()
        yield w


async def _shift(world, agents: int) -> dict:
    start, end = _in_hours_span()
    r = await world.client.post(
        f"/activations/{world.activation['id']}/shifts",
        json={"start": start.isoformat(), "end": end.isoformat(), "agents_needed": agents},
        headers=bearer(world.tokens["leader0"]),
    )
    assert r.status_code == 201, r.text
    await world.drain()
    return r.json()


async def _allocated(world, shift_id: int) -> int:
    r = await world.client.get(
        f"/activations/{world.activation['id']}/shifts/{shift_id}",
        headers=bearer(world.tokens["admin"]),
    )
    return r.json()["agents_allocated"]


@pytest.mark.parametrize("typo", ["O", "o", "l", "S"])
async def test_a_letter_for_a_digit_in_the_code_fills_nothing(world, typo):
    shift = await _shift(world, 50)
    code = re.search(r"Svar JA (\d{4})", world.inbox("m0p")[-1]).group(1)
    mistyped = code[:2] + typo + code[3:]
    await world.reply("m0p", f"JA {mistyped} 2")
    await world.drain()
    answer = world.inbox("m0p")[-1]
    assert mistyped.upper() in answer and "passer ikke" in answer, answer
    assert await _allocated(world, shift["id"]) == 0
    await world.reply("m0p", f"JA {code} 2")
    await world.drain()
    assert await _allocated(world, shift["id"]) == 2


async def test_a_wrong_code_is_answered_with_the_senders_open_codes(world):
    await _shift(world, 3)
    code = re.search(r"Svar JA (\d{4})", world.inbox("m0p")[-1]).group(1)
    wrong = "9999" if code != "9999" else "9998"
    await world.reply("m0p", f"JA {wrong} 1")
    await world.drain()
    answer = world.inbox("m0p")[-1]
    assert f"Koden {wrong} passer ikke" in answer and f"Dine koder: {code}." in answer
