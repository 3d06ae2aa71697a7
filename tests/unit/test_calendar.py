"""Opening hours and the in-hours / out-of-hours split: named days, and properties against a slow
minute-by-minute reference written here from docs/domain.md#opening-hours, not from the module."""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beredskab.calendar import (
    DayOverride,
    OpeningRules,
    Piece,
    day_kind,
    default_rules,
    is_open,
    opening_intervals,
    split,
)

CPH = ZoneInfo("Europe/Copenhagen")
H = timedelta(hours=1)
RULES = default_rules()
CHRISTMAS_2026 = [
    DayOverride(date(2026, 12, 24), closed=True, note="Juleaften"),
    DayOverride(date(2026, 12, 31), closed=True, note="Nytårsaften"),
]


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=CPH)


def shape(pieces: list[Piece]) -> list[tuple[bool, timedelta]]:
    return [(p.in_hours, p.end - p.start) for p in pieces]


def in_hours_total(pieces: list[Piece]) -> timedelta:
    return sum((p.end - p.start for p in pieces if p.in_hours), timedelta())


# --- the reference: one minute at a time, straight from the rules ------------------------------

DANISH_HOLIDAYS = holidays.Denmark(years=range(2019, 2038))
# minutes of the local day, [open, close)
WEEK = {0: [(480, 1200)], 1: [(480, 1200)], 2: [(480, 1200)], 3: [(480, 1200)]}
WEEK |= {4: [(480, 960)], 5: [], 6: [(960, 1200)]}


def reference_open(
    instant: datetime, overrides: dict[date, DayOverride], holidays_closed: bool
) -> bool:
    wall = instant.astimezone(CPH)
    day, minute = wall.date(), wall.hour * 60 + wall.minute
    if day in overrides:
        spans = [
            (a.hour * 60 + a.minute, (b.hour * 60 + b.minute) or 1440)
            for a, b in overrides[day].hours
        ]
    elif holidays_closed and day in DANISH_HOLIDAYS:
        spans = []
    elif day.weekday() <= 4 and (day.month, day.day) in {(5, 1), (6, 5)}:
        spans = [(a, min(b, 720)) for a, b in WEEK[day.weekday()] if a < 720]
    else:
        spans = WEEK[day.weekday()]
    return any(a <= minute < b for a, b in spans)


# --- strategies ---------------------------------------------------------------------------------


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month, 31)
    return d - timedelta(days=(d.weekday() + 1) % 7)


INTERESTING_DAYS = sorted(
    {_last_sunday(y, m) for y in range(2020, 2036) for m in (3, 10)}
    | {date(y, m, d) for y in range(2020, 2036) for m, d in ((5, 1), (6, 5), (12, 24))}
    | {d for d in DANISH_HOLIDAYS if 2020 <= d.year <= 2035}
)

# Override boundaries on the quarter hour, never strictly inside 02:00-03:00: there a wall-clock
# time is ambiguous in October, and the reference cannot tell which occurrence is meant.
BOUNDARIES = [m for m in range(0, 1441, 15) if not 120 < m < 180]


