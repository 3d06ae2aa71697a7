"""The contact centre's opening hours, and splitting a time span into in-hours / out-of-hours.

Pure: no I/O and no clock. Rules are in local wall-clock time (Europe/Copenhagen); every
comparison is made in UTC, so lengths are real elapsed time across DST changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "COPENHAGEN",
    "DEFAULT_WEEKLY",
    "DayOverride",
    "Interval",
    "OpeningRules",
    "Piece",
    "day_kind",
    "default_rules",
    "is_open",
    "opening_intervals",
    "split",
]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# A local wall-clock interval [start, end). An end of time(0) means midnight at the end of the
# day, so a whole day is (time(0), time(0)): `time` cannot say 24:00.
Interval = tuple[time, time]

_MON_THU = ((time(8), time(20)),)
DEFAULT_WEEKLY: Mapping[int, tuple[Interval, ...]] = MappingProxyType(
    {
        0: _MON_THU,
        1: _MON_THU,
        2: _MON_THU,
        3: _MON_THU,
        4: ((time(8), time(16)),),
        5: (),
        6: ((time(16), time(20)),),
    }
)


def _end_key(end: time) -> tuple[int, time]:
    """Orders an interval end: time(0) as an end is midnight after every other time of day."""
    return (1, end) if end == time(0) else (0, end)


def _check_intervals(intervals: Iterable[Interval], what: str) -> tuple[Interval, ...]:
    """Intervals as a tuple of pairs; refuse aware, empty, unordered or overlapping ones."""
    checked = tuple((start, end) for start, end in intervals)
    previous_end: tuple[int, time] | None = None
    for start, end in checked:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{what}: {start}-{end} must be local times without a UTC offset")
        if (0, start) >= _end_key(end):
            raise ValueError(f"{what}: {start:%H:%M} is not before {end:%H:%M}")
        if previous_end is not None and (0, start) < previous_end:
            raise ValueError(f"{what}: {start:%H:%M} overlaps or precedes the interval before it")
        previous_end = _end_key(end)
    return checked


@dataclass(frozen=True)
class DayOverride:
    """One local date whose hours differ from the normal rules: closed, or these hours."""

    date: date
    closed: bool = False
    hours: tuple[Interval, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        hours = _check_intervals(self.hours, f"override {self.date}")
        if self.closed and hours:
            raise ValueError(f"override {self.date}: a closed day has no opening hours")
        if not self.closed and not hours:
            raise ValueError(f"override {self.date}: give the opening hours, or closed=True")
        object.__setattr__(self, "hours", hours)


@dataclass(frozen=True)
class OpeningRules:
    """Weekly hours and their exceptions: overrides beat holidays, holidays beat half days."""

    weekly: Mapping[int, tuple[Interval, ...]]
    half_days: tuple[tuple[int, int], ...] = ((5, 1), (6, 5))  # (month, day), on Mon-Fri only
    half_day_close: time = time(12)
    public_holidays_closed: bool = True
    overrides: Mapping[date, DayOverride] = field(default_factory=dict)
    tz: ZoneInfo = COPENHAGEN
    # each day's opening intervals in UTC, worked out once (a pure function of the rules)
    _utc_days: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if set(self.weekly) - set(range(7)):
            raise ValueError("weekly: keys are weekdays 0 (Monday) to 6 (Sunday)")
        weekly = {wd: _check_intervals(self.weekly.get(wd, ()), f"weekday {wd}") for wd in range(7)}
        for day, override in self.overrides.items():
            if override.date != day:
                raise ValueError(f"overrides: {day} maps to the override for {override.date}")
        object.__setattr__(self, "weekly", MappingProxyType(weekly))
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))


def default_rules(
    overrides: Iterable[DayOverride] = (), *, public_holidays_closed: bool = True
) -> OpeningRules:
    """The papers' rules (rule 3 of DOMAIN.md) plus the playbook's per-date overrides."""
    by_date: dict[date, DayOverride] = {}
    for override in overrides:
        if override.date in by_date:
            raise ValueError(f"overrides: {override.date} appears more than once")
        by_date[override.date] = override
    return OpeningRules(
        weekly=DEFAULT_WEEKLY, public_holidays_closed=public_holidays_closed, overrides=by_date
    )


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    # Dates only: holiday names follow the locale and must never be compared.
    return frozenset(holidays.Denmark(years=year).keys())


def _is_public_holiday(day: date) -> bool:
    return day in _public_holidays(day.year)


def _is_half_day(day: date, rules: OpeningRules) -> bool:
    return day.weekday() < 5 and (day.month, day.day) in rules.half_days


def day_kind(day: date, rules: OpeningRules) -> str:
    """For display: "override", "holiday", "half_day", "normal" or "closed" (in that precedence)."""
    if day in rules.overrides:
        return "override"
    if rules.public_holidays_closed and _is_public_holiday(day):
        return "holiday"
    if _is_half_day(day, rules):
        return "half_day"
    return "normal" if rules.weekly[day.weekday()] else "closed"


def opening_intervals(day: date, rules: OpeningRules) -> tuple[Interval, ...]:
    """The local wall-clock intervals the centre is open on `day`, all exceptions applied."""
    kind = day_kind(day, rules)
    if kind == "override":
        return rules.overrides[day].hours
    if kind == "holiday":
        return ()
    weekly = rules.weekly[day.weekday()]
    if kind != "half_day":
        return weekly
    close = rules.half_day_close
    return tuple(
        (start, close if _end_key(end) > (0, close) else end)
        for start, end in weekly
        if start < close
    )


def _utc_intervals(day: date, rules: OpeningRules) -> tuple[tuple[datetime, datetime], ...]:
    """`day`'s opening intervals as UTC instants.

    fold=0 picks the first occurrence of a repeated wall time (October) and reads a skipped one
    (March) with the offset in force before the change, i.e. an hour later on the new clock.
    """
    cached = rules._utc_days.get(day)
    if cached is None:
        cached = rules._utc_days[day] = tuple(_compute_utc_intervals(day, rules))
    return cached


def _compute_utc_intervals(day: date, rules: OpeningRules) -> list[tuple[datetime, datetime]]:
    found = []
    for start, end in opening_intervals(day, rules):
        begins = datetime.combine(day, start, tzinfo=rules.tz).replace(fold=0)
        end_day = day + timedelta(days=1) if end == time(0) else day
        ends = datetime.combine(end_day, end, tzinfo=rules.tz).replace(fold=0)
        begins_utc, ends_utc = begins.astimezone(UTC), ends.astimezone(UTC)
        if begins_utc < ends_utc:
            found.append((begins_utc, ends_utc))
    return found


def _require_aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Piece:
    """A maximal part of a span that is wholly in or wholly out of opening hours (UTC)."""

    start: datetime
    end: datetime
    in_hours: bool

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def split(start: datetime, end: datetime, rules: OpeningRules) -> list[Piece]:
    """[start, end) as maximal, alternating in-hours / out-of-hours pieces, in UTC."""
    begins = _require_aware("start", start)
    ends = _require_aware("end", end)
    if ends < begins:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    if ends == begins:
        return []
    # Each local day's intervals lie within that day, so the span's local dates (±1 for safety)
    # hold every interval that can touch it: the work is per day, not per minute.
    first = begins.astimezone(rules.tz).date() - timedelta(days=1)
    last = ends.astimezone(rules.tz).date() + timedelta(days=1)
    open_spans: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        for a, b in _utc_intervals(day, rules):
            a, b = max(a, begins), min(b, ends)
            if a >= b:
                continue
            if open_spans and a <= open_spans[-1][1]:  # touching or overlapping: one piece
                open_spans[-1] = (open_spans[-1][0], max(open_spans[-1][1], b))
            else:
                open_spans.append((a, b))
        day += timedelta(days=1)

    pieces: list[Piece] = []
    cursor = begins
    for a, b in open_spans:
        if cursor < a:
            pieces.append(Piece(cursor, a, in_hours=False))
        pieces.append(Piece(a, b, in_hours=True))
        cursor = b
    if cursor < ends:
        pieces.append(Piece(cursor, ends, in_hours=False))
    return pieces


def is_open(at: datetime, rules: OpeningRules) -> bool:
    """Whether the contact centre is open at the instant `at` (aware)."""
    instant = _require_aware("at", at)
    local_day = instant.astimezone(rules.tz).date()
    return any(a <= instant < b for a, b in _utc_intervals(local_day, rules))
