"""Pure shift rules: the states, validation, the opening-hours summary, Danish labels, and the
decisions the use cases act on (approval, the checkpoints, ending a shift). The call-out's and
the municipalities' answers' decisions are in `volunteer_rules`.

No database and no clock: `now` and the opening rules come in as parameters. The decisions have
the shape of `beredskab.escalation.decide`: data in, a frozen decision out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from beredskab.calendar import OpeningRules, Piece, split
from beredskab.escalation import PageState


class ShiftState(StrEnum):
    awaiting_approval = "awaiting_approval"  # has an out-of-hours part; steering must approve
    recruiting = "recruiting"  # volunteer municipalities are being paged
    full = "full"  # every place is taken
    rejected = "rejected"  # steering said no
    cancelled = "cancelled"  # by crisis staff or the authority, or by stand-down


OPEN_SHIFT_STATES = (ShiftState.awaiting_approval, ShiftState.recruiting, ShiftState.full)
# approved and not ended: municipalities are asked, hold places, are reminded
STAFFING_STATES = (ShiftState.recruiting, ShiftState.full)


class AllocationState(StrEnum):
    active = "active"
    # AFMELD: the places went back to the shift, but the municipality stays responsible for them
    # until another one has taken them over (docs/domain.md); then → withdrawn.
    released = "released"
    withdrawn = "withdrawn"
    cancelled = "cancelled"  # the shift was cancelled


STATE_WORDS = {
    ShiftState.awaiting_approval: "afventer godkendelse",
    ShiftState.recruiting: "godkendt",
    ShiftState.full: "godkendt og dækket",
    ShiftState.rejected: "afvist",
    ShiftState.cancelled: "aflyst",
}


class ShiftLike(Protocol):
    """What the decisions read of a shift (the `Shift` row has it; tests pass a plain object)."""

    id: int | None
    start: datetime
    end: datetime
    state: str
    out_of_hours_minutes: int
    ended_at: datetime | None


MAX_SPAN = timedelta(hours=24)
# A shift may start this long ago: the request is typed a little after the hour it names. Any
# earlier and agents recruited now would be billed from a time already gone (#14.4).
START_GRACE = timedelta(minutes=5)
MAX_AGENTS = 50
WEEKDAYS = ("man", "tir", "ons", "tor", "fre", "lør", "søn")

# Deadline kinds: a municipality's secondary contact, the end of the shift, an unapproved shift.
VOLUNTEER_SECONDARY = "volunteer_secondary"
SHIFT_OVER = "shift_over"
APPROVAL_REMINDER = "shift_approval_reminder"

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
    earliest = now - START_GRACE
    if end <= now:
        found.append(("end", "the shift has already ended"))
    elif start < earliest:  # (a shift already over says so, and that says it all)
        grace = int(START_GRACE.total_seconds()) // 60
        found.insert(
            0,
            (
                "start",
                f"has already passed: the earliest start is "
                f"{_whole_second_after(earliest).isoformat()} ({grace} minutes' grace)",
            ),
        )
    if not 1 <= agents_needed <= MAX_AGENTS:
        found.append(("agents_needed", f"must be between 1 and {MAX_AGENTS}"))
    return found


@dataclass(frozen=True)
class RequestPreview:
    """What requesting a shift would meet, before it is requested: the refusals, and the split
    into time in and out of opening hours (the split is empty where the span is no span)."""

    problems: tuple[tuple[str, str], ...]
    in_hours_minutes: int
    out_of_hours_minutes: int
    pieces: tuple[dict, ...]

    @property
    def state(self) -> ShiftState:
        return initial_state(self.out_of_hours_minutes)

    @property
    def needs_approval(self) -> bool:
        return self.state is ShiftState.awaiting_approval


def preview_request(
    start: datetime, end: datetime, agents_needed: int, opening: OpeningRules, now: datetime
) -> RequestPreview:
    """The checks and the split a request makes; the console shows it before the request is sent
    and the request acts on it."""
    problems = tuple(shift_problems(start, end, agents_needed, now))
    if start.tzinfo is None or end.tzinfo is None or not start < end <= start + MAX_SPAN:
        return RequestPreview(problems, 0, 0, ())
    in_minutes, out_minutes, pieces = split_shift(start, end, opening)
    return RequestPreview(problems, in_minutes, out_minutes, tuple(pieces))


def _whole_second_after(moment: datetime) -> datetime:
    """`moment` in UTC, rounded up to the second: a start at the bound shown is accepted."""
    moment = moment.astimezone(UTC)
    return (
        moment if not moment.microsecond else moment.replace(microsecond=0) + timedelta(seconds=1)
    )


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


def ends_at(shift: ShiftLike) -> datetime:
    """When the shift really ends: where it was cut short while running (stand-down), else as
    planned. A cancelled or rejected shift never ran, so its planned end stays its end."""
    cut = shift.ended_at
    if cut is not None and shift.state in STAFFING_STATES and shift.start <= cut < shift.end:
        return cut
    return shift.end


def checkpoints(start: datetime, now: datetime) -> list[tuple[str, datetime]]:
    """The reminder/alert deadlines still ahead of `now` for a shift starting at `start`."""
    return [(kind, start - before) for kind, before in CHECKPOINTS if start - before > now]


def initial_state(out_of_hours_minutes: int) -> ShiftState:
    """Any time outside opening hours needs the steering group's approval before the call-out."""
    return ShiftState.awaiting_approval if out_of_hours_minutes else ShiftState.recruiting


# --- approval ------------------------------------------------------------------------------------


