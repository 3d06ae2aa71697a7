"""Pure shift rules: validation, the opening-hours summary, Danish labels, allocation, reminders.

No database and no clock: `now` and the opening rules come in as parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from beredskab.calendar import OpeningRules, Piece, split

MAX_SPAN = timedelta(hours=24)
MAX_AGENTS = 50
WEEKDAYS = ("man", "tir", "ons", "tor", "fre", "lør", "søn")

# Deadline kinds and how long before the start they fire (issue: T-24 h, T-2 h, T-1 h).
REMIND_24H = "shift_remind_24h"
CHECK_2H = "shift_check_2h"
CHECK_1H = "shift_check_1h"
CHECKPOINTS: tuple[tuple[str, timedelta], ...] = (
    (REMIND_24H, timedelta(hours=24)),
    (CHECK_2H, timedelta(hours=2)),
    (CHECK_1H, timedelta(hours=1)),
)


def shift_problems(
    start: datetime, end: datetime, agents_needed: int, now: datetime
) -> list[tuple[str, str]]:
    """Every reason the shift cannot be requested, as (field, reason); empty when it is fine."""
    found: list[tuple[str, str]] = []
    if start.tzinfo is None or end.tzinfo is None:
        return [("start" if start.tzinfo is None else "end", "must have a UTC offset")]
    # In UTC: Python subtracts two datetimes sharing one tzinfo by wall clock, which is an hour
    # off across a DST change.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        found.append(("end", "must be after start"))
    elif end - start > MAX_SPAN:
        hours = (end - start).total_seconds() / 3600
        found.append(("end", f"a shift may last at most 24 hours, this one lasts {hours:g}"))
    if end <= now:
        found.append(("end", "the shift has already ended"))
    if not 1 <= agents_needed <= MAX_AGENTS:
        found.append(("agents_needed", f"must be between 1 and {MAX_AGENTS}"))
    return found


def pieces_summary(pieces: Sequence[Piece]) -> tuple[int, int, list[dict]]:
    """(in-hours minutes, out-of-hours minutes, the pieces as JSON-able dicts)."""
    in_minutes = out_minutes = 0
    shown = []
    for piece in pieces:
        minutes = round(piece.duration.total_seconds() / 60)
        if piece.in_hours:
            in_minutes += minutes
        else:
            out_minutes += minutes
        shown.append(
            {
                "start": piece.start.astimezone(UTC).isoformat(),
                "end": piece.end.astimezone(UTC).isoformat(),
                "in_hours": piece.in_hours,
                "minutes": minutes,
            }
        )
    return in_minutes, out_minutes, shown


def split_shift(start: datetime, end: datetime, rules: OpeningRules) -> tuple[int, int, list[dict]]:
    return pieces_summary(split(start, end, rules))


def shift_label(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """Short Danish label for SMS: "fre 21.11 16:00-20:00", "lør 22.11 22:00-06:00"."""
    a, b = start.astimezone(tz), end.astimezone(tz)
    head = f"{WEEKDAYS[a.weekday()]} {a:%d.%m} {a:%H:%M}"
    next_day = a.date() + timedelta(days=1)
    if b.date() == a.date():
        return f"{head}-{b:%H:%M}"
    if b.date() == next_day and b.time() == datetime.min.time():
        return f"{head}-24:00"
    if b.date() == next_day and b.time() < a.time():
        return f"{head}-{b:%H:%M}"
    return f"{head}-{WEEKDAYS[b.weekday()]} {b:%d.%m} {b:%H:%M}"


def grant(remaining: int, requested: int) -> int:
    """First come, first served: a reply gets what it asks for, or what is left."""
    return max(0, min(remaining, requested))


def checkpoints(start: datetime, now: datetime) -> list[tuple[str, datetime]]:
    """The reminder/alert deadlines still ahead of `now` for a shift starting at `start`."""
    return [(kind, start - before) for kind, before in CHECKPOINTS if start - before > now]
