"""What a municipality reports it really worked cannot silently change the bill: a start after
the shift was cut, or after the reported end, and more agents than were allocated are refused
with the field and the bound named (issue 14.4)."""

from __future__ import annotations

import pytest

from tests.costworld import (
    FRIDAY,
    R,
    add_shift,
    cost_world,
    get,
    leader_acknowledges,
    local,
    patch,
    set_tariff,
)


@pytest.fixture
async def world(db):
    async with cost_world(db) as w:
        await set_tariff(w)
        w.activation = await w.activate("steering")
        await leader_acknowledges(w)
        yield w


async def _shift_amount(world) -> int:
    body = (await get(world, f"/activations/{world.activation['id']}/costs")).json()
    lines = [line for line in body["lines"] if line["category"] == "contact_centre_shift"]
    return sum(line["amount_ore"] for line in lines)


def _problem(response) -> tuple[str, str]:
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    return error["field"], error["reason"]


async def test_a_start_after_the_cut_is_refused_and_the_line_stays(world):
    aid = await add_shift(
        world,
        world.activation["id"],
        local(*FRIDAY, 16),
        local(*FRIDAY, 20),
        ended_at=local(*FRIDAY, 18),  # cut short by stand-down at 18:00
    )
    url = f"/activations/{world.activation['id']}/allocations/{aid}/actuals"
    before = await _shift_amount(world)
    assert before == 2 * 2 * R
    r = await patch(world, url, {"actual_start": local(*FRIDAY, 19).isoformat()})
    field, message = _problem(r)
    assert field == "actual_start" and "18:00" in message  # the bound, in Copenhagen time
    assert await _shift_amount(world) == before
    # up to the cut it is taken
    r = await patch(world, url, {"actual_start": local(*FRIDAY, 17).isoformat()})
    assert r.status_code == 200, r.text
    assert await _shift_amount(world) == 2 * R


async def test_a_start_after_the_reported_end_is_refused(world):
    aid = await add_shift(world, world.activation["id"], local(*FRIDAY, 16), local(*FRIDAY, 20))
    url = f"/activations/{world.activation['id']}/allocations/{aid}/actuals"
    r = await patch(
        world,
        url,
        {
            "actual_start": local(*FRIDAY, 18).isoformat(),
            "actual_end": local(*FRIDAY, 17).isoformat(),
        },
    )
    field, message = _problem(r)
    assert field == "actual_start" and "actual_end" in message and "17:00" in message
    r = await patch(world, url, {"actual_end": local(*FRIDAY, 15).isoformat()})
    field, message = _problem(r)
    assert field == "actual_end" and "16:00" in message  # after the start it would bill from
    assert await _shift_amount(world) == 2 * 4 * R


async def test_more_agents_than_allocated_are_refused(world):
    aid = await add_shift(
        world, world.activation["id"], local(*FRIDAY, 16), local(*FRIDAY, 20), agents=2
    )
    url = f"/activations/{world.activation['id']}/allocations/{aid}/actuals"
    field, message = _problem(await patch(world, url, {"actual_agents": 3}))
    assert field == "actual_agents" and "2" in message
    assert await _shift_amount(world) == 2 * 4 * R
    r = await patch(world, url, {"actual_agents": 1})
    assert r.status_code == 200, r.text
    assert await _shift_amount(world) == 4 * R


async def test_the_log_says_the_time_in_copenhagen_and_until_the_cut(world):
    aid = await add_shift(
        world,
        world.activation["id"],
        local(*FRIDAY, 16),
        local(*FRIDAY, 20),
        ended_at=local(*FRIDAY, 18),
    )
    url = f"/activations/{world.activation['id']}/allocations/{aid}/actuals"
    r = await patch(world, url, {"actual_agents": 1})
    assert r.status_code == 200, r.text
    log = await get(
        world, f"/activations/{world.activation['id']}/log?kind=shift_time_reported", "admin"
    )
    (entry,) = log.json()["entries"]
    assert "fre 20.11 16:00-18:00, 1 agent." in entry["text"], entry["text"]
    assert "UTC" not in entry["text"]
