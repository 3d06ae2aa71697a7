"""The few facts per activation the trend is made of, read in a handful of queries for a whole
period: the activation row, the first holder of each role and the page that filled it, its shifts
and when each became full, and its cost per debtor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, ActivationStatus, Page, PagePurpose
from beredskab.calendar import OpeningRules, local_midnight
from beredskab.costs.report_lines import DebtorTotals, debtor_totals
from beredskab.crisis_staff.models import RoleTenure
from beredskab.errors import Conflict
from beredskab.escalation import PageState
from beredskab.eventlog.models import LogEntry
from beredskab.shifts.models import Shift, ShiftState


@dataclass
class RoleFact:
    minutes: float | None  # from endorsement to filled
    rank: int | None  # of the page that filled it; None: a handover
    pass_no: int | None

    @property
    def by_primary(self) -> bool:
        return self.rank == 0 and self.pass_no == 1


@dataclass
class ActivationFact:
    id: str
    exercise: bool
    status: str
    requested_on: date  # local date
    endorsed: bool
    endorsed_minutes: float | None
    roles: dict[str, RoleFact] = field(default_factory=dict)
    shifts: int = 0
    shifts_rejected: int = 0
    shifts_cancelled_before_start: int = 0
    shifts_in_time: int = 0
    costs: DebtorTotals | None = None

    @property
    def all_filled_minutes(self) -> float | None:
        """When the last of the four roles was filled, if all four were."""
        found = [r.minutes for r in self.roles.values() if r.minutes is not None]
        return max(found) if len(found) == 4 else None


@dataclass
class Facts:
    activations: list[ActivationFact]
    costs_refused: str | None  # why the costs could not be priced (e.g. no hourly rate)


def minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60, 2)


async def facts(
    session: AsyncSession, rules: OpeningRules, first: date, last: date, *, now: datetime
) -> Facts:
    """The activations requested on local dates first..last (inclusive)."""
    start = local_midnight(first, rules.tz)
    end = local_midnight(last + timedelta(days=1), rules.tz)
    in_period = (Activation.created_at >= start, Activation.created_at < end)
    rows = list(
        (
            await session.exec(select(Activation).where(*in_period).order_by(Activation.created_at))
        ).all()
    )
    out = {
        a.id: ActivationFact(
            id=a.id,
            exercise=a.exercise,
            status=a.status,
            requested_on=a.created_at.astimezone(rules.tz).date(),
            endorsed=a.endorsed_at is not None,
            endorsed_minutes=minutes(a.created_at, a.endorsed_at),
        )
        for a in rows
    }
    endorsed_at = {a.id: a.endorsed_at for a in rows}
    await _roles(session, in_period, out, endorsed_at)
    await _shifts(session, in_period, out)
    refused = None
    ran = [a for a in rows if a.endorsed_at is not None]
    try:
        totals = await debtor_totals(session, rules, ran, now=now)
    except Conflict as e:  # e.g. no hourly rate in force for a span
        refused = str(e)
    else:
        for activation_id, found in totals.items():
            out[activation_id].costs = found
    return Facts(list(out.values()), refused)


async def _roles(session, in_period, out, endorsed_at) -> None:
    """The first holder of each role, and the acknowledged page that made them so (the last one
    of theirs for that role answered by then); none: they took it over by hand."""
    tenures = await session.exec(
        select(
            RoleTenure.activation_id, RoleTenure.role, RoleTenure.person_id, RoleTenure.started_at
        )
        .join(Activation, Activation.id == RoleTenure.activation_id)
        .where(*in_period)
        .order_by(RoleTenure.started_at, RoleTenure.id)
    )
    first: dict[tuple[str, str], tuple[str, datetime]] = {}
    for activation_id, role, person_id, started_at in tenures.all():
        first.setdefault((activation_id, role), (person_id, started_at))
    acked = await session.exec(
        select(
            Page.activation_id,
            Page.role,
            Page.person_id,
            Page.rank,
            Page.pass_no,
            Page.created_at,
            Page.answered_at,
        )
        .join(Activation, Activation.id == Page.activation_id)
        .where(*in_period, Page.purpose == PagePurpose.role, Page.state == PageState.acked)
        .order_by(Page.created_at, Page.id)
    )
    filler: dict[tuple[str, str], tuple[int, int]] = {}
    for activation_id, role, person_id, rank, pass_no, created, answered in acked.all():
        holder = first.get((activation_id, role))
        if holder and holder[0] == person_id and (answered or created) <= holder[1]:
            filler[activation_id, role] = (rank, pass_no)
    for (activation_id, role), (_, started_at) in first.items():
        rank, pass_no = filler.get((activation_id, role), (None, None))
        out[activation_id].roles[role] = RoleFact(
            minutes(endorsed_at[activation_id], started_at), rank, pass_no
        )


async def _shifts(session, in_period, out) -> None:
    """Each shift, and whether the log says it became full before it started."""
    shifts = (
        await session.exec(
            select(Shift.id, Shift.activation_id, Shift.start, Shift.state, Shift.ended_at)
            .join(Activation, Activation.id == Shift.activation_id)
            .where(*in_period)
        )
    ).all()
    if not shifts:
        return
    full = await session.exec(
        select(LogEntry.activation_id, LogEntry.occurred_at, LogEntry.data)
        .join(Activation, Activation.id == LogEntry.activation_id)
        .where(*in_period, LogEntry.kind == "shift_full")
    )
    first_full: dict[int, datetime] = {}
    for _, at, data in full.all():
        shift_id = (data or {}).get("shift_id")
        if shift_id is not None and (shift_id not in first_full or at < first_full[shift_id]):
            first_full[shift_id] = at
    for shift_id, activation_id, start, state, ended_at in shifts:
        fact = out[activation_id]
        fact.shifts += 1
        became_full = first_full.get(shift_id)
        if became_full is not None and became_full <= start:
            fact.shifts_in_time += 1
        elif state == ShiftState.rejected:
            fact.shifts_rejected += 1
        elif state == ShiftState.cancelled and ended_at is not None and ended_at < start:
            fact.shifts_cancelled_before_start += 1


OPEN = (ActivationStatus.requested, ActivationStatus.active)
