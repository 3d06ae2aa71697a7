"""The activation's shift plan (vagtplan) as the staffing lead reads it: each shift as the API
shows it, every municipality that has answered (JA with places, or NEJ), what may be done with
the shift now, and the shortfall the checkpoints would warn of. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, ActivationStatus
from beredskab.activations.repository import get_visible
from beredskab.auth.service import Principal
from beredskab.directory.service import org_names
from beredskab.shifts import rules, views
from beredskab.shifts.models import AllocationState, VolunteerAllocation, VolunteerAnswer
from beredskab.shifts.schemas import ShiftOut

if TYPE_CHECKING:
    from beredskab.activations.config import ActivationConfig


@dataclass(frozen=True)
class Answer:
    """One municipality's answer to a shift."""

    municipality: str
    said_yes: bool
    answered_at: datetime
    places: int  # held now (0 after a withdrawal or a NEJ)
    confirmed: int | None  # agents confirmed, if confirmed
    state: str | None  # the allocation's state; None for a NEJ
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class PlannedShift:
    shift: ShiftOut
    answers: list[Answer]
    staffing: rules.Staffing | None
    may_cancel: bool
    may_decide: bool  # awaiting the steering group's approval


@dataclass(frozen=True)
class ShiftPlan:
    activation: Activation
    shifts: list[PlannedShift]
    may_request: bool  # shifts can be requested for the activation now


async def shift_plan(
    session: AsyncSession,
    cfg: ActivationConfig,
    principal: Principal,
    activation_id: str,
    now: datetime,
) -> ShiftPlan:
    """The plan of an activation `principal` may see (another authority's: NotFound)."""
    activation = await get_visible(session, principal, activation_id)
    shifts = await views.describe_many(session, cfg, await views.shifts_of(session, activation.id))
    ids = [s.id for s in shifts]
    said_no = (
        await session.exec(select(VolunteerAnswer).where(VolunteerAnswer.shift_id.in_(ids)))
    ).all()
    said_yes_at = dict(
        (
            await session.exec(
                select(VolunteerAllocation.id, VolunteerAllocation.created_at).where(
                    VolunteerAllocation.shift_id.in_(ids)
                )
            )
        ).all()
    )
    names = await org_names(session, (a.org_id for a in said_no))
    planned = []
    for shift in shifts:
        allocations = [
            Answer(
                municipality=a.municipality,
                said_yes=True,
                answered_at=said_yes_at[a.id],
                places=a.agents if a.state == AllocationState.active else 0,
                confirmed=a.confirmed_agents if a.confirmed_at else None,
                state=a.state,
                withdrawn_at=a.withdrawn_at,
            )
            for a in shift.allocations
        ]
        nos = [
            Answer(names.get(n.org_id, n.org_id), False, n.answered_at, 0, None, None, None)
            for n in said_no
            if n.shift_id == shift.id
        ]
        places = [
            rules.Places(a.id, a.org_id, a.agents, a.confirmed_at is not None)
            for a in shift.allocations
            if a.state == AllocationState.active
        ]
        planned.append(
            PlannedShift(
                shift=shift,
                answers=sorted(allocations + nos, key=lambda a: a.answered_at),
                staffing=rules.staffing(shift.state, shift.agents_needed, places, shift.start, now),
                may_cancel=rules.cancel_problem(shift, now) is None,  # type: ignore[arg-type]
                may_decide=shift.state == rules.ShiftState.awaiting_approval,
            )
        )
    return ShiftPlan(
        activation=activation,
        shifts=planned,
        may_request=activation.status == ActivationStatus.active,
    )
