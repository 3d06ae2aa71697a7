"""Lifecycle use cases called directly: request, endorse, the endorsement reminder, handover,
and answering a role page through the API's use case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from beredskab import deadlines as deadline_runner
from beredskab.activations.models import ActivationStatus, CalloutState, PagePurpose, PageState
from beredskab.activations.schemas import ActivationCreate
from beredskab.auth.models import TokenRole
from beredskab.crisis_staff.callout import PAGE_TIMEOUT
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.errors import Conflict, Forbidden, InvalidInput
from beredskab.lifecycle import endorsement
from beredskab.lifecycle import staff as crisis_staff
from beredskab.lifecycle.endorsement import ENDORSE_TIMEOUT, deadline_handlers
from beredskab.lifecycle.request import request_activation
from beredskab.roles import Role
from tests.factories import make_activation, make_principal, make_unbound_principal
from tests.services import rows
from tests.services.conftest import NOW, PRIMARIES, STEERING

pytestmark = pytest.mark.db

TEN = timedelta(minutes=10)


# --- request -----------------------------------------------------------------------------------


async def test_an_authoritys_request_pages_each_steering_member_with_a_code(staff, session):
    activation = await staff.request()
    assert activation.status == ActivationStatus.requested
    assert activation.authority_id == "odder" and activation.ref == "DDH-2026-0001"
    endorse_pages = await rows.pages(session, activation.id, purpose=PagePurpose.endorse)
    assert sorted(p.person_id for p in endorse_pages) == STEERING
    for page in endorse_pages:
        [text] = await rows.texts_to(session, staff.phone(page.person_id))
        assert f"OK {page.code}" in text and "Odder Kommune" in text
    [deadline] = await rows.deadlines(session, ENDORSE_TIMEOUT)
    assert deadline.due_at.replace(tzinfo=NOW.tzinfo) == NOW + TEN
    assert await rows.log_kinds(session, activation.id) == ["requested", "endorsement_requested"]


async def test_a_steering_members_request_is_endorsed_and_pages_the_four_primaries(staff, session):
    activation = await staff.active()
    assert activation.status == ActivationStatus.active and activation.endorsed_at == NOW
    role_pages = await rows.pages(session, activation.id, purpose=PagePurpose.role)
    assert sorted(p.person_id for p in role_pages) == sorted(PRIMARIES)
    assert all(p.rank == 0 and p.pass_no == 1 for p in role_pages)
    timeouts = await rows.deadlines(session, PAGE_TIMEOUT)
    assert sorted(d.subject_id for d in timeouts) == sorted(p.id for p in role_pages)
    assert await rows.deadlines(session, ENDORSE_TIMEOUT) == []  # nobody needs reminding
    assert {c.state for c in (await rows.callouts(session, activation.id)).values()} == {
        CalloutState.calling
    }
    kinds = await rows.log_kinds(session, activation.id)
    assert kinds[:2] == ["requested", "endorsed"] and kinds.count("page_sent") == 4


async def test_the_same_idempotency_key_returns_the_first_activation(staff, session):
    data = ActivationCreate(title="Brand", contact_name="A", contact_phone="20123456")
    first, created = await request_activation(
        session, staff.cfg, staff.requester, data, idempotency_key="k-1", now=NOW
    )
    again, created_again = await request_activation(
        session, staff.cfg, staff.requester, data, idempotency_key="k-1", now=NOW
    )
    assert created and not created_again and again.id == first.id
    steering_pages = [m for m in await rows.sms(session) if m.page_id is not None]
    assert len(steering_pages) == len(STEERING)  # the steering group was paged once


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"authority_id": "ddh"}, Forbidden),  # an authority for someone else
        ({"callback_url": "http://example.org/hook"}, InvalidInput),
        ({"callback_url": "relative/path"}, InvalidInput),
    ],
)
async def test_a_refused_request_writes_nothing(staff, session, fields, error):
    with pytest.raises(error):
        await staff.request(**fields)
    assert await rows.sms(session) == [] and await rows.deadlines(session) == []


async def test_a_steering_request_must_name_the_authority(staff, session):
    data = ActivationCreate(title="Brand", contact_name="A", contact_phone="20123456")
    with pytest.raises(InvalidInput) as caught:
        await request_activation(
            session, staff.cfg, staff.steering, data, idempotency_key=None, now=NOW
        )
    assert [p.field for p in caught.value.problems] == ["authority_id"]


# --- endorse -----------------------------------------------------------------------------------


async def test_endorsing_activates_tells_the_other_members_and_cancels_the_reminder(staff, session):
    activation = await staff.request()
    await endorsement.endorse(
        session, staff.cfg, activation.id, by="Navn steer1", person_id="steer1", via="API", now=NOW
    )
    states = {p.person_id: p.state for p in await rows.pages(session, activation.id)}
    assert states["steer1"] == PageState.acked
    assert states["steer0"] == states["steer2"] == PageState.cancelled
    assert "er godkendt af Navn steer1" in (await rows.texts_to(session, staff.phone("steer0")))[-1]
    assert len(await rows.texts_to(session, staff.phone("steer1"))) == 1  # only the request
    [reminder] = await rows.deadlines(session, ENDORSE_TIMEOUT)
    assert reminder.status == DeadlineStatus.cancelled
    assert len(await rows.pages(session, activation.id, purpose=PagePurpose.role)) == 4


@pytest.mark.parametrize(
    "status", [ActivationStatus.active, ActivationStatus.rejected, ActivationStatus.stood_down]
)
async def test_only_a_requested_activation_can_be_endorsed(staff, session, status):
    activation = await make_activation(session, authority_id="odder", status=status)
    with pytest.raises(Conflict):
        await endorsement.endorse(
            session, staff.cfg, activation.id, by="x", person_id=None, via="API", now=NOW
        )
    assert await rows.sms(session) == []


# --- the endorsement reminder --------------------------------------------------------------


async def _run_deadlines(db, staff, at):
    return await deadline_runner.run_due(db.sessionmaker, deadline_handlers(staff.cfg), now=at)


async def test_no_endorsement_in_time_reminds_steering_and_tells_the_crisis_leader(
    staff, session, db
):
    activation = await staff.request()
    assert await _run_deadlines(db, staff, NOW + TEN - timedelta(seconds=1)) == 0
    assert await _run_deadlines(db, staff, NOW + TEN) == 1
    codes = {p.person_id: p.code for p in await rows.pages(session, activation.id)}
    for pid in STEERING:
        first, reminder = await rows.texts_to(session, staff.phone(pid))
        assert "efter 10 min" in reminder and f"OK {codes[pid]}" in reminder
    [told] = await rows.texts_to(session, staff.phone("leader0"))
    assert "ikke godkendt aktiveringen efter 10 min" in told
    assert await rows.texts_to(session, staff.phone("leader1")) == []  # the primary only
    done, again = await rows.deadlines(session, ENDORSE_TIMEOUT)
    assert done.status == DeadlineStatus.done and again.status == DeadlineStatus.pending
    assert again.due_at.replace(tzinfo=NOW.tzinfo) == NOW + 2 * TEN
    assert (await rows.log_kinds(session, activation.id))[-1] == "endorsement_overdue"


async def test_reminders_stop_after_the_playbooks_maximum(staff, session, db):
    activation = await staff.request()
    for n in range(1, 6):
        await _run_deadlines(db, staff, NOW + n * TEN)
    reminders = staff.cfg.playbook.endorsement.max_reminders
    assert len(await rows.texts_to(session, staff.phone("steer0"))) == 1 + reminders
    kinds = await rows.log_kinds(session, activation.id)
    assert kinds.count("endorsement_overdue") == reminders
    assert [d for d in await rows.deadlines(session) if d.status == DeadlineStatus.pending] == []


async def test_the_reminder_does_nothing_once_the_activation_has_moved_on(staff, session):
    activation = await make_activation(
        session, authority_id="odder", status=ActivationStatus.cancelled
    )
    deadline_runner.schedule(session, ENDORSE_TIMEOUT, NOW, activation_id=activation.id)
    await session.commit()
    row = (await session.exec(select(Deadline).where(Deadline.kind == ENDORSE_TIMEOUT))).one()
    await deadline_handlers(staff.cfg)[ENDORSE_TIMEOUT](session, row, NOW + TEN)
    await session.commit()
    assert await rows.sms(session) == [] and await rows.log_kinds(session, activation.id) == []


# --- handover ------------------------------------------------------------------------------


async def _fill(staff, session, activation, role, pid):
    outcome = await crisis_staff.answer_role_page_via_api(
        session, staff.cfg, activation.id, role, await staff.crisis_staff(pid), accept=True, now=NOW
    )
    assert outcome.outcome == "role_filled"


async def test_the_leader_hands_a_role_over_and_both_people_are_told(staff, session):
    activation = await staff.active()
    await _fill(staff, session, activation, Role.crisis_leader, "leader0")
    await _fill(staff, session, activation, Role.log_keeper, "log0")
    later = NOW + timedelta(hours=2)
    callout = await crisis_staff.handover(
        session,
        staff.cfg,
        activation.id,
        Role.log_keeper,
        await staff.crisis_staff("leader0"),
        person_id="log2",
        reason="vagtskifte",
        now=later,
    )
    assert callout.state == CalloutState.filled and callout.person_id == "log2"
    assert "afløst som logfører" in (await rows.texts_to(session, staff.phone("log0")))[-1]
    assert "sat dig på som logfører" in (await rows.texts_to(session, staff.phone("log2")))[-1]
    log_tenures = [t for t in await rows.tenures(session, activation.id) if t.role == "log_keeper"]
    assert [(t.person_id, t.end_reason) for t in log_tenures] == [
        ("log0", "relieved"),
        ("log2", None),
    ]
    assert log_tenures[0].ended_at.replace(tzinfo=NOW.tzinfo) == later
    assert (await rows.log(session, activation.id))[-1].data["reason"] == "vagtskifte"


async def test_handing_over_an_unanswered_role_closes_its_open_page(staff, session):
    activation = await staff.active()
    admin = await make_principal(session, TokenRole.admin)
    await crisis_staff.handover(
        session,
        staff.cfg,
        activation.id,
        Role.process_lead,
        admin,
        person_id="proc2",
        reason="",
        now=NOW,
    )
    [page] = await rows.pages(session, activation.id, role="process_lead")
    assert page.person_id == "proc0" and page.state == PageState.cancelled
    assert "ikke længere åben" in (await rows.texts_to(session, staff.phone("proc0")))[-1]


async def test_only_the_crisis_leader_among_crisis_staff_may_hand_over(staff, session):
    activation = await staff.active()
    await _fill(staff, session, activation, Role.log_keeper, "log0")
    before = len(await rows.sms(session))
    with pytest.raises(Forbidden, match="crisis leader"):
        await crisis_staff.handover(
            session,
            staff.cfg,
            activation.id,
            Role.log_keeper,
            await staff.crisis_staff("log0"),
            person_id="log2",
            reason="",
            now=NOW,
        )
    assert len(await rows.sms(session)) == before


@pytest.mark.parametrize("person_id", ["nobody", "inactive"])
async def test_handover_to_an_unknown_or_inactive_person_is_refused(staff, session, person_id):
    activation = await staff.active()
    if person_id == "inactive":
        staff.people["log2"].active = False
        session.add(staff.people["log2"])
        await session.commit()
        person_id = "log2"
    with pytest.raises(InvalidInput) as caught:
        await crisis_staff.handover(
            session,
            staff.cfg,
            activation.id,
            Role.log_keeper,
            staff.steering,
            person_id=person_id,
            reason="",
            now=NOW,
        )
    assert [p.field for p in caught.value.problems] == ["person_id"]


# --- answering a role page through the API's use case --------------------------------------


async def test_the_paged_person_accepts_and_fills_the_role(staff, session):
    activation = await staff.active()
    await _fill(staff, session, activation, Role.log_keeper, "log0")
    callout = (await rows.callouts(session, activation.id))["log_keeper"]
    assert callout.state == CalloutState.filled and callout.person_id == "log0"
    [tenure] = await rows.tenures(session, activation.id)
    assert (tenure.person_id, tenure.role, tenure.ended_at) == ("log0", "log_keeper", None)
    assert (await rows.log(session, activation.id))[-1].data["via"] == "API"


async def test_the_paged_person_declines_and_the_next_rank_is_paged_at_once(staff, session):
    activation = await staff.active()
    outcome = await crisis_staff.answer_role_page_via_api(
        session,
        staff.cfg,
        activation.id,
        Role.log_keeper,
        await staff.crisis_staff("log0"),
        accept=False,
        now=NOW,
    )
    assert outcome.outcome == "declined"
    assert [
        (p.person_id, p.state) for p in await rows.pages(session, activation.id, role="log_keeper")
    ] == [
        ("log0", PageState.declined),
        ("log1", PageState.open),
    ]


async def test_someone_never_paged_for_the_role_may_not_answer(staff, session):
    activation = await staff.active()
    with pytest.raises(Forbidden, match="not been paged"):
        await crisis_staff.answer_role_page_via_api(
            session,
            staff.cfg,
            activation.id,
            Role.log_keeper,
            await staff.crisis_staff("log1"),
            accept=True,
            now=NOW,
        )


async def test_a_token_not_bound_to_a_person_cannot_answer(staff, session):
    activation = await staff.active()
    unbound = await make_unbound_principal(session, TokenRole.crisis_staff)
    with pytest.raises(Forbidden, match="not bound to a person"):
        await crisis_staff.answer_role_page_via_api(
            session, staff.cfg, activation.id, Role.log_keeper, unbound, accept=True, now=NOW
        )
