"""The role call-out, driven through the use cases that compose it: an answer fills the role or
moves it on, a page unanswered in time escalates, and a role nobody takes raises the alarm."""

from __future__ import annotations

from datetime import timedelta

import pytest

from beredskab import deadlines as deadline_runner
from beredskab.activations.models import CalloutState, PageState
from beredskab.crisis_staff.callout import PAGE_TIMEOUT
from beredskab.deadlines import DeadlineStatus
from beredskab.lifecycle import staff as crisis_staff
from beredskab.lifecycle.endorsement import deadline_handlers
from beredskab.roles import Role
from tests.services import rows
from tests.services.conftest import NOW, ROSTER, STEERING

pytestmark = pytest.mark.db

ACK_TIMEOUT = timedelta(minutes=10)


async def _answer(staff, session, activation, role, pid, *, accept, now=NOW):
    principal = await staff.crisis_staff(pid)
    return await crisis_staff.answer_role_page_via_api(
        session, staff.cfg, activation.id, role, principal, accept=accept, now=now
    )


async def _timeouts_at(db, staff, at) -> int:
    return await deadline_runner.run_due(db.sessionmaker, deadline_handlers(staff.cfg), now=at)


def _trail(pages) -> list[tuple[str, int, str]]:
    return [(p.person_id, p.pass_no, p.state) for p in pages]


async def test_an_acknowledgement_fills_the_role_and_the_person_hears_so(staff, session):
    activation = await staff.active()
    outcome = await _answer(staff, session, activation, Role.process_lead, "proc0", accept=True)
    assert (outcome.outcome, outcome.reply_key) == ("role_filled", "role_ack_confirm")
    callout = (await rows.callouts(session, activation.id))["process_lead"]
    assert (callout.state, callout.person_id, callout.since) == (CalloutState.filled, "proc0", NOW)
    [page] = await rows.pages(session, activation.id, role="process_lead")
    assert page.state == PageState.acked and page.answered_at == NOW
    entry = (await rows.log(session, activation.id))[-1]
    assert entry.kind == "role_filled" and entry.actor == "Navn proc0"


async def test_a_late_acknowledgement_still_fills_the_role_and_closes_the_deputys_page(
    staff, session, db
):
    activation = await staff.active()
    await _timeouts_at(db, staff, NOW + ACK_TIMEOUT)  # proc0's page expires, proc1 is paged
    later = NOW + ACK_TIMEOUT + timedelta(minutes=1)
    outcome = await _answer(
        staff, session, activation, Role.process_lead, "proc0", accept=True, now=later
    )
    assert outcome.outcome == "role_filled"
    assert _trail(await rows.pages(session, activation.id, role="process_lead")) == [
        ("proc0", 1, PageState.acked),
        ("proc1", 1, PageState.cancelled),
    ]
    assert "ikke længere åben" in (await rows.texts_to(session, staff.phone("proc1")))[-1]


async def test_a_second_acknowledgement_hears_the_role_is_taken(staff, session, db):
    activation = await staff.active()
    await _timeouts_at(db, staff, NOW + ACK_TIMEOUT)
    await _answer(staff, session, activation, Role.log_keeper, "log1", accept=True)
    outcome = await _answer(staff, session, activation, Role.log_keeper, "log0", accept=True)
    assert (outcome.outcome, outcome.reply_key) == ("already_filled", "role_already_filled")
    assert (await rows.callouts(session, activation.id))["log_keeper"].person_id == "log1"


async def test_a_decline_pages_the_next_rank_at_once_with_its_own_deadline(staff, session):
    activation = await staff.active()
    outcome = await _answer(staff, session, activation, Role.log_keeper, "log0", accept=False)
    assert (outcome.outcome, outcome.reply_key) == ("declined", "role_decline_confirm")
    declined, paged = await rows.pages(session, activation.id, role="log_keeper")
    assert (declined.person_id, declined.state) == ("log0", PageState.declined)
    assert (paged.person_id, paged.rank, paged.state) == ("log1", 1, PageState.open)
    [text] = await rows.texts_to(session, staff.phone("log1"))
    assert f"OK {paged.code}" in text
    [deadline] = [
        d for d in await rows.deadlines(session, PAGE_TIMEOUT) if d.subject_id == paged.id
    ]
    assert deadline.due_at.replace(tzinfo=NOW.tzinfo) == NOW + ACK_TIMEOUT


