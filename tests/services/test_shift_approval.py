"""Requesting a shift and the steering group's approval, called as use cases with a fixed `now`:
what is paged, scheduled and logged."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from beredskab.activations.models import ActivationStatus, Page, PagePurpose
from beredskab.errors import Conflict, NotFound
from beredskab.shifts import approval, ending, rules
from beredskab.shifts.requesting import ShiftRequest, request_shift
from tests.factories import make_active_activation
from tests.services.shift_world import (
    AUTHORITY,
    LEADER,
    NOW,
    SATURDAY_10,
    STEERING,
    WEDNESDAY_10,
    hours,
    open_shift_world,
    principal,
)


@pytest.fixture
async def world(db, session):
    return await open_shift_world(db, session)


async def ask(world, start, agents, *, by=LEADER, now=NOW):
    wanted = ShiftRequest(start, start + hours(4), agents)
    return await request_shift(world.session, world.cfg, world.activation_id, wanted, by, now=now)


async def answer(world, pid, shift, *, accept, now=NOW):
    page = await world.page_of(pid, shift)
    return await world.inside(
        approval.approval_reply, page, world.people[pid], accept=accept, now=now
    )


async def test_an_in_hours_shift_needs_no_approval_and_pages_every_primary(world):
    shift = await ask(world, WEDNESDAY_10, 4)
    assert shift.state == "recruiting" and shift.out_of_hours_minutes == 0
    assert shift.in_hours_minutes == 240
    sent = await world.sent()
    assert sorted(m.recipient for m in sent) == world.phones("m0p", "m1p", "m2p")
    assert "Svar JA" in sent[0].body and "mangler 4" in sent[0].body
    start = WEDNESDAY_10
    secondary = NOW + hours(0.25)  # the playbook's 15 minutes
    assert await world.deadlines() == [
        *[(rules.VOLUNTEER_SECONDARY, secondary, p.id) for p in await _pages(world, shift)],
        (rules.REMIND_24H, start - hours(24), shift.id),
        (rules.CHECK_2H, start - hours(2), shift.id),
        (rules.CHECK_1H, start - hours(1), shift.id),
        (rules.SHIFT_OVER, start + hours(4), shift.id),
    ]
    assert [e.kind for e in await world.log()] == ["shift_requested", "volunteers_paged"]
    with pytest.raises(Conflict, match="within opening hours"):
        await approval.approve_shift(
            world.session, world.cfg, world.activation_id, shift.id, STEERING, now=NOW
        )


async def _pages(world, shift, purpose=PagePurpose.volunteer):
    rows = await world.session.exec(
        select(Page).where(Page.shift_id == shift.id, Page.purpose == purpose).order_by(Page.id)
    )
    return rows.all()


async def test_approval_gates_the_volunteer_call_out(world):
    shift = await ask(world, SATURDAY_10, 2, by=AUTHORITY)
    assert shift.state == "awaiting_approval" and shift.out_of_hours_minutes == 240
    sent = await world.sent()
    assert sorted(m.recipient for m in sent) == world.phones("steer0", "steer1", "steer2")
    assert "uden for åbningstid" in (await world.inbox("steer1"))[-1]
    assert await world.deadlines(kind=rules.APPROVAL_REMINDER) == [
        (rules.APPROVAL_REMINDER, NOW + hours(10 / 60), shift.id)
    ]
    outcome = await answer(world, "steer1", shift, accept=True)
    assert outcome.outcome == "shift_approved"
    shift = await world.reload(shift)
    assert shift.state == "recruiting" and "steer1" in shift.approved_by
    to = {m.recipient for m in await world.sent()}
    assert set(world.phones("m0p", "m1p", "m2p")) <= to
    assert "godkendt af" in (await world.inbox("steer0"))[-1]  # the others are told
    # a second OK is answered, changes nothing
    again = await answer(world, "steer2", shift, accept=True)
    assert again.outcome == "shift_not_pending" and again.values["status"] == "godkendt"
    assert (await world.reload(shift)).approved_by == shift.approved_by
    assert [e.kind for e in await world.log()] == [
        "shift_requested",
        "shift_approval_requested",
        "shift_approved",
        "volunteers_paged",
    ]


async def test_steering_nej_from_everyone_rejects_and_the_api_rejects_with_a_reason(world):
    first = await ask(world, SATURDAY_10, 2)
    for pid in ("steer0", "steer1"):
        outcome = await answer(world, pid, first, accept=False)
        assert outcome.outcome == "shift_approval_declined"
    assert (await world.reload(first)).state == "awaiting_approval"  # one still to answer
    await answer(world, "steer2", first, accept=False)
    assert (await world.reload(first)).state == "rejected"
    assert "afvist" in (await world.inbox("staff0"))[-1]
    second = await ask(world, SATURDAY_10, 2)
    rejected = await approval.reject_shift(
        world.session,
        world.cfg,
        world.activation_id,
        second.id,
        STEERING,
        reason="For dyrt",
        now=NOW,
    )
    assert rejected.state == "rejected" and rejected.decided_reason == "For dyrt"
    volunteer_pages = (
        await world.session.exec(select(func.count()).where(Page.purpose == PagePurpose.volunteer))
    ).one()
    assert volunteer_pages == 0  # a rejected shift never reached a municipality
    kinds = [e.kind for e in await world.log()]
    assert kinds.count("shift_approval_declined") == 3 and kinds.count("shift_rejected") == 2


async def test_an_unapproved_shift_reminds_the_steering_group_and_tells_the_staffing_lead(world):
    shift = await ask(world, SATURDAY_10, 2)
    await world.sent()
    code = (await world.page_of("steer2", shift)).code
    await world.tick(NOW + hours(11 / 60))
    again = await world.sent()
    asked = sorted(m.recipient for m in again if "Godkend: svar OK" in m.body)
    assert asked == world.phones("steer0", "steer1", "steer2")
    assert code in (await world.inbox("steer2"))[-1]  # the same code still works
    assert "ikke godkendt" in (await world.inbox("staff0"))[-1]
    assert [e.kind for e in await world.log("shift_approval_overdue")] == ["shift_approval_overdue"]
    await answer(world, "steer2", shift, accept=True, now=NOW + hours(12 / 60))
    assert (await world.reload(shift)).state == "recruiting"
    await world.sent()
    await world.tick(NOW + hours(21 / 60))
    assert not [m for m in await world.sent() if "Godkend" in m.body]  # approved: no more


async def test_cancelling_a_shift_awaiting_approval_closes_the_steering_pages(world):
    shift = await ask(world, SATURDAY_10, 2)
    cancelled = await ending.cancel_shift(
        world.session,
        world.cfg,
        world.activation_id,
        shift.id,
        AUTHORITY,
        reason="Ikke nødvendig",
        now=NOW,
    )
    assert cancelled.state == "cancelled"
    assert "ikke længere åben" in (await world.inbox("steer1"))[-1]
    late = await answer(world, "steer1", shift, accept=True)
    assert late.outcome == "shift_not_pending" and late.values["status"] == "aflyst"
    assert (await world.reload(shift)).state == "cancelled"


async def test_shifts_only_for_an_active_activation_and_the_own_authority(world):
    other = principal(AUTHORITY.role, "region", org_id="region-x")
    with pytest.raises(NotFound):
        await ask(world, WEDNESDAY_10, 2, by=other)
    requested = await make_active_activation(world.session, status=ActivationStatus.requested)
    wanted = ShiftRequest(WEDNESDAY_10, WEDNESDAY_10 + hours(4), 2)
    with pytest.raises(Conflict, match="active"):
        await request_shift(world.session, world.cfg, requested.id, wanted, AUTHORITY, now=NOW)
    assert await world.sent() == [] and await world.log() == []
