"""The pure shift rules: validation, the Danish label, checkpoint times, and the decisions
(approval, allocation, checkpoint plans, ending a shift) as tables and properties."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beredskab.calendar import default_rules
from beredskab.danish import duration
from beredskab.shifts import rules, volunteer_rules

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CPH)


def test_a_valid_shift_has_no_problems():
    assert rules.shift_problems(local(2026, 11, 27, 15), local(2026, 11, 27, 21), 6, NOW) == []


@pytest.mark.parametrize(
    ("start", "end", "agents", "expected"),
    [
        (local(2026, 11, 27, 21), local(2026, 11, 27, 15), 2, [("end", "must be after start")]),
        (local(2026, 11, 27, 15), local(2026, 11, 27, 15), 2, [("end", "must be after start")]),
        (
            local(2026, 11, 27, 8),
            local(2026, 11, 28, 9),
            2,
            [("end", "a shift may last at most 24 hours, this one lasts 25")],
        ),
        (
            local(2026, 11, 27, 15),
            local(2026, 11, 27, 21),
            0,
            [("agents_needed", "must be between 1 and 50")],
        ),
        (
            local(2026, 11, 27, 15),
            local(2026, 11, 27, 21),
            51,
            [("agents_needed", "must be between 1 and 50")],
        ),
        (
            local(2026, 11, 22, 8),
            local(2026, 11, 22, 9),
            1,
            [("end", "the shift has already ended")],
        ),
    ],
)
def test_each_bad_request_names_its_field(start, end, agents, expected):
    assert rules.shift_problems(start, end, agents, NOW) == expected


def test_a_start_in_the_past_is_refused_naming_the_earliest_start():
    problems = rules.shift_problems(NOW - timedelta(hours=5), NOW + timedelta(hours=3), 2, NOW)
    assert problems == [
        (
            "start",
            "has already passed: the earliest start is 2026-11-23T11:55:00+00:00 "
            "(5 minutes' grace)",
        )
    ]


@pytest.mark.parametrize("minutes_ago", [0, 1, 5])
def test_a_start_a_few_minutes_ago_is_within_the_grace(minutes_ago):
    start = NOW - timedelta(minutes=minutes_ago)
    assert rules.shift_problems(start, start + timedelta(hours=4), 2, NOW) == []


def test_all_problems_are_reported_at_once():
    problems = rules.shift_problems(local(2026, 11, 22, 9), local(2026, 11, 22, 8), 0, NOW)
    assert [field for field, _ in problems] == ["end", "end", "agents_needed"]


def test_24_hours_on_the_autumn_dst_night_is_real_time():
    # 25 October 2026: the clock goes back, so 00:00–00:00 local is 25 real hours → refused
    problems = rules.shift_problems(
        local(2026, 10, 25, 0), local(2026, 10, 26, 0), 1, NOW - timedelta(days=60)
    )
    assert problems == [("end", "a shift may last at most 24 hours, this one lasts 25")]


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (local(2026, 11, 27, 16), local(2026, 11, 27, 20), "fre 27.11 16:00-20:00"),
        (local(2026, 11, 28, 22), local(2026, 11, 29, 6), "lør 28.11 22:00-06:00"),
        (local(2026, 11, 28, 20), local(2026, 11, 29, 0), "lør 28.11 20:00-24:00"),
        (local(2026, 11, 28, 8), local(2026, 11, 29, 8), "lør 28.11 08:00-søn 29.11 08:00"),
        (local(2026, 3, 28, 22), local(2026, 3, 29, 6), "lør 28.03 22:00-06:00"),
    ],
)
def test_labels_are_local_danish_time(start, end, label):
    assert rules.shift_label(start.astimezone(UTC), end.astimezone(UTC), CPH) == label


def test_friday_afternoon_split_summary():
    in_min, out_min, pieces = rules.split_shift(
        local(2026, 11, 27, 15), local(2026, 11, 27, 21), default_rules()
    )
    assert (in_min, out_min) == (60, 300)
    assert [p["in_hours"] for p in pieces] == [True, False]


@given(st.integers(0, 60), st.integers(0, 99))
def test_grant_never_exceeds_what_is_left_or_what_is_offered(remaining, offered):
    granted = volunteer_rules.grant(remaining, offered)
    assert 0 <= granted <= remaining and granted <= offered
    assert (granted > 0) == (remaining > 0 and offered > 0)
    assert granted in (remaining, offered)  # all that is asked, or all that is left


def test_checkpoints_in_the_past_are_skipped():
    start = NOW + timedelta(hours=3)
    assert rules.checkpoints(start, NOW) == [
        (rules.CHECK_2H, start - timedelta(hours=2)),
        (rules.CHECK_1H, start - timedelta(hours=1)),
    ]
    assert [k for k, _ in rules.checkpoints(NOW + timedelta(days=2), NOW)] == [
        rules.REMIND_24H,
        rules.CHECK_2H,
        rules.CHECK_1H,
    ]
    assert rules.checkpoints(NOW + timedelta(minutes=30), NOW) == []


# --- the decisions -------------------------------------------------------------------------------


@dataclass
class FakeShift:
    start: datetime
    end: datetime
    state: str = rules.ShiftState.recruiting
    out_of_hours_minutes: int = 0
    id: int | None = 7
    ended_at: datetime | None = None


def a_shift(hours_from_now: float = 10, length: float = 4, **kw: object) -> FakeShift:
    start = NOW + timedelta(hours=hours_from_now)
    return FakeShift(start, start + timedelta(hours=length), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("states", "decision"),
    [
        (["acked"], rules.Approve()),
        (["open", "acked", "declined"], rules.Approve()),
        (["declined"], rules.Reject()),
        (["declined", "declined", "declined"], rules.Reject()),
        (["declined", "open"], rules.Wait()),
        (["declined", "cancelled"], rules.Wait()),  # a closed page is not a NEJ
        ([], rules.Wait()),
    ],
)
def test_one_ok_approves_and_only_a_nej_from_everyone_rejects(states, decision):
    assert rules.approval_decision(states) == decision


@given(st.lists(st.sampled_from(["open", "acked", "declined", "expired", "cancelled"])))
def test_the_approval_decision_ignores_the_order_of_answers(states):
    decision = rules.approval_decision(states)
    assert rules.approval_decision(list(reversed(states))) == decision
    assert (decision == rules.Approve()) == ("acked" in states)


def test_an_unknown_page_state_is_refused():
    with pytest.raises(ValueError):
        rules.approval_decision(["maybe"])


# --- the call-out --------------------------------------------------------------------------------

ALL = ("a", "b", "c", "d")


@pytest.mark.parametrize(
    ("answered", "waiting", "page", "nobody_left"),
    [
        ((), (), ("a", "b", "c", "d"), False),  # the first round
        (("a",), ("b", "c", "d"), (), False),  # #14.3: after AFMELD, three still may say JA
        (("a", "b"), ("c",), ("d",), False),
        (("a", "b", "c", "d"), (), (), True),  # everyone answered: find agents by hand
        (("a", "b", "c"), ("x",), ("d",), False),  # an open page of one no longer reachable
        (("a", "b", "c", "d"), ("x",), (), False),  # ... may still be answered
    ],
)
def test_nobody_is_left_to_call_only_when_no_page_is_open_either(
    answered, waiting, page, nobody_left
):
    plan = volunteer_rules.callout_plan(ALL, answered, waiting)
    assert plan.page == page and plan.waiting == tuple(sorted(waiting))
    assert plan.nobody_left is nobody_left


@pytest.mark.parametrize(
    ("waiting", "missing", "before", "told"),
    [
        (("b",), 2, None, False),  # a first round: the pages carry the number already
        (("b",), 2, 1, True),  # AFMELD of 1: the open pages said 1, now 2
        (("b", "c"), 3, 1, True),  # a confirmation of 1 of 3
        (("b",), 2, 2, False),  # nothing changed: no SMS
        ((), 2, 1, False),  # nobody is waiting
        (("b",), 0, 1, False),  # nothing is missing: the covered notice says it
    ],
)
def test_the_waiting_are_told_the_new_number_only_when_it_changed(waiting, missing, before, told):
    plan = volunteer_rules.callout_plan(ALL, (), waiting, missing=missing, missing_before=before)
    assert plan.tell_waiting is told


@given(st.sets(st.sampled_from(ALL)), st.sets(st.sampled_from(ALL)))
def test_the_call_out_never_pages_one_that_answered_or_is_waiting(answered, waiting):
    plan = volunteer_rules.callout_plan(ALL, answered, waiting)
    assert not set(plan.page) & (answered | waiting)
    assert set(plan.page) | answered | waiting == set(ALL)


@pytest.mark.parametrize(
    ("state", "out_minutes", "problem"),
    [
        ("awaiting_approval", 240, None),
        ("recruiting", 0, "shift 7 lies wholly within opening hours"),
        ("recruiting", 240, "shift 7 is godkendt, not awaiting approval"),
        ("rejected", 60, "shift 7 is afvist, not awaiting approval"),
        ("cancelled", 60, "shift 7 is aflyst, not awaiting approval"),
    ],
)
def test_only_a_shift_awaiting_approval_can_be_approved_or_rejected(state, out_minutes, problem):
    found = rules.approval_problem(a_shift(state=state, out_of_hours_minutes=out_minutes))
    assert (found is None) if problem is None else found.startswith(problem)


@pytest.mark.parametrize(("so_far", "limit", "again"), [(1, 3, True), (2, 3, True), (3, 3, False)])
def test_approval_reminders_stop_at_the_playbooks_limit(so_far, limit, again):
    assert rules.remind_again(so_far, limit) is again


@pytest.mark.parametrize(
    ("remaining", "wanted", "held", "accept", "decision"),
    [
        (5, 3, 0, True, volunteer_rules.Grant(3, 3, 2)),
        (2, 4, 0, True, volunteer_rules.Grant(2, 4, 0)),  # partial: only what is left
        (3, None, 0, True, volunteer_rules.Grant(1, 1, 2)),  # JA without a number offers one
        (3, 0, 0, True, volunteer_rules.Grant(1, 1, 2)),
        (0, 2, 0, True, volunteer_rules.Full(2)),
        (-1, 1, 0, True, volunteer_rules.Full(1)),  # over-allocated by hand: still full
        (3, 2, 2, True, volunteer_rules.AlreadyHeld(2)),
        (3, None, 2, False, volunteer_rules.AlreadyHeld(2)),  # a NEJ changes nothing either
        (3, None, 2, True, volunteer_rules.AlreadyHeld(2)),  # a JA without a number too
        (3, 1, 2, True, volunteer_rules.AlreadyHeld(2)),  # fewer: confirm with BEKRÆFT, not JA
        # a larger number asks for that many in all: what is left of the difference
        (3, 4, 1, True, volunteer_rules.Grant(3, 3, 0, held=1)),
        (2, 5, 1, True, volunteer_rules.Grant(2, 4, 0, held=1)),
        (0, 5, 1, True, volunteer_rules.AlreadyHeld(1)),  # nothing open: nothing changes
        (3, None, 0, False, volunteer_rules.Decline()),
        (0, None, 0, False, volunteer_rules.Decline()),
    ],
)
def test_allocation_decisions(remaining, wanted, held, accept, decision):
    assert volunteer_rules.allocation_decision(remaining, wanted, held, accept=accept) == decision


@given(st.integers(-5, 60), st.one_of(st.none(), st.integers(0, 99)), st.integers(0, 50))
def test_a_grant_never_exceeds_what_is_left_or_offered(remaining, wanted, held):
    decision = volunteer_rules.allocation_decision(remaining, wanted, held)
    if held and (wanted is None or wanted <= held or remaining <= 0):
        assert decision == volunteer_rules.AlreadyHeld(held)
    elif isinstance(decision, volunteer_rules.Grant):
        assert decision.held == held and decision.total <= max(wanted or 1, held)
        assert 0 < decision.agents <= remaining and decision.agents <= decision.offered
        assert decision.left == remaining - decision.agents >= 0
        assert decision.partial == (decision.agents < decision.offered)
    else:
        assert decision == volunteer_rules.Full(wanted or 1) and remaining <= 0


@pytest.mark.parametrize(
    ("shift", "active", "allocation_state", "status"),
    [
        (a_shift(), True, None, None),
        (a_shift(state="full"), True, "active", None),
        (a_shift(), True, "released", "afmeldt"),
        (a_shift(hours_from_now=-5), True, None, "afsluttet"),
        (a_shift(), False, None, "afsluttet"),
        (a_shift(state="cancelled"), True, None, "aflyst"),
        (a_shift(state="awaiting_approval"), True, None, "afventer godkendelse"),
    ],
)
def test_why_an_answer_changes_nothing(shift, active, allocation_state, status):
    found = volunteer_rules.closed_status(
        shift, NOW, activation_active=active, allocation_state=allocation_state
    )
    assert found == status


def places(*rows: tuple[int, int, bool]) -> list[rules.Places]:
    return [rules.Places(key, f"m{key}", agents, confirmed) for key, agents, confirmed in rows]


@pytest.mark.parametrize(
    ("kind", "hours", "remind", "short", "unconfirmed_alert"),
    [
        (rules.REMIND_24H, 24, (2,), False, False),
        (rules.CHECK_2H, 2, (2,), True, False),
        (rules.CHECK_1H, 1, (), False, True),
    ],
)
def test_checkpoint_plans(kind, hours, remind, short, unconfirmed_alert):
    plan = rules.checkpoint_plan(kind, 4, places((1, 2, True), (2, 1, False)))
    assert plan == rules.CheckpointPlan(
        hours_before=hours,
        unconfirmed=(2,),
        remind=remind,
        missing=1,
        alert_short=short,
        alert_unconfirmed=unconfirmed_alert,
    )


def test_a_covered_and_confirmed_shift_alerts_nobody():
    for kind, _ in rules.CHECKPOINTS:
        plan = rules.checkpoint_plan(kind, 3, places((1, 3, True)))
        assert (plan.remind, plan.missing, plan.alert_short, plan.alert_unconfirmed) == (
            (),
            0,
            False,
            False,
        )


@given(
    st.sampled_from([k for k, _ in rules.CHECKPOINTS]),
    st.integers(1, 50),
    st.lists(st.tuples(st.integers(1, 10), st.booleans()), max_size=8),
)
def test_checkpoint_plan_properties(kind, needed, rows):
    given_places = places(*((i, agents, ok) for i, (agents, ok) in enumerate(rows)))
    plan = rules.checkpoint_plan(kind, needed, given_places)
    assert plan.missing == needed - sum(p.agents for p in given_places)
    assert set(plan.remind) <= set(plan.unconfirmed)
    assert plan.unconfirmed == tuple(p.key for p in given_places if not p.confirmed)
    assert not (plan.alert_short and plan.missing <= 0)


@pytest.mark.parametrize(
    ("shift", "running", "new_state", "told"),
    [
        (a_shift(hours_from_now=3), False, "cancelled", ("active", "released")),
        (a_shift(hours_from_now=-1), True, None, ("active",)),
        (a_shift(hours_from_now=-1, state="awaiting_approval"), False, "cancelled", None),
        (a_shift(hours_from_now=0), True, None, ("active",)),  # it starts now: it runs
    ],
)
def test_a_shift_that_has_not_started_is_cancelled_one_that_runs_is_cut_short(
    shift, running, new_state, told
):
    plan = rules.end_plan(shift, NOW)
    assert plan.running is running and plan.new_state == new_state
    assert plan.kind == ("shift_ended_early" if running else "shift_cancelled")
    assert plan.cancel_allocations is not running
    if told is not None:
        assert plan.told_states == told


@pytest.mark.parametrize(
    ("shift", "problem"),
    [
        (a_shift(), None),
        (a_shift(state="awaiting_approval"), None),
        (a_shift(state="cancelled"), "shift 7 is already aflyst"),
        (a_shift(state="rejected"), "shift 7 is already afvist"),
        (a_shift(hours_from_now=-5), "shift 7 has already ended"),
    ],
)
def test_what_can_be_cancelled(shift, problem):
    assert rules.cancel_problem(shift, NOW) == problem


def test_a_shift_with_time_outside_opening_hours_waits_for_approval():
    assert rules.initial_state(0) is rules.ShiftState.recruiting
    assert rules.initial_state(1) is rules.ShiftState.awaiting_approval


@pytest.mark.parametrize(
    ("state", "cut_after", "ends_after"),
    [
        ("full", None, 4),  # not cut: as planned
        ("full", 1, 1),  # cut short by stand-down after an hour
        ("recruiting", 2.5, 2.5),
        ("cancelled", -3, 4),  # cancelled before it started: it never ran
        ("rejected", -1, 4),
        ("cancelled", 1, 4),  # an unapproved shift cancelled while it would have run
        ("full", 4, 4),  # "cut" at its end is its end
    ],
)
def test_a_shift_cut_short_ends_at_the_cut(state, cut_after, ends_after):
    shift = a_shift(state=state)
    if cut_after is not None:
        shift.ended_at = shift.start + timedelta(hours=cut_after)
    assert rules.ends_at(shift) == shift.start + timedelta(hours=ends_after)


# --- what the staffing lead's page shows before a request and while a shift fills ------------


@pytest.mark.parametrize(
    ("start", "end", "inside", "outside", "needs_approval"),
    [
        # Friday 15-21: one hour before closing at 16, five after
        (local(2026, 11, 27, 15), local(2026, 11, 27, 21), 60, 300, True),
        # Wednesday 10-14: all inside
        (local(2026, 11, 25, 10), local(2026, 11, 25, 14), 240, 0, False),
        # a night: all outside
        (local(2026, 11, 26, 2), local(2026, 11, 26, 6), 0, 240, True),
    ],
)
def test_the_preview_splits_as_the_request_will(start, end, inside, outside, needs_approval):
    preview = rules.preview_request(start, end, 2, default_rules(), NOW)
    assert preview.problems == ()
    assert (preview.in_hours_minutes, preview.out_of_hours_minutes) == (inside, outside)
    assert preview.needs_approval is needs_approval
    assert preview.pieces == tuple(rules.split_shift(start, end, default_rules())[2])


def test_the_preview_names_the_problems_and_splits_nothing_that_is_no_span():
    backwards = rules.preview_request(
        local(2026, 11, 27, 21), local(2026, 11, 27, 15), 51, default_rules(), NOW
    )
    assert backwards.problems == (
        ("end", "must be after start"),
        ("agents_needed", "must be between 1 and 50"),
    )
    assert (backwards.in_hours_minutes, backwards.out_of_hours_minutes, backwards.pieces) == (
        0,
        0,
        (),
    )


START = NOW + timedelta(hours=5)


@pytest.mark.parametrize(
    ("state", "places", "now", "expected"),
    [
        ("awaiting_approval", [], NOW, None),
        ("cancelled", [], NOW, None),
        ("recruiting", [], START, None),  # started: nothing left to warn of
        ("recruiting", [], NOW, rules.Staffing(3, 0, False, False)),
        ("recruiting", [(2, False)], START - timedelta(hours=2), rules.Staffing(1, 1, True, False)),
        ("full", [(3, False)], START - timedelta(minutes=59), rules.Staffing(0, 1, False, True)),
        (
            "full",
            [(1, True), (2, True)],
            START - timedelta(minutes=5),
            rules.Staffing(0, 0, False, False),
        ),
    ],
)
def test_staffing_warns_as_the_checkpoints_would(state, places, now, expected):
    held = [
        rules.Places(i, f"m{i}", agents, confirmed) for i, (agents, confirmed) in enumerate(places)
    ]
    assert rules.staffing(state, 3, held, START, now) == expected


@pytest.mark.parametrize(
    ("minutes", "text"), [(0, "0 min"), (45, "45 min"), (240, "4 t"), (150, "2 t 30 min")]
)
def test_a_duration_reads_as_a_dane_writes_it(minutes, text):
    assert duration(minutes) == text
