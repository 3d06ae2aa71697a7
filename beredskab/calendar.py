"""The contact centre's opening hours, and splitting a time span into in-hours / out-of-hours.

Pure: no I/O and no clock. Rules are in local wall-clock time (Europe/Copenhagen); every
comparison is made in UTC, so lengths are real elapsed time across DST changes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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
    "split_spans",
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
    # the opening hours of whole years merged into one sorted list of UTC boundaries (see split)
    _timeline: list[_Timeline] = field(default_factory=list, init=False, repr=False, compare=False)

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
    """The papers' rules (docs/domain.md#rules, rule 3) plus the playbook's per-date overrides."""
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


def _utc_intervals(day: date, rules: OpeningRules) -> list[tuple[datetime, datetime]]:
    """`day`'s opening intervals as UTC instants.

    fold=0 picks the first occurrence of a repeated wall time (October) and reads a skipped one
    (March) with the offset in force before the change, i.e. an hour later on the new clock.
    """
    found = []
    for start, end in opening_intervals(day, rules):
        begins = datetime.combine(day, start, tzinfo=rules.tz).replace(fold=0)
        end_day = day + timedelta(days=1) if end == time(0) else day
        ends = datetime.combine(end_day, end, tzinfo=rules.tz).replace(fold=0)
        begins_utc, ends_utc = begins.astimezone(UTC), ends.astimezone(UTC)
        if begins_utc < ends_utc:
            found.append((begins_utc, ends_utc))
    return found


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """00:00 local time on `day` as a UTC instant (a tariff's start, a report period's edge)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


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


@dataclass(frozen=True)
class _Timeline:
    """The merged opening spans of local dates first..last as one sorted list of UTC instants,
    [open, close, open, close, ...]: an instant is in hours when an odd number of them are at or
    before it. Touching intervals (a day open to midnight and the next from 00:00) are merged,
    so the boundaries strictly increase."""

    covers_from: datetime  # UTC: spans starting at or after this ...
    covers_until: datetime  # ... and ending at or before this are split correctly
    bounds: list[datetime]


def _build_timeline(first: date, last: date, rules: OpeningRules) -> _Timeline:
    bounds: list[datetime] = []
    day = first
    while day <= last:
        for a, b in _utc_intervals(day, rules):
            if bounds and a <= bounds[-1]:  # touching or overlapping: one span
                bounds[-1] = max(bounds[-1], b)
            else:
                bounds += [a, b]
        day += timedelta(days=1)
    # Each local day's intervals lie within that day: a span whose local dates are two days
    # inside first..last meets no interval outside it.
    margin = timedelta(days=2)
    covers_from = local_midnight(first, rules.tz) + margin
    covers_until = local_midnight(last, rules.tz) - margin
    return _Timeline(covers_from, covers_until, bounds)


_TIMELINE_YEARS = 4  # at most this many years of boundaries are kept (≈ 2,000 instants)


def _timeline(begins: datetime, ends: datetime, rules: OpeningRules) -> _Timeline:
    """The timeline covering [begins, ends], built a whole year at a time."""
    found = rules._timeline[0] if rules._timeline else None
    if found is None or begins < found.covers_from or ends > found.covers_until:
        margin = timedelta(days=3)
        first = (begins - margin).astimezone(rules.tz).date().replace(month=1, day=1)
        last = (ends + margin).astimezone(rules.tz).date().replace(month=12, day=31)
        if found is not None:  # keep what is covered: reports walk a year back and forth ...
            wider_first = min(first, found.covers_from.astimezone(rules.tz).date())
            wider_last = max(last, found.covers_until.astimezone(rules.tz).date())
            if wider_last.year - wider_first.year < _TIMELINE_YEARS:  # ... but not 2000 to 2199
                first, last = wider_first, wider_last
        found = _build_timeline(first - margin, last + margin, rules)
        rules._timeline[:] = [found]
    return found


def split(start: datetime, end: datetime, rules: OpeningRules) -> list[Piece]:
    """[start, end) as maximal, alternating in-hours / out-of-hours pieces, in UTC."""
    return [Piece(a, b, in_hours) for a, b, in_hours in split_spans(start, end, rules)]


def split_spans(
    start: datetime, end: datetime, rules: OpeningRules
) -> list[tuple[datetime, datetime, bool]]:
    """`split` as (start, end, in_hours) tuples: for callers that split many spans."""
    begins = _require_aware("start", start)
    ends = _require_aware("end", end)
    if ends < begins:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    if ends == begins:
        return []
    bounds = _timeline(begins, ends, rules).bounds
    # the boundaries strictly inside (begins, ends) cut it; the first piece is in hours when
    # an odd number of boundaries lie at or before its start
    first, last = bisect_right(bounds, begins), bisect_left(bounds, ends)
    in_hours = first % 2 == 1
    pieces = []
    cursor = begins
    for at in bounds[first:last]:
        pieces.append((cursor, at, in_hours))
        cursor, in_hours = at, not in_hours
    pieces.append((cursor, ends, in_hours))
    return pieces


def is_open(at: datetime, rules: OpeningRules) -> bool:
    """Whether the contact centre is open at the instant `at` (aware)."""
    instant = _require_aware("at", at)
    local_day = instant.astimezone(rules.tz).date()
    return any(a <= instant < b for a, b in _utc_intervals(local_day, rules))
