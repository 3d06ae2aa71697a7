"""`GET /stats`'s figures over a generated year (tests/stats_year.py) with known times. The
expected values are worked out by hand from the generating rules, not by the code under test:
e.g. real activations are endorsed after a permutation of 1..400 minutes, so the median is
200.5 and the nearest-rank 90th percentile the 360th value, 360."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from beredskab.stats.trend import periods_of, stats
from tests.factories import demo_config
from tests.stats_year import seed_year

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ROSTER = {
    "crisis_leader": ["leader0", "leader1"],
    "log_keeper": ["log0", "log1"],
    "process_lead": ["proc0", "proc1"],
    "staffing_lead": ["staff0", "staff1"],
}


async def _year_stats(staff, by="none"):
    """The generated year, and its figures for the local year 2025."""
    people = {role: [(p, "ddh") for p in ids] for role, ids in ROSTER.items()}
    await seed_year(await staff.session.connection(), authority="odder", ddh="ddh", people=people)
    cfg = demo_config()
    first, last = date(2025, 1, 1), date(2025, 12, 31)
    return await stats(staff.session, cfg.playbook, cfg.opening_rules, first, last, by=by, now=NOW)


@pytest.fixture
async def year(staff):
    found = await _year_stats(staff)
    assert len(found.periods) == 1
    return found.periods[0]


def _role(kind, role):
    return next(r for r in kind.roles if r.role == role)


async def test_real_activations_counted_apart_within_the_local_year(year):
    real = year.real
    # 400 endorsed + 10 rejected; the two just outside the Copenhagen year are not counted
    assert (real.activations, real.endorsed, real.rejected, real.open) == (410, 400, 10, 0)
    assert (year.exercise.activations, year.exercise.endorsed) == (100, 100)


async def test_time_to_endorsement_median_and_90th_percentile(year):
    m = year.real.endorsed_after_request
    assert (m.count, m.median_minutes, m.p90_minutes) == (400, 200.5, 360)
    assert (m.target_minutes, m.within_target, m.met) == (10, 10, False)
    x = year.exercise.endorsed_after_request  # 50 × 5 and 50 × 8 minutes
    assert (x.count, x.median_minutes, x.p90_minutes, x.met) == (100, 6.5, 8, True)


async def test_time_to_all_four_roles_filled(year):
    # 4..43 minutes, ten each: the 200th and 201st values are 23 and 24, the 360th is 39
    m = year.real.all_roles_filled
    assert (m.count, m.median_minutes, m.p90_minutes) == (400, 23.5, 39)
    assert (m.target_minutes, m.within_target, m.met) == (15, 120, False)
    x = year.exercise.all_roles_filled
    assert (x.median_minutes, x.p90_minutes, x.within_target, x.met) == (10, 10, 100, True)


async def test_primaries_deputies_and_handovers(year):
    real = year.real
    # of 1,600 roles: 100 log keepers were deputies, 40 process leads answered on the second
    # pass, 20 crisis leaders took over by hand
    assert (real.by_primary.part, real.by_primary.whole, real.by_primary.share) == (1440, 1600, 0.9)
    assert (real.deputies_used, real.handovers, real.by_primary.met) == (100, 20, True)
    log = _role(real, "log_keeper")
    assert (log.name, log.filled, log.deputies_used, log.by_primary.share) == (
        "logfører",
        400,
        100,
        0.75,
    )
    assert log.by_primary.met is True  # 75 % reaches the target of 75 %
    leader = _role(real, "crisis_leader")
    assert (leader.handovers, leader.by_primary.share, leader.minutes_to_fill.p90_minutes) == (
        20,
        0.95,
        1,
    )
    assert _role(real, "process_lead").by_primary.share == 0.9
    staffing = _role(real, "staffing_lead").minutes_to_fill
    assert (staffing.median_minutes, staffing.p90_minutes, staffing.met) == (23.5, 39, False)
    assert year.exercise.by_primary.share == 1.0 and year.exercise.deputies_used == 0


async def test_shifts_filled_in_time(year):
    s = year.real.shifts
    # 2 per activation + 50 rejected; of the 800 staffed, 100 were full only after their start
    assert (s.requested, s.rejected, s.cancelled_before_start) == (850, 50, 0)
    assert (s.filled_in_time.part, s.filled_in_time.whole, s.filled_in_time.share) == (
        700,
        800,
        0.875,
    )
    assert s.filled_in_time.met is False  # target 90 %
    assert year.exercise.shifts.requested == 0 and year.exercise.shifts.filled_in_time.met is None


async def test_cost_per_activation_by_debtor_final_and_draft(year):
    c = year.real.costs
    assert (c.status, c.activations, c.final, c.draft) == ("ok", 400, 400, 0)
    assert c.total_ore == 400 * 10_000 + 200 * 5_000
    by = {d.debtor_id: (d.per_activation_ore, d.per_activation_dkk) for d in c.by_debtor}
    assert by == {"ddh": (10_000, "100,00"), "odder": (2_500, "25,00")}
    assert c.per_activation_dkk == "125,00" and c.note == ""
    x = year.exercise.costs
    # a draft: four tenures of 69, 68, 67 and 60 minutes at 10 kr. a minute, all DDH's
    assert (x.final, x.draft, x.per_activation_ore) == (0, 100, 264_000)
    assert [d.debtor_id for d in x.by_debtor] == ["ddh"] and "kladder" in x.note


async def test_quarters_split_the_same_activations(staff):
    found = await _year_stats(staff, by="quarter")
    assert [(p.from_, p.to) for p in found.periods] == [
        (date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2025, 9, 30)),
        (date(2025, 10, 1), date(2025, 12, 31)),
    ]
    assert sum(p.real.activations + p.exercise.activations for p in found.periods) == 510


@pytest.mark.parametrize(
    ("first", "last", "by", "expected"),
    [
        (
            date(2025, 1, 15),
            date(2025, 3, 2),
            "month",
            [(1, 15, 1, 31), (2, 1, 2, 28), (3, 1, 3, 2)],
        ),
        (date(2025, 2, 10), date(2025, 2, 20), "quarter", [(2, 10, 2, 20)]),
        (date(2025, 3, 31), date(2025, 4, 1), "quarter", [(3, 31, 3, 31), (4, 1, 4, 1)]),
        (date(2025, 1, 1), date(2025, 12, 31), "none", [(1, 1, 12, 31)]),
    ],
)
def test_periods_cut_at_months_and_quarters(first, last, by, expected):
    found = [(a.month, a.day, b.month, b.day) for a, b in periods_of(first, last, by)]
    assert found == expected


def test_december_rolls_into_the_next_year():
    assert periods_of(date(2025, 12, 5), date(2026, 1, 3), "month") == [
        (date(2025, 12, 5), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 3)),
    ]