def _to_time(minute: int) -> time:
    return time(0) if minute == 1440 else time(minute // 60, minute % 60)


@st.composite
def overrides_near(draw: st.DrawFn, first_day: date) -> list[DayOverride]:
    days = draw(st.sets(st.integers(-1, 4), max_size=3))
    found = []
    for offset in sorted(days):
        day = first_day + timedelta(days=offset)
        if draw(st.booleans()):
            found.append(DayOverride(day, closed=True))
            continue
        ends = draw(st.lists(st.sampled_from(BOUNDARIES), min_size=2, max_size=4, unique=True))
        ends = sorted(ends)[: len(ends) // 2 * 2]
        hours = tuple((_to_time(ends[i]), _to_time(ends[i + 1])) for i in range(0, len(ends), 2))
        found.append(DayOverride(day, hours=hours))
    return found


@st.composite
def spans(draw: st.DrawFn) -> tuple[datetime, datetime, OpeningRules, dict[date, DayOverride]]:
    if draw(st.booleans()):
        naive = draw(st.datetimes(datetime(2020, 1, 1), datetime(2035, 12, 28)))
        start = naive.replace(second=0, microsecond=0, tzinfo=UTC)
    else:  # around a DST change, a holiday or a half day
        day = draw(st.sampled_from(INTERESTING_DAYS))
        start = local(day.year, day.month, day.day).astimezone(UTC)
        start += timedelta(minutes=draw(st.integers(-48 * 60, 24 * 60)))
    end = start + timedelta(minutes=draw(st.integers(0, 72 * 60)))
    zone = draw(st.sampled_from([UTC, CPH]))
    found = draw(overrides_near(start.astimezone(CPH).date()))
    holidays_closed = draw(st.booleans())
    rules = default_rules(found, public_holidays_closed=holidays_closed)
    return start.astimezone(zone), end.astimezone(zone), rules, {o.date: o for o in found}


PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(spans())
def test_pieces_cover_the_span_exactly_and_alternate(case) -> None:
    start, end, rules, _ = case
    pieces = split(start, end, rules)
    if start == end:
        assert pieces == []
        return
    # Compare in UTC: Python never finds an ambiguous (fold) local time equal to another zone's.
    assert pieces[0].start == start.astimezone(UTC) and pieces[-1].end == end.astimezone(UTC)
    for piece in pieces:
        assert piece.start < piece.end
        assert piece.start.tzinfo is UTC and piece.end.tzinfo is UTC
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert before.end == after.start  # contiguous, hence no overlap
        assert before.in_hours != after.in_hours
    real = end.astimezone(UTC) - start.astimezone(UTC)
    assert sum((p.end - p.start for p in pieces), timedelta()) == real


@PROPERTY
@given(spans())
def test_every_minute_is_classified_as_the_reference_does(case) -> None:
    start, end, rules, overrides = case
    pieces = split(start, end, rules)
    begins, ends = start.astimezone(UTC), end.astimezone(UTC)
    minute = timedelta(minutes=1)
    total = int((ends - begins) / minute)
    step = 1 if total <= 6 * 60 else 13
    checked = {begins + i * minute for i in range(0, total, step)}
    for piece in pieces:
        checked |= {piece.start - minute, piece.start, piece.end - minute, piece.end}
    starts = [p.start for p in pieces]
    for at in sorted(m for m in checked if begins <= m < ends):
        piece = pieces[bisect.bisect_right(starts, at) - 1]
        expected = reference_open(at, overrides, rules.public_holidays_closed)
        assert piece.in_hours == expected, (at.astimezone(CPH), piece)
        assert is_open(at, rules) == expected


@PROPERTY
@given(spans(), st.integers(0, 72 * 60))
def test_splitting_in_two_changes_nothing(case, cut_minutes) -> None:
    start, end, rules, _ = case
    # in UTC: wall-clock arithmetic on the second 02:00 of an October night drops its fold
    cut = min(start.astimezone(UTC) + timedelta(minutes=cut_minutes), end)
    joined: list[Piece] = []
    for piece in split(start, cut, rules) + split(cut, end, rules):
        if joined and joined[-1].in_hours == piece.in_hours:
            joined[-1] = Piece(joined[-1].start, piece.end, piece.in_hours)
        else:
            joined.append(piece)
    assert joined == split(start, end, rules)


# --- named days ---------------------------------------------------------------------------------


def test_friday_afternoon_shift_is_one_hour_in_five_out() -> None:
    pieces = split(local(2026, 11, 20, 15), local(2026, 11, 20, 21), RULES)
    assert shape(pieces) == [(True, H), (False, 5 * H)]
    assert pieces[0].end == local(2026, 11, 20, 16)


def test_saturday_is_out_of_hours_all_day() -> None:
    pieces = split(local(2026, 11, 21), local(2026, 11, 22), RULES)
    assert shape(pieces) == [(False, 24 * H)]
    assert day_kind(date(2026, 11, 21), RULES) == "closed"


def test_sunday_opens_sixteen_to_twenty() -> None:
    pieces = split(local(2026, 11, 22, 14), local(2026, 11, 22, 22), RULES)
    assert shape(pieces) == [(False, 2 * H), (True, 4 * H), (False, 2 * H)]


def test_a_normal_week_has_sixty_opening_hours() -> None:
    pieces = split(local(2026, 11, 16), local(2026, 11, 23), RULES)
    assert in_hours_total(pieces) == 60 * H
    assert len(pieces) == 2 * 6 + 1  # six opening spells, seven closed ones around them


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 5, 1), id="1 May 2026, a Friday"),
        pytest.param(date(2029, 5, 1), id="1 May 2029, a Tuesday"),
        pytest.param(date(2026, 6, 5), id="5 June 2026, a Friday"),
        pytest.param(date(2030, 6, 5), id="5 June 2030, a Wednesday"),
    ],
)
def test_first_of_may_and_constitution_day_close_at_noon_on_weekdays(day: date) -> None:
    assert day_kind(day, RULES) == "half_day"
    assert opening_intervals(day, RULES) == ((time(8), time(12)),)
    pieces = split(
        local(day.year, day.month, day.day, 7), local(day.year, day.month, day.day, 21), RULES
    )
    assert shape(pieces) == [(False, H), (True, 4 * H), (False, 9 * H)]


