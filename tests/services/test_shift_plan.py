"""The shift plan the staffing lead's page reads: every municipality's answer (JA with places,
NEJ), the shortfall, and what may still be done with each shift."""

from __future__ import annotations

import pytest

from beredskab.auth.models import TokenRole
from beredskab.errors import NotFound
from beredskab.shifts import plan, rules
from beredskab.shifts.requesting import ShiftRequest, request_shift
from tests.services.shift_world import (
    LEADER,
    NOW,
    WEDNESDAY_10,
    hours,
    open_shift_world,
    principal,
    reply,
)


@pytest.fixture
async def world(db, session):
    return await open_shift_world(db, session)


async def test_the_plan_shows_yes_and_no_answers_in_order_and_the_shortfall(world):
    wanted = ShiftRequest(WEDNESDAY_10, WEDNESDAY_10 + hours(4), 3)
    shift = await request_shift(
        world.session, world.cfg, world.activation_id, wanted, LEADER, now=NOW
    )
    await reply(world, "m1p", shift, accept=False, now=NOW + hours(0.1))
    await reply(world, "m0p", shift, accept=True, count=2, now=NOW + hours(0.2))

    shown = await plan.shift_plan(world.session, world.cfg, LEADER, world.activation_id, NOW)

    assert shown.may_request
    [item] = shown.shifts
    assert item.shift.id == shift.id
    assert [(a.municipality, a.said_yes, a.places, a.confirmed) for a in item.answers] == [
        ("Kommune 1", False, 0, None),
        ("Kommune 0", True, 2, None),
    ]
    assert item.staffing == rules.Staffing(1, 1, False, False)
    assert item.may_cancel
    assert not item.may_decide  # inside opening hours: nothing to approve


async def test_another_authority_cannot_read_the_plan(world):
    stranger = principal(TokenRole.authority, "kbh", org_id="kobenhavn")
    with pytest.raises(NotFound):
        await plan.shift_plan(world.session, world.cfg, stranger, world.activation_id, NOW)
