"""Call-out drills in the playbook: which groups, and when scheduled drills fall due. Pure: no
clock (`now` is a parameter), no database; local time is the playbook's time zone
(Europe/Copenhagen).

A rule is a line of text: `"<nth> <weekday> of <period> <HH:MM>"`, where nth is first, second,
third, fourth or last; period is month, quarter (January, April, July, October) or year
(January); e.g. `"first tuesday of quarter 10:00"` or `"second wednesday of month 03:00"` (a
drill at night). Local times that a DST change skips (02:30 on the last Sunday of March) fall an
hour later on the clock (the same instant as 02:30 winter time); a time that occurs twice (the
last Sunday of October) is its first occurrence.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class DrillGroup(StrEnum):
    crisis_roster = "crisis_roster"  # everyone on a role's roster, every rank
    steering = "steering"
    municipality_contacts = "municipality_contacts"  # primary and secondary contact persons
    all = "all"


# Danish names, for SMS, the console and the CSV
GROUP_NAMES = {
    DrillGroup.crisis_roster: "krisestabens vagtliste",
    DrillGroup.steering: "styregruppen",
    DrillGroup.municipality_contacts: "kommunernes kontaktpersoner",
    DrillGroup.all: "alle",
}
# the groups a drill over `group` covers (each person is counted in each of theirs)
MEMBER_GROUPS = {
    DrillGroup.all: (
        DrillGroup.crisis_roster,
        DrillGroup.steering,
        DrillGroup.municipality_contacts,
    ),
    DrillGroup.crisis_roster: (DrillGroup.crisis_roster,),
    DrillGroup.steering: (DrillGroup.steering,),
    DrillGroup.municipality_contacts: (DrillGroup.municipality_contacts,),
}

WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
NTH = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
PERIODS = {"month": tuple(range(1, 13)), "quarter": (1, 4, 7, 10), "year": (1,)}
_RULE = re.compile(
    rf"^({'|'.join(NTH)}) ({'|'.join(WEEKDAYS)}) of (?:each |every )?({'|'.join(PERIODS)})"
    r" (?:at )?(\d{1,2})[:.](\d{2})$"
)


@dataclass(frozen=True)
class Recurrence:
    nth: int  # 1..4, or -1 for the last
    weekday: int  # Monday 0
    months: tuple[int, ...]
    at: time  # local wall-clock time


def parse_rule(text: str) -> Recurrence:
    """The recurrence a rule describes; ValueError naming what is wrong."""
    match = _RULE.match(" ".join(text.lower().split()))
    if match is None:
        raise ValueError(
            f"{text!r} is not a rule like 'first tuesday of quarter 10:00' "
            "(first|second|third|fourth|last <weekday> of month|quarter|year HH:MM)"
        )
    nth, weekday, period, hour, minute = match.groups()
    if int(hour) > 23 or int(minute) > 59:
        raise ValueError(f"{hour}:{minute} is not a time of day")
    return Recurrence(NTH[nth], WEEKDAYS[weekday], PERIODS[period], time(int(hour), int(minute)))


def _rule(text: str) -> str:
    parse_rule(text)
    return text


class DrillPlan(BaseModel):
    """One scheduled drill in the playbook."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    group: DrillGroup
    rule: Annotated[str, AfterValidator(_rule)] = Field(max_length=100)
    call_after_minutes: int | None = Field(default=None, ge=1, le=240)

    @property
    def recurrence(self) -> Recurrence:
        return parse_rule(self.rule)


class DrillPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # a drill stays open this long: no second drill starts before, a reply without a code finds
    # it (at least 30, so that the share reached within 30 minutes is a drill's own figure)
    open_minutes: int = Field(default=60, ge=30, le=1440)
    schedule: list[DrillPlan] = Field(default_factory=list, max_length=20)


def nth_weekday(year: int, month: int, nth: int, weekday: int) -> date | None:
    """The nth (or last, -1) such weekday of the month; None when the month has no fifth one."""
    days = [
        d
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    if nth == -1:
        return date(year, month, days[-1])
    return date(year, month, days[nth - 1]) if nth <= len(days) else None


def _instants(rec: Recurrence, tz: ZoneInfo, around: datetime) -> list[datetime]:
    """The occurrences (UTC) in the 14 months before and after `around`, in order."""
    local = around.astimezone(tz)
    out = []
    for k in range(-14, 15):
        y, m = divmod(local.year * 12 + local.month - 1 + k, 12)
        month = m + 1
        if month not in rec.months:
            continue
        day = nth_weekday(y, month, rec.nth, rec.weekday)
        if day is not None:
            out.append(datetime.combine(day, rec.at, tzinfo=tz).astimezone(UTC))
    return out


def next_occurrence(rec: Recurrence, after: datetime, tz: ZoneInfo) -> datetime:
    """The first occurrence strictly after `after` (aware), in UTC."""
    return next(t for t in _instants(rec, tz, after) if t > after)


def latest_occurrence(rec: Recurrence, at: datetime, tz: ZoneInfo) -> datetime:
    """The last occurrence at or before `at` (aware), in UTC."""
    return [t for t in _instants(rec, tz, at) if t <= at][-1]


# A scheduled drill that cannot start (another drill is open, or a real activation is under
# way) waits an hour and tries again, for at most this long after its planned time; then it is
# skipped and the rule's next occurrence stands.
POSTPONE_STEP = timedelta(hours=1)
POSTPONE_AT_MOST = timedelta(hours=24)


@dataclass(frozen=True)
class StartNow:
    pass


@dataclass(frozen=True)
class Postpone:
    until: datetime


@dataclass(frozen=True)
class Skip:
    pass


def decide_scheduled(
    rec: Recurrence, due_at: datetime, now: datetime, tz: ZoneInfo, *, blocked: bool
) -> StartNow | Postpone | Skip:
    """What a scheduled drill that falls due at `due_at` does at `now`."""
    if not blocked:
        return StartNow()
    planned = latest_occurrence(rec, due_at, tz)
    later = max(due_at, now) + POSTPONE_STEP
    if later - planned > POSTPONE_AT_MOST or later >= next_occurrence(rec, planned, tz):
        return Skip()
    return Postpone(later)
