"""How shifts end, and the checkpoints before the start, as use cases with a fixed `now`:
cancel, stand-down before and during a shift, the end of a shift, reminders and alerts."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from beredskab.activations.models import Page, PageState
from beredskab.errors import Conflict
from beredskab.flows import closing
from beredskab.shifts import checkpoints, confirmation, ending, rules
from beredskab.shifts.models import VolunteerAllocation
from beredskab.shifts.requesting import ShiftRequest, request_shift
from tests.factories import make_allocation, make_shift, make_shift_page
from tests.services.shift_world import (
    LEADER,
    NOW,
    STEERING,
    WEDNESDAY_10,
    hours,
    open_shift_world,
    reply,
)


@pytest.fixture
async def world(db, session):
    return await open_shift_world(db, session)


async def shift_for(world, agents):
    wanted = ShiftRequest(WEDNESDAY_10, WEDNESDAY_10 + hours(4), agents)
    return await request_shift(
        world.session, world.cfg, world.activation_id, wanted, LEADER, now=NOW
    )


async def cancel(world, shift, reason):
    return await ending.cancel_shift(
        world.session, world.cfg, world.activation_id, shift.id, LEADER, reason=reason, now=NOW
    )


async def open_pages(world, shift):
    return (
        await world.session.exec(
            select(func.count()).where(Page.shift_id == shift.id, Page.state == PageState.open)
        )
    ).one()


async def test_cancel_and_replies_to_a_cancelled_shift(world):
    shift = await shift_for(world, 3)
    await reply(world, "m0p", shift, count=1)
    cancelled = await cancel(world, shift, "Hændelsen er under kontrol")
    assert cancelled.state == "cancelled" and cancelled.decided_reason.startswith("Hændelsen")
    assert "aflyst" in (await world.inbox("m0p"))[-1] and "aflyst" in (await world.inbox("m1p"))[-1]
    assert "aflyst af" in (await world.inbox("staff0"))[-1]
    late = await reply(world, "m1p", shift, count=2)
    assert late.outcome == "shift_closed" and late.values["status"] == "aflyst"
    states = (await world.session.exec(select(VolunteerAllocation.state))).all()
    assert states == ["cancelled"]
    with pytest.raises(Conflict, match="already aflyst"):
        await cancel(world, shift, "igen")
    entry = (await world.log("shift_cancelled"))[0]
    assert entry.text.endswith("Begrundelse: Hændelsen er under kontrol. 1 kommune orienteret.")


async def test_stand_down_cancels_future_shifts_and_tells_the_municipalities(world):
    shift = await shift_for(world, 2)
    await reply(world, "m0p", shift, count=1)
    await closing.stand_down(
        world.session, world.cfg, world.activation_id, STEERING, reason="Slut", now=NOW
    )
    assert (await world.reload(shift)).state == "cancelled"
    assert await open_pages(world, shift) == 0
    assert "aflyst" in (await world.inbox("m0p"))[-1]
    assert "aflyst" in (await world.inbox("m1p"))[-1]  # paged, not answered: told too
    assert sum("afsluttet" in b for b in await world.inbox("m1p")) == 0  # one text, not two
    assert len(await world.log("shift_cancelled")) == 1


async def test_stand_down_cuts_a_running_shift_short_and_tells_its_agents(world):
    shift = await make_shift(
        world.session, world.activation, NOW - hours(1), end=NOW + hours(2), state="full"
    )
    await make_allocation(world.session, shift, "m1", 3, person_id="m1p")
    await closing.stand_down(
        world.session, world.cfg, world.activation_id, STEERING, reason="Slut", now=NOW
    )
    ended = await world.reload(shift)
    assert ended.state == "full" and ended.ended_at == NOW  # cut short, not cancelled
    assert "slutter nu" in (await world.inbox("m1p"))[-1]
    assert (await world.log("shift_ended_early"))[-1].data["running"] is True


async def test_when_the_shift_is_over_its_open_pages_close_quietly(world):
    shift = await make_shift(world.session, world.activation, NOW - hours(1), end=NOW)
    await make_allocation(world.session, shift, "m0", 1, person_id="m0p")
    await make_shift_page(world.session, world.activation, shift, world.people["m1p"])
    await world.inside(ending.shift_over, await world.reload(shift), NOW)
    assert await world.sent() == []  # closed without an SMS
    assert await open_pages(world, shift) == 0
    (entry,) = await world.log("shift_over")
    assert "1 af 3 agenter" in entry.text and entry.data["closed_pages"] == 1


async def test_confirmation_reminders_and_alerts_before_the_start(world):
    start = NOW + hours(25)
    shift = await make_shift(world.session, world.activation, start, agents_needed=4)
    for pid, agents in (("m0p", 2), ("m1p", 1)):
        page = await make_shift_page(
            world.session, world.activation, shift, world.people[pid], state=PageState.acked
        )
        await make_allocation(world.session, shift, pid[:2], agents, person_id=pid, page_id=page.id)

    async def at(kind, now):
        await world.inside(checkpoints.checkpoint, await world.reload(shift), kind, now)
        return await world.sent()

    sent = await at(rules.REMIND_24H, start - hours(24))
    reminded = sorted(m.recipient for m in sent if "husk vagt" in m.body)
    assert reminded == world.phones("m0p", "m1p")
    m0 = (
        await world.session.exec(
            select(VolunteerAllocation).where(VolunteerAllocation.org_id == "m0")
        )
    ).one()
    await world.inside(
        confirmation.confirm, m0, agents=None, names=[], by="m0p", via="SMS", now=NOW
    )
    sent = await at(rules.CHECK_2H, start - hours(2))  # m1 reminded again, one agent short
    assert [m.recipient for m in sent if "husk vagt" in m.body] == world.phones("m1p")
    assert "mangler stadig 1 af 4" in (await world.inbox("staff0"))[-1]
    assert (await world.reload(shift)).short_alerted_at == start - hours(2)
    await at(rules.CHECK_1H, start - hours(1))  # m1 still unconfirmed
    last = (await world.inbox("staff0"))[-1]
    assert "Kommune 1" in last and "ikke bekræftet" in last
    assert [
        (e.kind, e.data["missing"], e.data["unconfirmed"])
        for e in await world.log()
        if e.kind.startswith("shift_")
    ] == [
        (rules.REMIND_24H, 1, ["m0", "m1"]),
        (rules.CHECK_2H, 1, ["m1"]),
        (rules.CHECK_1H, 1, ["m1"]),
    ]
