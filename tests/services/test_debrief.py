"""The debrief of a scripted activation with known times gives exactly the expected milestones
and figures; the evaluation is the crisis leader's, after stand-down, before archive, logged."""

from __future__ import annotations

from datetime import timedelta

from beredskab.costs import statement as statements
from beredskab.crisis_staff.models import RoleTenure
from beredskab.debrief.report import debrief
from beredskab.errors import Conflict
from notifications.segments import segment_count
from tests.services.debrief_world import NOW, STOOD_DOWN, T0, at, scripted_activation
from tests.services.shift_world import open_shift_world


async def _debrief(db, session):
    s = await scripted_activation(db, session)
    return s, await debrief(
        session, s.world.cfg, s.activation, segment_count=segment_count, now=STOOD_DOWN
    )


async def test_milestones_of_the_scripted_activation(db, session):
    s, d = await _debrief(db, session)
    m = d.milestones
    assert (m.requested_at, m.requested_by) == (T0, "Odder Kommune")
    assert (m.endorsed_at, m.endorsed_by, m.endorsed_minutes_after_request) == (
        at(4), "Navn steer0", 4.0
    )  # fmt: skip
    roles = {r.role: r for r in m.roles}
    got = {
        role: (r.person_id, r.rank, r.pass_no, r.via, r.minutes_after_endorsement, r.filled_at)
        for role, r in roles.items()
    }
    assert got == {
        "crisis_leader": ("leader0", 0, 1, "page", 2.0, at(6)),
        "log_keeper": ("log1", 1, 1, "page", 5.0, at(9)),
        "process_lead": ("proc0", 0, 1, "page", 3.0, at(7)),
        "staffing_lead": ("staff0", 0, 1, "page", 4.0, at(8)),
    }
    assert [(t.person_id, t.rank, t.state) for t in roles["log_keeper"].tried_before] == [
        ("log0", 0, "declined")
    ]
    assert all(not r.tried_before for k, r in roles.items() if k != "log_keeper")
    assert (m.all_filled_at, m.all_filled_minutes_after_endorsement) == (at(9), 5.0)
    first = m.first_shift
    assert first is not None and first.shift_id == s.shift.id
    assert (first.requested_at, first.approved_at, first.full_at, first.confirmed_at) == (
        NOW, NOW, at(12, NOW), at(32, NOW)
    )  # fmt: skip
    assert (m.stood_down_at, m.ended_status, m.archived_at) == (STOOD_DOWN, "stood_down", None)


async def test_reach_figures_of_the_scripted_activation(db, session):
    _, d = await _debrief(db, session)
    r = d.reach
    assert (r.sms_queued, r.sms_sent, r.sms_delivered, r.sms_failed) == (5, 4, 3, 2)
    assert r.sms_segments == 2 + 1 + 1 + 1  # the long one is two
    assert (r.calls, r.calls_note) == (0, "Opkald findes ikke endnu (kun SMS): 0.")
    times = {t.group: (t.answered, t.median_minutes, t.worst_minutes) for t in r.answer_times}
    assert times == {
        "steering": (1, 4.0, 4.0),
        "crisis_leader": (1, 2.0, 2.0),
        "log_keeper": (2, 2.5, 4.0),  # log0 declined after 1, log1 took it after 4
        "process_lead": (1, 3.0, 3.0),
        "staffing_lead": (1, 4.0, 4.0),
        "municipalities": (3, 10.0, 12.0),  # m0 after 10, m1 after 12, m2 after 5
    }
    # the steering group's two, five role pages, the three municipalities and m2 again after
    # m1 withdrew
    pages = {t.group: t.pages for t in r.answer_times}
    assert pages == {
        "steering": 2,
        "crisis_leader": 1,
        "log_keeper": 2,
        "process_lead": 1,
        "staffing_lead": 1,
        "municipalities": 4,
    }
    assert (r.pages, r.pages_answered, r.pages_expired, r.pages_failed) == (11, 9, 0, 0)


async def test_shift_figures_of_the_scripted_activation(db, session):
    s, d = await _debrief(db, session)
    [f] = d.shifts
    assert f.shift_id == s.shift.id
    assert (
        f.places_asked, f.municipalities_asked, f.places_offered, f.places_taken,
        f.places_confirmed, f.places_withdrawn, f.places_refilled,
    ) == (3, 3, 4, 4, 3, 1, 1)  # fmt: skip
    assert (f.approved_at, f.full_at, f.minutes_approval_to_full) == (NOW, at(12, NOW), 12.0)
    assert f.municipalities_helped == ["Kommune 0", "Kommune 2"]


async def test_costs_are_the_statements_totals_and_say_draft(db, session):
    s, d = await _debrief(db, session)
    statement = await statements.current(
        session, s.activation, s.world.cfg.opening_rules, STOOD_DOWN
    )
    assert d.costs.status == "draft" and "endelig" in d.costs.note
    assert d.costs.by_debtor == statement.by_debtor and d.costs.by_creditor == statement.by_creditor
    assert d.costs.total_ore == statement.total_ore > 0


async def test_a_role_taken_by_handover_and_costs_that_cannot_be_priced(db, session, monkeypatch):
    world = await open_shift_world(db, session)
    activation = world.activation
    session.add(
        RoleTenure(
            activation_id=activation.id, role="crisis_leader", person_id="leader1",
            org_id="ddh", started_at=activation.created_at + timedelta(minutes=30),
        )
    )  # fmt: skip
    await session.commit()

    async def refused(*_: object) -> None:
        raise Conflict("no DDH hourly rate is in force on 2026-11-23")

    monkeypatch.setattr(statements, "current", refused)
    d = await debrief(session, world.cfg, activation, segment_count=segment_count, now=STOOD_DOWN)
    leader = next(r for r in d.milestones.roles if r.role == "crisis_leader")
    assert (leader.person_id, leader.via, leader.rank, leader.tried_before) == (
        "leader1", "handover", None, []
    )  # fmt: skip
    assert d.milestones.all_filled_at is None and d.milestones.first_shift is None
    assert (d.costs.status, d.costs.note) == (
        "unavailable", "no DDH hourly rate is in force on 2026-11-23"
    )  # fmt: skip
    assert d.shifts == [] and d.reach.pages == 0 and d.evaluation is None
