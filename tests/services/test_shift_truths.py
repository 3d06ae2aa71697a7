"""What the people of a shift are told is true (#14.3, #14.4): no false alarm to the staffing lead
while municipalities may still answer, open pages that carry the number missing now, a
confirmation of fewer agents that is not called a withdrawal, and a count above the places held
that is told back instead of silently cut."""

from __future__ import annotations

import pytest

from beredskab.auth.models import TokenRole
from beredskab.errors import InvalidInput
from beredskab.flows import closing
from beredskab.shifts import confirmation, ending
from beredskab.shifts.models import VolunteerAllocation
from tests.factories import make_allocation, make_shift
from tests.services.shift_world import (
    NOW,
    STEERING,
    allocation_of,
    hours,
    open_shift_world,
    principal,
    reply,
    shift_for,
    withdraw,
)

NOBODY_LEFT = "ingen kommuner at kalde"


@pytest.fixture
async def world(db, session):
    return await open_shift_world(db, session)


async def lead_inbox(world):
    return await world.inbox("staff0")


async def test_no_false_alarm_after_afmeld_while_municipalities_may_still_answer(world):
    shift = await shift_for(world, 3)
    await reply(world, "m0p", shift, count=1)  # m1 and m2 have their pages open still
    await withdraw(world, shift, "m0")
    assert not any(NOBODY_LEFT in text for text in await lead_inbox(world))
    # they may still fill the places: nobody had to be found by hand
    await reply(world, "m1p", shift, count=3)
    assert (await world.reload(shift)).state == "full"


async def test_the_staffing_lead_is_told_when_truly_nobody_is_left_to_call(db, session):
    world = await open_shift_world(db, session, municipalities=1)
    shift = await shift_for(world, 3)
    await reply(world, "m0p", shift, count=1)
    await withdraw(world, shift, "m0")
    assert NOBODY_LEFT in (await lead_inbox(world))[-1]


async def test_open_pages_get_the_new_number_once_when_places_reopen(world):
    shift = await shift_for(world, 2)
    await reply(world, "m0p", shift, count=1)
    await world.tick(NOW + hours(16 / 60))  # the secondaries are paged: "Vi mangler 1 agent"
    assert "mangler 1 agent." in (await world.inbox("m1s"))[-1]
    await world.sent()
    await withdraw(world, shift, "m0")
    sent = await world.sent()
    updates = [m for m in sent if "mangler nu 2 agenter" in m.body and "svar JA" in m.body]
    # every open page, one SMS each; not the one that withdrew, and nobody paged twice
    assert sorted(m.recipient for m in updates) == world.phones("m1p", "m1s", "m2p", "m2s")
    assert not [m for m in sent if "Svar JA" in m.body and m.recipient in world.phones("m0p")]


async def test_a_confirmation_that_changes_nothing_sends_no_update(world):
    shift = await shift_for(world, 3)
    await reply(world, "m0p", shift, count=2)
    await world.sent()
    allocation = await allocation_of(world, shift, "m0")
    await world.inside(
        confirmation.confirm, allocation, agents=2, names=[], by="m0p", via="SMS", now=NOW
    )
    assert await world.sent() == []  # (the answer to the sender is queued by flows.inbound)


async def test_a_confirmation_of_fewer_agents_is_not_called_a_withdrawal(world):
    shift = await shift_for(world, 3)
    await reply(world, "m0p", shift, count=3)
    allocation = await allocation_of(world, shift, "m0")
    await world.inside(
        confirmation.confirm, allocation, agents=2, names=[], by="m0p", via="SMS", now=NOW
    )
    told = (await lead_inbox(world))[-1]
    assert "afmeldt" not in told and "bekræftet færre agenter" in told, told
    assert "1 plads er genåbnet" in told and "mangler nu 1 agent." in told
    assert [e for e in await world.log() if "afmeldt" in e.text] == []
    assert (await world.log("volunteer_confirmed"))[0].text.endswith(". 1 plads genåbnet.")


async def test_after_afmeld_with_nobody_left_the_lead_gets_one_true_sms(db, session):
    world = await open_shift_world(db, session, municipalities=1)
    shift = await shift_for(world, 3)
    await reply(world, "m0p", shift, count=2)
    before = len(await lead_inbox(world))
    await withdraw(world, shift, "m0")
    told = (await lead_inbox(world))[before:]
    assert len(told) == 1 and "kaldes igen" not in told[0], told
    assert "Kommune 0 har afmeldt 2 agenter" in told[0] and NOBODY_LEFT in told[0]
    assert "mangler nu 3 agenter" in told[0]


