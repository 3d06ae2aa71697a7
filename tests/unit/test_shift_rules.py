"""The pure shift rules: validation, the Danish label, allocation and checkpoint times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beredskab.calendar import default_rules
from beredskab.shifts import rules

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
    granted = rules.grant(remaining, offered)
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