def test_a_public_holiday_on_a_half_day_closes_it_all_day() -> None:
    whit_monday = date(2028, 6, 5)  # also Constitution Day
    assert day_kind(whit_monday, RULES) == "holiday"
    assert opening_intervals(whit_monday, RULES) == ()
    opened = default_rules(public_holidays_closed=False)
    assert opening_intervals(whit_monday, opened) == ((time(8), time(12)),)


@pytest.mark.parametrize("day", [date(2027, 5, 1), date(2027, 6, 5)], ids=["1 May", "5 June"])
def test_half_days_on_a_saturday_follow_the_weekend_rules(day: date) -> None:
    assert day.weekday() == 5
    assert day_kind(day, RULES) == "closed"
    assert shape(
        split(local(2027, day.month, day.day), local(2027, day.month, day.day + 1), RULES)
    ) == [(False, 24 * H)]


def test_easter_2026_closes_thursday_to_monday() -> None:
    pieces = split(local(2026, 4, 1), local(2026, 4, 8), RULES)
    opened = [(p.start.astimezone(CPH), p.end.astimezone(CPH)) for p in pieces if p.in_hours]
    assert opened == [
        (local(2026, 4, 1, 8), local(2026, 4, 1, 20)),  # Wednesday before
        (local(2026, 4, 7, 8), local(2026, 4, 7, 20)),  # Tuesday after
    ]
    for day in (2, 3, 5, 6):  # Maundy Thursday, Good Friday, Easter Sunday, Easter Monday
        assert day_kind(date(2026, 4, day), RULES) == "holiday"
        assert opening_intervals(date(2026, 4, day), RULES) == ()


def test_christmas_2026_with_the_playbook_overrides() -> None:
    rules = default_rules(CHRISTMAS_2026)
    kinds = {d: day_kind(date(2026, 12, d), rules) for d in range(23, 32)}
    assert kinds == {
        23: "normal",
        24: "override",  # Christmas Eve, closed by the playbook
        25: "holiday",
        26: "holiday",  # a Saturday, and a holiday anyway
        27: "normal",  # Sunday 16-20
        28: "normal",
        29: "normal",
        30: "normal",
        31: "override",
    }
    pieces = split(local(2026, 12, 24), local(2026, 12, 28), rules)
    opened = [(p.start.astimezone(CPH), p.end.astimezone(CPH)) for p in pieces if p.in_hours]
    assert opened == [(local(2026, 12, 27, 16), local(2026, 12, 27, 20))]


def test_christmas_eve_is_a_normal_thursday_without_the_override() -> None:
    assert opening_intervals(date(2026, 12, 24), RULES) == ((time(8), time(20)),)
    assert opening_intervals(date(2026, 12, 24), default_rules(CHRISTMAS_2026)) == ()


@pytest.mark.parametrize(
    ("day", "real"),
    [
        pytest.param(date(2026, 3, 28), 7 * H, id="spring forward: an hour shorter"),
        pytest.param(date(2026, 10, 24), 9 * H, id="fall back: an hour longer"),
    ],
)
def test_the_night_of_a_dst_change_counts_real_time(day: date, real: timedelta) -> None:
    start = local(day.year, day.month, day.day, 22)
    end = datetime.combine(day + timedelta(days=1), time(6), tzinfo=CPH)
    assert shape(split(start, end, RULES)) == [(False, real)]
    assert shape(split(start.astimezone(UTC), end.astimezone(UTC), RULES)) == [(False, real)]


@pytest.mark.parametrize(
    ("day", "real"),
    [(date(2026, 3, 29), 5 * H), (date(2026, 10, 25), 7 * H)],
    ids=["spring", "autumn"],
)
def test_override_hours_across_a_dst_change_are_real_time(day: date, real: timedelta) -> None:
    rules = default_rules([DayOverride(day, hours=((time(0), time(6)),))])
    midnight = local(day.year, day.month, day.day)
    pieces = split(midnight, midnight + 12 * H, rules)
    assert pieces[0].in_hours and pieces[0].end - pieces[0].start == real
    assert pieces[0].end == datetime.combine(day, time(6), tzinfo=CPH)


