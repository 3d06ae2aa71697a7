"""Costs from the real shift flow: a steering approval makes out-of-hours time the authority's,
volunteers' JA become billed allocations, and stand-down before the shift bills nothing."""

from __future__ import annotations

import pytest

from tests.costworld import R, by_org, get, patch, set_tariff
from tests.factories import make_token
from tests.integration.test_shifts import (
    approve_by_sms,
    code_in,
    post_shift,
    saturday_span,
    say,
)
from tests.scenario import open_world, seed_municipalities


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        w.orgs = await seed_municipalities(w, 3)
        await set_tariff(w, day="2020-01-01")
        async with db.sessionmaker() as session:
            w.tokens["staff0"] = await make_token(session, "crisis_staff", person_id="staff0")
        w.activation = await w.activate("steering")
        await w.drain()
        for pid in ("leader0", "log0", "proc0", "staff0"):
            await w.reply(pid, f"OK {w.last_code(pid)}")
        await w.drain()
        yield w


async def _costs(world) -> dict:
    r = await get(world, f"/activations/{world.activation['id']}/costs")
    assert r.status_code == 200, r.text
    return r.json()


def _shift_lines(body: dict) -> list[dict]:
    return [line for line in body["lines"] if line["category"] == "contact_centre_shift"]


async def test_an_approved_saturday_shift_is_the_authoritys_and_stand_down_unbills_it(world):
    before = await _costs(world)
    assert before["running"] and not before["out_of_hours_approved"]
    assert {line["category"] for line in before["lines"]} == {"crisis_staff"}
    start, end = saturday_span(4)
    shift = await post_shift(world, start, end, 3, token="authority")
    await world.drain()
    await approve_by_sms(world, shift["id"])
    await world.drain()
    await say(world, "m0p", f"JA {code_in(world.inbox('m0p')[-1])} 2")
    await say(world, "m1p", f"JA {code_in(world.inbox('m1p')[-1])} 1")
    body = await _costs(world)
    assert body["out_of_hours_approved"] is True
    lines = _shift_lines(body)
    assert sorted((line["creditor_id"], line["amount_ore"]) for line in lines) == [
        ("m0", 2 * 4 * R),
        ("m1", 4 * R),
    ]
    assert all(p["debtor_id"] == "odder" for line in lines for p in line["parts"])

    # the staffing lead reports that Kommune 0 sent one agent in the end; more agents than
    # Kommune 1 was allocated cannot be reported (issue 14.4: it would change the bill silently)
    def actuals(org: str) -> str:
        aid = next(line for line in lines if line["creditor_id"] == org)["id"].split("-")[1]
        return f"/activations/{world.activation['id']}/allocations/{aid}/actuals"

    r = await patch(world, actuals("m0"), {"actual_agents": 1}, "staff0")
    assert r.status_code == 200, r.text
    r = await patch(world, actuals("m1"), {"actual_agents": 2}, "staff0")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "actual_agents"
    paid = by_org((await _costs(world))["by_creditor"])
    assert (paid["m0"], paid["m1"]) == (4 * R, 4 * R)
    r = await world.client.post(
        f"/activations/{world.activation['id']}/stand-down",
        json={"reason": "Slut"},
        headers={"Authorization": f"Bearer {world.tokens['steering']}"},
    )
    assert r.status_code == 200, r.text
    after = await _costs(world)
    assert _shift_lines(after) == [] and after["running"] is False  # cancelled before it began
