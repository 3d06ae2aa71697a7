"""Closing an activation, called directly: reject or cancel before endorsement, stand down after
(unsent SMS and pending deadlines cancelled, everyone involved told once, tenures closed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from beredskab.activations.models import ActivationStatus, CalloutState, PageState
from beredskab.crisis_staff.action_cards import ACTION_CARDS
from beredskab.deadlines import DeadlineStatus
from beredskab.errors import Conflict, Forbidden, NotFound
from beredskab.flows.closing import end_before_endorsement, stand_down
from beredskab.lifecycle import staff as crisis_staff
from beredskab.outbox import OutboxStatus
from beredskab.roles import Role
from tests.factories import make_activation
from tests.services import rows
from tests.services.conftest import NOW, PRIMARIES, STEERING

pytestmark = pytest.mark.db

LATER = NOW + timedelta(minutes=30)
CONTACT = "+4520123456"  # the requesting authority's contact person (Staff.request)


ENDED_DA = {ActivationStatus.rejected: "afvist", ActivationStatus.cancelled: "trukket tilbage"}


@pytest.mark.parametrize("status", list(ENDED_DA))
async def test_ending_a_request_cancels_its_reminder_and_tells_the_steering_group(
    staff, session, status
):
    activation = await staff.request()
    ended = await end_before_endorsement(
        session,
        staff.cfg,
        activation.id,
        status=status,
        by="Navn steer1",
        reason="ikke vores",
        now=LATER,
    )
    assert ended.status == status and ended.ended_at == LATER and ended.end_reason == "ikke vores"
    assert {d.status for d in await rows.deadlines(session)} == {DeadlineStatus.cancelled}
    assert {p.state for p in await rows.pages(session, activation.id)} == {PageState.cancelled}
    for pid in STEERING:  # told their page is closed, not thanked for an effort
        request, closed = await rows.texts_to(session, staff.phone(pid))
        assert "ikke længere åben" in closed
    # nothing was sent yet: the outbox cancelled the requests and the authority's receipt, and
    # queued the "closed" texts and the authority's answer
    statuses = [m.status for m in await rows.sms(session)]
    assert statuses == [OutboxStatus.cancelled] * 4 + [OutboxStatus.pending] * 4
    receipt, answer = await rows.texts_to(session, CONTACT)
    assert "modtaget jeres anmodning" in receipt and ENDED_DA[status] in answer
    entry = (await rows.log(session, activation.id))[-1]
    assert entry.kind == status.value
    assert f"Aktivering {ENDED_DA[status]} af Navn steer1" in entry.text
    assert "4 usendte SMS og 1 frist annulleret" in entry.text


async def test_an_endorsed_activation_cannot_be_rejected(staff, session):
    activation_id = (await staff.active()).id  # a refused use case rolls back: rows expire
    with pytest.raises(Conflict, match="not awaiting endorsement"):
        await end_before_endorsement(
            session,
            staff.cfg,
            activation_id,
            status=ActivationStatus.rejected,
            by="x",
            reason="",
            now=LATER,
        )
    assert (await rows.log_kinds(session, activation_id))[-1] == "page_sent"


async def test_an_absent_activation_is_not_found(staff, session):
    with pytest.raises(NotFound):
        await end_before_endorsement(
            session,
            staff.cfg,
            "nope",
            status=ActivationStatus.cancelled,
            by="x",
            reason="",
            now=LATER,
        )


async def _active_with_leader(staff, session):
    activation = await staff.active()
    await crisis_staff.answer_role_page_via_api(
        session,
        staff.cfg,
        activation.id,
        Role.crisis_leader,
        await staff.crisis_staff("leader0"),
        accept=True,
        now=NOW,
    )
    return activation


async def test_stand_down_cancels_unsent_sms_and_deadlines_and_closes_every_callout(staff, session):
    activation = await _active_with_leader(staff, session)
    ended = await stand_down(
        session,
        staff.cfg,
        activation.id,
        await staff.crisis_staff("leader0"),
        reason="løst",
        now=LATER,
    )
    assert ended.status == ActivationStatus.stood_down and ended.ended_at == LATER
    statuses = {(d.kind == ACTION_CARDS, d.status) for d in await rows.deadlines(session)}
    # the action cards were written after the endorsement: their due row is done
    assert statuses == {(False, DeadlineStatus.cancelled), (True, DeadlineStatus.done)}
    states = {c.role: c.state for c in (await rows.callouts(session, activation.id)).values()}
    assert set(states.values()) == {CalloutState.closed}
    page_states = {p.person_id: p.state for p in await rows.pages(session, activation.id)}
    assert page_states == {
        "leader0": PageState.acked,
        "log0": PageState.cancelled,
        "proc0": PageState.cancelled,
        "staff0": PageState.cancelled,
    }
    before_stand_down = [m for m in await rows.sms(session) if "er afsluttet" not in m.body]
    assert before_stand_down and {m.status for m in before_stand_down} == {OutboxStatus.cancelled}


async def test_stand_down_tells_each_person_once_even_with_a_page_and_a_role(staff, session):
    activation = await _active_with_leader(staff, session)
    await stand_down(session, staff.cfg, activation.id, staff.steering, reason="", now=LATER)
    told = await rows.sms(session, status=OutboxStatus.pending)
    staff_told = sorted(m.recipient for m in told if m.recipient != CONTACT)
    assert staff_told == sorted(staff.phone(p) for p in PRIMARIES)  # leader0: page and role
    assert all("afsluttet" in m.body for m in told)
    [authority] = [m.body for m in told if m.recipient == CONTACT]
    assert "Borgerkommunikationen er jeres igen" in authority
    entry = (await rows.log(session, activation.id))[-1]
    assert entry.kind == "stood_down" and "4 personer orienteret" in entry.text


async def test_stand_down_ends_every_open_role_tenure_at_that_moment(staff, session):
    activation = await _active_with_leader(staff, session)
    await stand_down(session, staff.cfg, activation.id, staff.steering, reason="", now=LATER)
    [tenure] = await rows.tenures(session, activation.id)
    assert tenure.person_id == "leader0" and tenure.end_reason == "stood_down"
    assert tenure.ended_at.replace(tzinfo=NOW.tzinfo) == LATER


async def test_only_the_crisis_leader_among_crisis_staff_may_stand_down(staff, session):
    activation_id = (await _active_with_leader(staff, session)).id
    with pytest.raises(Forbidden, match="crisis leader"):
        await stand_down(
            session,
            staff.cfg,
            activation_id,
            await staff.crisis_staff("log0"),
            reason="",
            now=LATER,
        )
    assert (await rows.pages(session, activation_id, person_id="log0"))[0].state == PageState.open


@pytest.mark.parametrize(
    "status", [ActivationStatus.requested, ActivationStatus.stood_down, ActivationStatus.rejected]
)
async def test_only_an_active_activation_can_be_stood_down(staff, session, status):
    activation = await make_activation(session, authority_id="odder", status=status)
    with pytest.raises(Conflict, match="only an active one"):
        await stand_down(session, staff.cfg, activation.id, staff.steering, reason="", now=LATER)
    assert await rows.sms(session) == []