async def test_after_afmeld_the_lead_hears_the_number_missing_and_that_the_call_out_goes_on(world):
    shift = await shift_for(world, 3)
    await reply(world, "m0p", shift, count=2)
    await withdraw(world, shift, "m0")
    told = (await lead_inbox(world))[-1]
    assert "afmeldt 2 agenter" in told and "mangler nu 3 agenter" in told
    assert "Kommunerne kaldes igen" in told


async def test_a_municipality_holding_places_takes_more_with_ja_and_the_number_in_all(world):
    shift = await shift_for(world, 4)
    await reply(world, "m0p", shift, count=1)
    more = await reply(world, "m0p", shift, count=3)  # JA <kode> 3: three in all
    assert more.outcome == "volunteer_allocated" and more.values["agents"] == 3
    assert (await allocation_of(world, shift, "m0")).agents == 3
    again = await reply(world, "m0p", shift, count=3)  # the same answer twice takes nothing
    assert again.outcome == "already_allocated" and again.values["agents"] == 3
    last = await reply(world, "m0p", shift, count=9)  # only 1 is left
    assert last.values["agents"] == 4 and (await world.reload(shift)).state == "full"
    entry = (await world.log("volunteer_allocated"))[1]
    assert "Kommune 0 stiller 2 agenter mere" in entry.text and "3 i alt" in entry.text


async def confirm_sms(world, shift, org_id, agents):
    allocation = await allocation_of(world, shift, org_id)
    return await world.inside(
        confirmation.confirm, allocation, agents=agents, names=[], by="m0p", via="SMS", now=NOW
    )


async def test_bekraeft_of_more_than_held_is_told_back_and_offers_the_open_places(world):
    shift = await shift_for(world, 4)
    await reply(world, "m0p", shift, count=1)
    outcome = await confirm_sms(world, shift, "m0", 5)
    assert outcome.outcome == "confirm_above_held"
    text = world.cfg.playbook.render(outcome.reply_key, **outcome.values)
    code = (await world.page_of("m0p", shift)).code
    assert "1 plads" in text and "3 ledige pladser" in text and f"JA {code}" in text, text
    held = await allocation_of(world, shift, "m0")
    assert (held.agents, held.confirmed_at) == (1, None)  # nothing changed


async def test_bekraeft_of_more_than_held_offers_nothing_when_no_place_is_open(world):
    shift = await shift_for(world, 2)
    await reply(world, "m0p", shift, count=1)
    await reply(world, "m1p", shift, count=1)
    outcome = await confirm_sms(world, shift, "m0", 5)
    text = world.cfg.playbook.render(outcome.reply_key, **outcome.values)
    assert "1 plads" in text and "JA" not in text and "ledig" in text, text
    assert (await allocation_of(world, shift, "m0")).confirmed_at is None


async def test_the_api_refuses_confirming_more_than_held_naming_the_bound(world):
    shift = await shift_for(world, 4)
    await reply(world, "m0p", shift, count=1)
    allocation_id = (await allocation_of(world, shift, "m0")).id
    m0 = principal(TokenRole.authority, "m0", org_id="m0")
    for agents, names, field in [(3, [], "agents"), (None, ["Ane", "Bo"], "names")]:
        with pytest.raises(InvalidInput) as refused:
            await confirmation.confirm_allocation(
                world.session, world.cfg, allocation_id, m0, agents=agents, names=names, now=NOW
            )
        [problem] = refused.value.problems
        assert problem.field == field and "at most 1" in problem.reason, problem
        assert "JA " in problem.reason  # 3 places are open: the municipality can take more
    # (the refusal rolled back: rows read before are expired, so read it afresh by its id)
    held = await world.session.get(VolunteerAllocation, allocation_id, populate_existing=True)
    assert held is not None and (held.agents, held.confirmed_at) == (1, None)


async def test_the_log_of_a_shift_cut_short_shows_the_cut_end_in_copenhagen_time(world):
    # NOW is 13:00 in Copenhagen (12:00 UTC); the shift ran 12:00-15:00 and is cut at 13:00
    shift = await make_shift(
        world.session, world.activation, NOW - hours(1), end=NOW + hours(2), state="full"
    )
    await make_allocation(world.session, shift, "m1", 3, person_id="m1p")
    await closing.stand_down(
        world.session, world.cfg, world.activation_id, STEERING, reason="Slut", now=NOW
    )
    (cut,) = await world.log("shift_ended_early")
    assert "man 23.11 12:00-13:00 afbrudt" in cut.text, cut.text
    assert "15:00" not in cut.text
    await world.inside(ending.shift_over, await world.reload(shift), NOW + hours(2))
    (over,) = await world.log("shift_over")
    assert "man 23.11 12:00-13:00 er slut" in over.text, over.text