def approval_problem(shift: ShiftLike) -> str | None:
    """Why the shift cannot be approved or rejected now (the Conflict's text); None if it can."""
    if shift.state == ShiftState.awaiting_approval:
        return None
    if shift.out_of_hours_minutes == 0:
        return (
            f"shift {shift.id} lies wholly within opening hours: it needs no approval, "
            "so there is nothing to approve or reject"
        )
    return f"shift {shift.id} is {STATE_WORDS[ShiftState(shift.state)]}, not awaiting approval"


@dataclass(frozen=True)
class Approve:
    """A member asked said OK: one is enough."""


@dataclass(frozen=True)
class Reject:
    """Every member asked said NEJ."""


@dataclass(frozen=True)
class Wait:
    """Some members asked have not answered (or their page closed otherwise): nothing yet."""


def approval_decision(page_states: Sequence[str]) -> Approve | Reject | Wait:
    """The steering group's answer so far, from the states of every approval page of the shift
    (the answer just given included)."""
    states = [PageState(s) for s in page_states]
    if PageState.acked in states:
        return Approve()
    if states and all(s is PageState.declined for s in states):
        return Reject()
    return Wait()


def remind_again(reminders_so_far: int, max_reminders: int) -> bool:
    """After a reminder, is there another one to schedule (the playbook's endorsement limit)?"""
    return reminders_so_far < max_reminders


# --- before the start ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    """A municipality's active places on the shift, as a checkpoint sees them."""

    key: int  # the caller's handle (the allocation's id)
    org_id: str
    agents: int
    confirmed: bool


@dataclass(frozen=True)
class CheckpointPlan:
    hours_before: int
    unconfirmed: tuple[int, ...]  # keys, in the order given
    remind: tuple[int, ...]  # keys whose contact gets a reminder SMS
    missing: int  # places not taken
    alert_short: bool  # tell the staffing lead how many are missing
    alert_unconfirmed: bool  # tell the staffing lead who has not confirmed


def checkpoint_plan(kind: str, agents_needed: int, places: Sequence[Places]) -> CheckpointPlan:
    """T-24 h and T-2 h: remind the unconfirmed; T-2 h: a shortfall to the staffing lead;
    T-1 h: the still unconfirmed to the staffing lead."""
    hours_before = int(dict(CHECKPOINTS)[kind].total_seconds()) // 3600
    unconfirmed = tuple(p.key for p in places if not p.confirmed)
    missing = agents_needed - sum(p.agents for p in places)
    return CheckpointPlan(
        hours_before=hours_before,
        unconfirmed=unconfirmed,
        remind=unconfirmed if kind in (REMIND_24H, CHECK_2H) else (),
        missing=missing,
        alert_short=kind == CHECK_2H and missing > 0,
        alert_unconfirmed=kind == CHECK_1H and bool(unconfirmed),
    )


@dataclass(frozen=True)
class Staffing:
    """How a shift being staffed stands, as the staffing lead's page warns of it: the places not
    taken, the municipalities that hold places unconfirmed, and whether the checkpoints' alert
    windows (T-2 h short, T-1 h unconfirmed) have been reached."""

    missing: int
    unconfirmed: int
    short_alert: bool
    unconfirmed_alert: bool


def staffing(
    state: str, agents_needed: int, places: Sequence[Places], start: datetime, now: datetime
) -> Staffing | None:
    """None where the shift is not being staffed (awaiting approval, ended) or has started."""
    if state not in STAFFING_STATES or start <= now:
        return None
    plan = checkpoint_plan(CHECK_2H, agents_needed, places)
    left = start - now
    return Staffing(
        missing=max(plan.missing, 0),
        unconfirmed=len(plan.unconfirmed),
        short_alert=plan.missing > 0 and left <= dict(CHECKPOINTS)[CHECK_2H],
        unconfirmed_alert=bool(plan.unconfirmed) and left <= dict(CHECKPOINTS)[CHECK_1H],
    )


# --- ending a shift ------------------------------------------------------------------------------


def cancel_problem(shift: ShiftLike, now: datetime) -> str | None:
    """Why the shift cannot be cancelled (the Conflict's text); None if it can."""
    if shift.state not in OPEN_SHIFT_STATES:
        return f"shift {shift.id} is already {STATE_WORDS[ShiftState(shift.state)]}"
    if shift.end <= now:
        return f"shift {shift.id} has already ended"
    return None


@dataclass(frozen=True)
class EndPlan:
    """How a shift ends before its time: cut short while it runs, else cancelled."""

    running: bool

    @property
    def new_state(self) -> ShiftState | None:
        """A running shift keeps its state (it happened, and is billed); None: unchanged."""
        return None if self.running else ShiftState.cancelled

    @property
    def cancel_allocations(self) -> bool:
        return not self.running

    @property
    def told_states(self) -> tuple[AllocationState, ...]:
        """Whose contact is told: a running shift's agents go home; one that had not started
        releases every municipality that holds or still answers for places."""
        if self.running:
            return (AllocationState.active,)
        return (AllocationState.active, AllocationState.released)

    @property
    def kind(self) -> str:
        """The SMS key and the log kind."""
        return "shift_ended_early" if self.running else "shift_cancelled"

    @property
    def verb(self) -> str:
        return "afbrudt" if self.running else "aflyst"


def end_plan(shift: ShiftLike, now: datetime) -> EndPlan:
    running = shift.start <= now < shift.end and shift.state != ShiftState.awaiting_approval
    return EndPlan(running=running)
