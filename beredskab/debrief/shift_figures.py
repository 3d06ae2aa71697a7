"""Per shift: places asked, offered, taken, confirmed, withdrawn and re-filled, replayed from the
shift entries of the log (the log is where each step has its time); and the first shift's
milestones."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Page, PagePurpose
from beredskab.debrief.reach import minutes
from beredskab.debrief.schemas import ShiftFigures, ShiftMilestones
from beredskab.directory.service import org_names
from beredskab.eventlog.models import LogEntry
from beredskab.shifts.models import AllocationState, Shift, VolunteerAllocation

SHIFT_KINDS = (
    "shift_approved",
    "shift_full",
    "volunteer_allocated",
    "volunteer_withdrawn",
    "volunteer_confirmed",
)


@dataclass
class _Replay:
    """One shift's story as its log entries tell it."""

    needed: int
    offered: int = 0
    taken: int = 0
    withdrawn: int = 0
    refilled: int = 0
    open_withdrawn: int = 0  # places given back and not yet taken by anyone
    confirmed: dict[str, int] = field(default_factory=dict)
    approved_at: datetime | None = None
    full_at: datetime | None = None
    confirmed_at: datetime | None = None

    def step(self, kind: str, at: datetime, data: dict) -> None:
        org, agents = data.get("org_id", ""), int(data.get("agents") or 0)
        if kind == "shift_approved":
            self.approved_at = self.approved_at or at
        elif kind == "shift_full":
            self.full_at = self.full_at or at
        elif kind == "volunteer_allocated":
            self.offered += int(data.get("offered") or agents)
            self.taken += agents
            again = min(agents, self.open_withdrawn)
            self.refilled += again
            self.open_withdrawn -= again
            self.confirmed.pop(org, None)  # more places taken: the municipality confirms again
        elif kind == "volunteer_withdrawn":
            self.withdrawn += agents
            self.open_withdrawn += agents
            self.confirmed.pop(org, None)
        elif kind == "volunteer_confirmed":
            self.confirmed[org] = agents
            if self.confirmed_at is None and sum(self.confirmed.values()) >= self.needed:
                self.confirmed_at = at


async def shift_figures(
    session: AsyncSession, activation_id: str
) -> tuple[list[ShiftFigures], ShiftMilestones | None]:
    shifts = list(
        (
            await session.exec(
                select(Shift).where(Shift.activation_id == activation_id).order_by(Shift.id)
            )
        ).all()
    )
    if not shifts:
        return [], None
    replays = {s.id: _Replay(s.agents_needed) for s in shifts}
    entries = await session.exec(
        select(LogEntry.kind, LogEntry.occurred_at, LogEntry.data)
        .where(
            LogEntry.activation_id == activation_id,
            LogEntry.kind.in_(SHIFT_KINDS),  # type: ignore[attr-defined]
        )
        .order_by(LogEntry.seq)
    )
    for kind, at, data in entries.all():
        replay = replays.get((data or {}).get("shift_id"))
        if replay is not None:
            replay.step(kind, at, data)
    asked = dict(
        (
            await session.exec(
                select(Page.shift_id, func.count(func.distinct(Page.org_id)))
                .where(Page.activation_id == activation_id, Page.purpose == PagePurpose.volunteer)
                .group_by(Page.shift_id)
            )
        ).all()
    )
    helping = (
        await session.exec(
            select(VolunteerAllocation.shift_id, VolunteerAllocation.org_id).where(
                VolunteerAllocation.shift_id.in_([s.id for s in shifts]),  # type: ignore[attr-defined]
                VolunteerAllocation.state == AllocationState.active,
            )
        )
    ).all()
    names = await org_names(session, (org for _, org in helping))
    figures = []
    for s in shifts:
        r = replays[s.id]
        approved = approved_at(s, r)
        figures.append(
            ShiftFigures(
                shift_id=s.id or 0,
                start=s.start,
                end=s.end,
                state=s.state,
                places_asked=s.agents_needed,
                municipalities_asked=asked.get(s.id, 0),
                places_offered=r.offered,
                places_taken=r.taken,
                places_confirmed=sum(r.confirmed.values()),
                places_withdrawn=r.withdrawn,
                places_refilled=r.refilled,
                approved_at=approved,
                full_at=r.full_at,
                minutes_approval_to_full=minutes(approved, r.full_at),
                municipalities_helped=sorted(
                    names.get(org, org) for shift_id, org in helping if shift_id == s.id
                ),
            )
        )
    first = shifts[0]
    return figures, ShiftMilestones(
        shift_id=first.id or 0,
        requested_at=first.created_at,
        approved_at=figures[0].approved_at,
        full_at=replays[first.id].full_at,
        confirmed_at=replays[first.id].confirmed_at,
    )


def approved_at(shift: Shift, replay: _Replay) -> datetime | None:
    """When the shift could be staffed: the steering group's approval, or its request when it
    lies in opening hours (no approval needed)."""
    if shift.approved_at or replay.approved_at:
        return shift.approved_at or replay.approved_at
    return shift.created_at if shift.out_of_hours_minutes == 0 else None
