"""The volunteer call-out as use cases with a fixed `now`: JA and NEJ, overflow, the covered
notice, withdrawal and take-over, confirmation by count or by name, the secondary contact."""

from __future__ import annotations

import pytest
from sqlmodel import select

from beredskab.auth.models import TokenRole
from beredskab.errors import NotFound
from beredskab.shifts import confirmation, repository
from beredskab.shifts.models import VolunteerAnswer
from tests.services.shift_world import (
    NOW,
    allocation_of,
    hours,
    open_shift_world,
    principal,
    reply,
    shift_for,
    withdraw,
)


@pytest.fixture
async def world(db, session):
    return await open_shift_world(db, session)


async def held(world, shift):
    rows = await repository.allocations(world.session, await world.reload(shift))
    return {a.org_id: (a.state, a.agents) for a in rows}


async def test_fill_overflow_covered_notice_and_late_reply(world):
    shift = await shift_for(world, 5)
    first = await reply(world, "m0p", shift, count=3)
    assert first.outcome == "volunteer_allocated" and first.values["agents"] == 3
    second = await reply(world, "m1p", shift, count=4)  # only 2 left
    assert second.outcome == "volunteer_partial" and second.values["agents"] == 2
    assert (await world.reload(shift)).state == "full"
    assert await held(world, shift) == {"m0": ("active", 3), "m1": ("active", 2)}
    assert "dækket" in (await world.inbox("m2p"))[-1]  # paged, not answered: told it is covered
    assert "fuldt bemandet" in (await world.inbox("staff0"))[-1]
    late = await reply(world, "m2p", shift, count=1)
    assert late.outcome == "shift_full"
    assert len(await held(world, shift)) == 2
    assert [e.kind for e in await world.log()][2:] == [
        "volunteer_allocated",
        "volunteer_allocated",
        "shift_full",
        "volunteer_too_late",
    ]
    partial = (await world.log("volunteer_allocated"))[1]
    assert "tilbød 4; kun 2 pladser tilbage" in partial.text and "Mangler nu 0" in partial.text


async def test_nej_is_recorded_and_a_municipality_is_not_paged_again(world):
    shift = await shift_for(world, 2)
    declined = await reply(world, "m0p", shift, accept=False)
    assert declined.outcome == "volunteer_declined"
    said_no = (await world.session.exec(select(VolunteerAnswer.org_id))).all()
    assert said_no == ["m0"]
    await reply(world, "m1p", shift, count=1)
    withdrawn = await withdraw(world, shift, "m1")
    assert withdrawn.outcome == "volunteer_withdrawn"
    # the call-out resumed: m2 has a page open still, m0 said no, m1 withdrew → no new page
    assert len(await world.inbox("m0p")) == 1 and len(await world.inbox("m1p")) == 1
    await world.sent()
    await world.tick(NOW + hours(16 / 60))  # after the secondary delay only m2's is paged
    sent = await world.sent()
    assert [m.recipient for m in sent if "Svar JA" in m.body] == world.phones("m2s")
    assert (await world.reload(shift)).state == "recruiting"
    assert await held(world, shift) == {"m1": ("released", 1)}


async def test_withdraw_reopens_repages_and_the_taker_frees_the_withdrawer(world):
    shift = await shift_for(world, 3)
    await reply(world, "m0p", shift, count=3)
    assert "dækket" in (await world.inbox("m2p"))[-1]
    await world.sent()
    outcome = await withdraw(world, shift, "m0")
    assert outcome.outcome == "volunteer_withdrawn"
    assert (await world.reload(shift)).state == "recruiting"
    assert "afmeldt 3 agenter" in (await world.inbox("staff0"))[-1]
    sent = await world.sent()
    repaged = sorted(m.recipient for m in sent if "Svar JA" in m.body)
    assert repaged == world.phones("m1p", "m2p")
    taken = await reply(world, "m2p", shift, count=3)
    assert taken.outcome == "volunteer_allocated"
    assert "overtaget" in (await world.inbox("m0p"))[-1]
    assert (await world.reload(shift)).state == "full"
    assert await held(world, shift) == {"m0": ("withdrawn", 3), "m2": ("active", 3)}