def test_override_with_changed_hours() -> None:
    hours = ((time(9), time(13)), (time(14), time(18)))
    rules = default_rules([DayOverride(date(2026, 12, 23), hours=hours)])
    assert opening_intervals(date(2026, 12, 23), rules) == hours
    pieces = split(local(2026, 12, 23, 8), local(2026, 12, 23, 20), rules)
    assert shape(pieces) == [(False, H), (True, 4 * H), (False, H), (True, 4 * H), (False, 2 * H)]


def test_override_beats_a_holiday_and_can_run_to_midnight() -> None:
    rules = default_rules([DayOverride(date(2026, 12, 26), hours=((time(20), time(0)),))])
    pieces = split(local(2026, 12, 26, 18), local(2026, 12, 27, 2), rules)
    assert shape(pieces) == [(False, 2 * H), (True, 4 * H), (False, 2 * H)]


def test_holidays_can_be_opened_by_configuration() -> None:
    rules = default_rules(public_holidays_closed=False)
    ascension = date(2026, 5, 14)  # a Thursday
    assert day_kind(ascension, RULES) == "holiday"
    assert day_kind(ascension, rules) == "normal"
    assert opening_intervals(ascension, rules) == ((time(8), time(20)),)
    assert shape(split(local(2026, 5, 14, 7), local(2026, 5, 14, 21), rules)) == [
        (False, H),
        (True, 12 * H),
        (False, H),
    ]


def test_is_open_at_the_boundaries() -> None:
    assert not is_open(local(2026, 11, 20, 7, 59), RULES)
    assert is_open(local(2026, 11, 20, 8), RULES)
    assert is_open(local(2026, 11, 20, 15, 59), RULES)
    assert not is_open(local(2026, 11, 20, 16), RULES)


# --- refusals -----------------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    naive, aware = datetime(2026, 11, 20, 15), local(2026, 11, 20, 21)
    with pytest.raises(ValueError, match="timezone-aware"):
        split(naive, aware, RULES)
    with pytest.raises(ValueError, match="timezone-aware"):
        split(aware, naive + timedelta(hours=8), RULES)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(naive, RULES)


def test_end_before_start_is_refused_and_an_empty_span_has_no_pieces() -> None:
    with pytest.raises(ValueError, match="before start"):
        split(local(2026, 11, 20, 21), local(2026, 11, 20, 15), RULES)
    assert split(local(2026, 11, 20, 15), local(2026, 11, 20, 15).astimezone(UTC), RULES) == []


def test_a_split_does_not_depend_on_what_was_split_before() -> None:
    """split keeps whole years of opening hours in the rules and grows them on demand."""
    spans = [
        (local(2026, 12, 31, 14), local(2027, 1, 2, 10)),  # New Year, from a 2026 timeline
        (local(2040, 6, 4, 22), local(2040, 6, 5, 13)),  # far ahead: the timeline grows
        (local(2019, 12, 24, 7), local(2020, 1, 3, 7)),  # and back
        (local(2026, 11, 20, 15), local(2026, 11, 20, 17)),
    ]
    warm = default_rules(CHRISTMAS_2026)
    for start, end in spans:
        assert split(start, end, warm) == split(start, end, default_rules(CHRISTMAS_2026))
    assert shape(split(*spans[0], warm)) == [(False, 44 * H)]  # closed, holiday, Saturday


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"closed": True, "hours": ((time(8), time(12)),)}, "a closed day has no opening hours"),
        ({}, "give the opening hours"),
        ({"hours": ((time(12), time(8)),)}, "12:00 is not before 08:00"),
        ({"hours": ((time(8), time(12)), (time(11), time(14)))}, "overlaps"),
        ({"hours": ((time(8, tzinfo=UTC), time(12)),)}, "without a UTC offset"),
    ],
)
def test_invalid_overrides_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DayOverride(date(2026, 12, 23), **kwargs)


def test_an_override_date_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="more than once"):
        default_rules([DayOverride(date(2026, 12, 24), closed=True)] * 2)


def test_weekly_keys_are_weekdays() -> None:
    with pytest.raises(ValueError, match="weekdays"):
        OpeningRules(weekly={7: ()})
