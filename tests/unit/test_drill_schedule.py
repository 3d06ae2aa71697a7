"""Scheduled call-out drills: the rule grammar and the next occurrence in Copenhagen time,
across DST changes; what a scheduled drill does when it cannot start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from beredskab.drill_schedule import (
    DrillPlan,
    Postpone,
    Skip,
    StartNow,
    decide_scheduled,
    latest_occurrence,
    next_occurrence,
    parse_rule,
)

CPH = ZoneInfo("Europe/Copenhagen")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rule", "after", "expected"),
    [
        # winter time: 10:00 in Copenhagen is 09:00 UTC
        ("first tuesday of quarter 10:00", utc(2026, 12, 4, 11), utc(2027, 1, 5, 9)),
        # summer time: 08:00 UTC
        ("first tuesday of quarter 10:00", utc(2027, 1, 5, 9), utc(2027, 4, 6, 8)),
        # strictly after: at the very instant, the next one
        ("first tuesday of quarter 10:00", utc(2027, 4, 6, 8), utc(2027, 7, 6, 8)),
        ("first tuesday of quarter 10:00", utc(2027, 4, 6, 7, 59), utc(2027, 4, 6, 8)),
        ("last friday of month 03:00", utc(2026, 12, 1), utc(2026, 12, 25, 2)),
        ("second wednesday of year 03:00", utc(2026, 12, 4), utc(2027, 1, 13, 2)),
        # 02:30 does not exist on 28 March 2027: the same instant as 02:30 winter time
        ("last sunday of month 02:30", utc(2027, 3, 1), utc(2027, 3, 28, 1, 30)),
        # 02:30 occurs twice on 25 October 2026: the first (summer time, UTC+2)
        ("last sunday of month 02:30", utc(2026, 10, 1), utc(2026, 10, 25, 0, 30)),
        # the day after the spring change: summer time
        ("last sunday of month 10:00", utc(2027, 3, 1), utc(2027, 3, 28, 8)),
    ],
)
def test_next_occurrence(rule, after, expected):
    assert next_occurrence(parse_rule(rule), after, CPH) == expected


def test_a_rule_is_read_whatever_the_case_and_spacing():
    assert parse_rule("First  Tuesday of every Quarter at 10.00") == parse_rule(
        "first tuesday of quarter 10:00"
    )


@pytest.mark.parametrize(
    "rule",
    [
        "first funday of quarter 10:00",
        "first tuesday of quarter 25:00",
        "fifth monday of month 10:00",
        "every day 10:00",
        "",
    ],
)
def test_bad_rules_are_refused_by_the_playbook(rule):
    with pytest.raises(ValidationError) as err:
        DrillPlan(group="all", rule=rule)
    assert "rule" in str(err.value)


def test_an_unknown_group_is_refused():
    with pytest.raises(ValidationError):
        DrillPlan(group="everyone", rule="first tuesday of quarter 10:00")


def test_latest_occurrence():
    rec = parse_rule("first tuesday of quarter 10:00")
    assert latest_occurrence(rec, utc(2027, 1, 5, 9), CPH) == utc(2027, 1, 5, 9)
    assert latest_occurrence(rec, utc(2027, 3, 30), CPH) == utc(2027, 1, 5, 9)


def test_a_blocked_drill_waits_an_hour_at_a_time_for_a_day_then_is_skipped():
    rec = parse_rule("first tuesday of quarter 10:00")
    planned = utc(2027, 1, 5, 9)
    assert decide_scheduled(rec, planned, planned, CPH, blocked=False) == StartNow()
    assert decide_scheduled(rec, planned, planned, CPH, blocked=True) == Postpone(
        planned + timedelta(hours=1)
    )
    late = planned + timedelta(hours=23)
    assert decide_scheduled(rec, late, late, CPH, blocked=True) == Postpone(
        planned + timedelta(hours=24)
    )
    last = planned + timedelta(hours=24)
    assert decide_scheduled(rec, last, last, CPH, blocked=True) == Skip()


def test_a_monthly_drill_never_postpones_past_its_next_occurrence():
    rec = parse_rule("first tuesday of month 10:00")
    planned = next_occurrence(rec, utc(2027, 2, 1), CPH)
    assert decide_scheduled(rec, planned, planned, CPH, blocked=True) == Postpone(
        planned + timedelta(hours=1)
    )