async def test_the_secondary_contact_is_paged_only_for_silent_municipalities(world):
    shift = await shift_for(world, 5)
    await reply(world, "m0p", shift, count=1)
    await world.sent()
    assert await world.tick(NOW + hours(14 / 60)) == 0
    await world.tick(NOW + hours(16 / 60))
    sent = await world.sent()
    assert sorted(m.recipient for m in sent) == world.phones("m1s", "m2s")
    # the secondary answers for its municipality; the primary's page closes with it
    outcome = await reply(world, "m1s", shift, count=2)
    assert outcome.values["municipality"] == "Kommune 1" and outcome.values["agents"] == 2
    assert (await world.page_of("m1p", shift)).state == "cancelled"
    secondary = (await world.log("volunteer_secondary_paged"))[0]
    assert "efter 15 min" in secondary.text


async def test_confirm_by_api_with_names_and_fewer_agents_reopens_places(world):
    shift = await shift_for(world, 3)
    await reply(world, "m0p", shift, count=3)
    allocation_id = (await allocation_of(world, shift, "m0")).id
    await world.sent()
    # another municipality's authority token finds nothing; the municipality's own can
    m1 = principal(TokenRole.authority, "m1", org_id="m1")
    with pytest.raises(NotFound):
        await confirmation.confirm_allocation(
            world.session, world.cfg, allocation_id, m1, agents=None, names=["Ane"], now=NOW
        )
    m0 = principal(TokenRole.authority, "m0", org_id="m0")
    confirmed = await confirmation.confirm_allocation(
        world.session,
        world.cfg,
        allocation_id,
        m0,
        agents=2,
        names=["Ane Holm", "Bo Lund"],
        now=NOW,
    )
    assert confirmed.state == "recruiting"
    allocation = await allocation_of(world, shift, "m0")
    assert (allocation.agents, allocation.confirmed_agents) == (2, 2)
    assert allocation.agent_names == ["Ane Holm", "Bo Lund"] and allocation.confirmed_at == NOW
    sent = await world.sent()
    assert set(world.phones("m1p", "m2p")) <= {m.recipient for m in sent}
    entry = (await world.log("volunteer_confirmed"))[0]
    assert entry.text.endswith(": Ane Holm, Bo Lund. 1 plads genåbnet.")


async def test_confirm_by_sms_keeps_the_places(world):
    shift = await shift_for(world, 4)
    await reply(world, "m0p", shift, count=2)
    allocation = await allocation_of(world, shift, "m0")
    outcome = await world.inside(
        confirmation.confirm, allocation, agents=None, names=[], by="m0p", via="SMS", now=NOW
    )
    assert outcome.outcome == "volunteer_confirmed" and outcome.values["agents"] == 2
    assert (await allocation_of(world, shift, "m0")).confirmed_agents == 2
    assert (await world.log("volunteers_paged"))[-1].data["orgs"] == ["m0", "m1", "m2"]


async def test_a_primary_contact_with_an_unverified_number_is_skipped_for_the_secondary(world):
    """#15.2: the secondary is paged at once in its place, and the log says why."""
    primary = world.people["m1p"]
    primary.phone_verified_at = None
    world.session.add(primary)
    await world.session.commit()
    shift = await shift_for(world, 5)
    assert (await world.page_of("m1s", shift)).rank == 1
    assert len(await world.inbox("m1s")) == 1 and len(await world.inbox("m0p")) == 1
    assert await world.inbox("m1p") == []
    [skip] = await world.log("page_skipped")
    assert skip.text == (
        "Kontakt m1p springes over som kontaktperson for Kommune 1: nummeret er ikke bekræftet; "
        "Kontakt m1s kaldes i stedet."
    )