async def test_no_answer_in_time_expires_the_page_and_pages_the_next_rank(staff, session, db):
    activation = await staff.active()
    assert await _timeouts_at(db, staff, NOW + ACK_TIMEOUT - timedelta(seconds=1)) == 0
    assert await _timeouts_at(db, staff, NOW + ACK_TIMEOUT) == 4
    for role, ranks in ROSTER.items():
        trail = _trail(await rows.pages(session, activation.id, role=role))
        assert trail == [(ranks[0], 1, PageState.expired), (ranks[1], 1, PageState.open)]
    assert (await rows.log_kinds(session, activation.id)).count("page_expired") == 4


async def test_a_timeout_after_the_role_is_filled_changes_nothing(staff, session, db):
    activation = await staff.active()
    await _answer(staff, session, activation, Role.log_keeper, "log0", accept=True)
    await _timeouts_at(db, staff, NOW + ACK_TIMEOUT)
    assert _trail(await rows.pages(session, activation.id, role="log_keeper")) == [
        ("log0", 1, PageState.acked)
    ]
    timeout_rows = await rows.deadlines(session, PAGE_TIMEOUT)
    assert {d.status for d in timeout_rows} == {DeadlineStatus.done, DeadlineStatus.pending}


async def test_a_pass_nobody_takes_alerts_steering_and_the_leader_then_starts_again(staff, session):
    activation = await staff.active()
    await _answer(staff, session, activation, Role.crisis_leader, "leader0", accept=True)
    for pid in ROSTER[Role.staffing_lead]:
        await _answer(staff, session, activation, Role.staffing_lead, pid, accept=False)
    for pid in [*STEERING, "leader0"]:
        alert = (await rows.texts_to(session, staff.phone(pid)))[-1]
        assert "ikke besat efter runde 1" in alert and "En ny runde starter" in alert
    trail = _trail(await rows.pages(session, activation.id, role="staffing_lead"))
    assert trail[-1] == ("staff0", 2, PageState.open)
    callout = (await rows.callouts(session, activation.id))["staffing_lead"]
    assert callout.state == CalloutState.calling


async def test_the_last_pass_used_up_leaves_the_role_unfilled_for_a_handover(staff, session):
    activation = await staff.active()
    for _pass in range(staff.cfg.playbook.callout.max_passes):
        for pid in ROSTER[Role.staffing_lead]:
            await _answer(staff, session, activation, Role.staffing_lead, pid, accept=False)
    final = (await rows.texts_to(session, staff.phone("steer0")))[-1]
    assert "alle runder er brugt" in final
    callout = (await rows.callouts(session, activation.id))["staffing_lead"]
    assert callout.state == CalloutState.unfilled
    pages = await rows.pages(session, activation.id, role="staffing_lead")
    assert len(pages) == 6 and all(p.state == PageState.declined for p in pages)
    alarms = [e.data for e in await rows.log(session, activation.id) if e.kind == "role_unfilled"]
    assert alarms == [
        {"role": "staffing_lead", "pass_no": 1, "final": False},
        {"role": "staffing_lead", "pass_no": 2, "final": True},
    ]


async def test_a_role_with_nobody_active_on_its_roster_is_unfilled_at_once(staff, session):
    for pid in ROSTER[Role.process_lead]:
        staff.people[pid].active = False
        session.add(staff.people[pid])
    await session.commit()
    activation = await staff.active()
    assert await rows.pages(session, activation.id, role="process_lead") == []
    callout = (await rows.callouts(session, activation.id))["process_lead"]
    assert callout.state == CalloutState.unfilled
    assert "role_no_candidates" in await rows.log_kinds(session, activation.id)
    assert "alle runder er brugt" in (await rows.texts_to(session, staff.phone("steer1")))[-1]
